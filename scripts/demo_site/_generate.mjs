#!/usr/bin/env node
// Regenerates the demo site: index.html plus 60 small assets (30 SVG tiles,
// 15 stylesheets, 15 scripts), enough for a browser to fill its 6 connections
// per host and reuse each of them. Run: node scripts/demo_site/_generate.mjs
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const site = fileURLToPath(new URL(".", import.meta.url));
const TILES = 30;
const STYLES = 15;
const SCRIPTS = 15;

for (const folder of ["img", "css", "js"]) {
  rmSync(join(site, folder), { recursive: true, force: true });
  mkdirSync(join(site, folder));
}

const hue = (i) => Math.round((i * 360) / TILES);
const pad = (i) => String(i).padStart(2, "0");

for (let i = 1; i <= TILES; i++) {
  const h = hue(i);
  writeFileSync(
    join(site, "img", `tile-${pad(i)}.svg`),
    `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">
<rect width="96" height="96" rx="14" fill="hsl(${h} 70% 45%)"/>
<circle cx="48" cy="40" r="${10 + (i % 7) * 3}" fill="hsl(${(h + 40) % 360} 85% 70%)"/>
<text x="48" y="84" font-family="sans-serif" font-size="16" text-anchor="middle" fill="#fff">${i}</text>
</svg>
`,
  );
}

for (let i = 1; i <= STYLES; i++) {
  const rules = [];
  for (let t = i; t <= TILES; t += STYLES) {
    rules.push(`.tile-${pad(t)} { border-color: hsl(${hue(t)} 70% 60%); }`);
  }
  writeFileSync(
    join(site, "css", `style-${pad(i)}.css`),
    `/* stylesheet ${i} of ${STYLES} */\n${rules.join("\n")}\n`,
  );
}

for (let i = 1; i <= SCRIPTS; i++) {
  writeFileSync(
    join(site, "js", `script-${pad(i)}.js`),
    `// script ${i} of ${SCRIPTS}: reports itself so the page can count what arrived.\n(window.demoScripts = window.demoScripts || []).push(${i});\n`,
  );
}

const links = [];
for (let i = 1; i <= STYLES; i++) {
  links.push(`<link rel="stylesheet" href="css/style-${pad(i)}.css">`);
}
const tiles = [];
for (let i = 1; i <= TILES; i++) {
  tiles.push(
    `<img class="tile tile-${pad(i)}" src="img/tile-${
      pad(i)
    }.svg" width="96" height="96" alt="tile ${i}">`,
  );
}
const scripts = [];
for (let i = 1; i <= SCRIPTS; i++) scripts.push(`<script src="js/script-${pad(i)}.js"></script>`);

writeFileSync(
  join(site, "index.html"),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepwire demo: 60 assets over a few keep-alive connections</title>
<link rel="icon" href="data:,">
<style>
body{margin:0;background:#0f1419;color:#e6edf3;font:15px/1.5 system-ui,sans-serif}
main{max-width:960px;margin:0 auto;padding:24px}
a{color:#58a6ff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(104px,1fr));gap:10px;margin:20px 0}
.tile{border:3px solid #2a3541;border-radius:18px;background:#182029}
#result{font-weight:600}
</style>
${links.join("\n")}
</head>
<body>
<main>
<h1>keepwire demo site</h1>
<p>This page loads <b>60 small files</b>: ${TILES} images, ${STYLES} stylesheets and ${SCRIPTS} scripts.
A browser opens at most 6 connections to one host and, thanks to HTTP/1.1 persistent connections,
carries all of them over those few. Watch it happen on the <a href="/_keepwire/">live connections page</a>
(open it in a second tab, then reload this one).</p>
<p id="result">loading…</p>
<div class="grid">
${tiles.join("\n")}
</div>
</main>
${scripts.join("\n")}
<script>
addEventListener("load", function () {
  var images = 0;
  document.querySelectorAll("img.tile").forEach(function (img) { if (img.complete && img.naturalWidth > 0) images++; });
  var styles = 0;
  for (var i = 0; i < document.styleSheets.length; i++) if (document.styleSheets[i].href) styles++;
  var scripts = (window.demoScripts || []).length;
  var result = document.getElementById("result");
  var total = images + styles + scripts;
  result.textContent = total + " of 60 assets loaded (" + images + " images, " + styles + " stylesheets, " + scripts + " scripts)";
  result.setAttribute("data-loaded", String(total));
});
</script>
</body>
</html>
`,
);
console.log("demo site written to " + site);
