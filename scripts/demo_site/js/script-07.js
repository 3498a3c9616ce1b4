// script 7 of 15: reports itself so the page can count what arrived.
(window.demoScripts = window.demoScripts || []).push(7);
