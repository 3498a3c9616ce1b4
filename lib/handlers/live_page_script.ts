/**
 * The live page's script (plain ES5-era JavaScript, inlined by
 * `live_page.ts`). It keeps its own copy of every connection, fed by the
 * `/_keepwire/events` stream: a `snapshot` replaces it, each `connection`
 * event moves one connection along (open, request, response, idle, close;
 * a `101` response means the connection left HTTP: `upgraded`),
 * and `stats` carries the server's counters. Falls back to polling
 * `/_keepwire/stats.json` if EventSource is missing or keeps failing.
 *
 * The page arrives with the snapshot of the moment in place of
 * {@linkcode SNAPSHOT_PLACEHOLDER}, so it draws at first paint.
 *
 * Times are server times: the page keeps the offset between the server's
 * clock and its own from each message, so clock skew does not bend the
 * timeline. All data is written with `textContent` and SVG attributes,
 * never parsed as HTML.
 *
 * @module
 */

import { LIVE_UPSTREAMS_SCRIPT } from "./live_page_upstreams.ts";

/**
 * What the server replaces with the snapshot's JSON when it sends the page.
 *
 * @example
 * ```ts
 * import { LIVE_PAGE_SCRIPT, SNAPSHOT_PLACEHOLDER } from "./live_page_script.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LIVE_PAGE_SCRIPT.split(SNAPSHOT_PLACEHOLDER).length, 2);
 * ```
 */
export const SNAPSHOT_PLACEHOLDER = "/*snapshot*/null";

/**
 * The script's source.
 *
 * @example
 * ```ts
 * import { LIVE_PAGE_SCRIPT } from "./live_page_script.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(LIVE_PAGE_SCRIPT.includes("/_keepwire/events"));
 * assert.ok(!LIVE_PAGE_SCRIPT.includes("</script"));
 * ```
 */
export const LIVE_PAGE_SCRIPT: string = String.raw`
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var KEEP_CLOSED = 200, ROW = 18, ROWS_MAX = 24;
  var CAUSES = {
    idle_timeout: ["idle timeout", "#8b98a5"], max_requests: ["max requests", "#d2a8ff"],
    client_close: ["client closed", "#58a6ff"], request_close: ["request said close", "#79c0ff"],
    response_close: ["response said close", "#56d4dd"], headers_timeout: ["headers timeout", "#f85149"],
    body_timeout: ["body timeout", "#f85149"], send_timeout: ["send timeout", "#f85149"],
    protocol_error: ["bad request", "#f85149"], unread_body: ["unread body", "#f0883e"],
    evicted: ["evicted", "#e3b341"], error: ["error", "#f85149"], shutdown: ["shutdown", "#e3b341"]
  };
  var conns = {}, stats = null, limits = null, closes = {}, offset = 0, dirty = false, started = false;
  // On a proxy: its upstream pools, and the server time they were taken.
  var upstreams = null, upstreamsAt = 0;
  var $ = function (id) { return document.getElementById(id); };
  var serverNow = function () { return Date.now() + offset; };

  function seconds(ms) { return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s"; }
  function span(ms) {
    if (ms % 1000 === 0 || ms >= 10000) return Math.round(ms / 1000) + " s";
    return (ms / 1000).toFixed(1) + " s";
  }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function setStatus(text, on) { $("status").textContent = text; $("dot").className = on ? "dot on" : "dot"; }
  function list() {
    var all = [];
    for (var id in conns) all.push(conns[id]);
    all.sort(function (a, b) { return a.id - b.id; });
    return all;
  }

  // ---- state ----------------------------------------------------------------
  function record(c, state) {
    return { id: c.id, remote: c.remote, openedAt: c.openedAt, closedAt: c.closedAt || null,
      cause: c.cause || null, state: state, requests: c.requests, idleSince: c.idleSince,
      upgradedAt: c.upgradedAt || null,
      exchanges: (c.exchanges || []).map(function (e) { return [e[0], e[1]]; }) };
  }
  function onSnapshot(s) {
    offset = s.now - Date.now();
    stats = s.stats; limits = s.limits; closes = s.closes || {};
    if (s.upstreams) { upstreams = s.upstreams; upstreamsAt = s.now; }
    conns = {};
    s.recentlyClosed.forEach(function (c) { conns[c.id] = record(c, "closed"); });
    s.connections.forEach(function (c) { conns[c.id] = record(c, c.state); });
    started = true; dirty = true;
  }
  function onEvent(e) {
    var c = conns[e.id];
    if (e.type === "open") {
      conns[e.id] = { id: e.id, remote: e.remote, openedAt: e.time, closedAt: null, cause: null,
        state: "idle", requests: 0, idleSince: e.time, upgradedAt: null, exchanges: [] };
    } else if (!c) {
      return;
    } else if (e.type === "request") {
      c.state = "busy"; c.requests = Math.max(c.requests, e.index); c.idleSince = null;
      c.exchanges.push([e.time, null]);
      if (c.exchanges.length > 64) c.exchanges.shift();
    } else if (e.type === "response") {
      for (var i = 0; i < c.exchanges.length; i++) {
        if (c.exchanges[i][1] === null) { c.exchanges[i][1] = e.time; break; }
      }
      // A 101 is written only when the upgrade was accepted: HTTP ends there.
      if (e.status === 101) { c.state = "upgraded"; c.upgradedAt = e.time; c.idleSince = null; }
    } else if (e.type === "idle") {
      c.state = "idle"; c.idleSince = e.time;
    } else if (e.type === "close") {
      c.state = "closed"; c.closedAt = e.time; c.cause = e.cause; c.requests = e.requests;
      c.idleSince = null;
      closes[e.cause] = (closes[e.cause] || 0) + 1;
      var closed = list().filter(function (x) { return x.state === "closed"; });
      for (var j = 0; j < closed.length - KEEP_CLOSED; j++) delete conns[closed[j].id];
    }
    dirty = true;
  }
  function onStats(s) {
    offset = s.now - Date.now(); stats = s.stats; dirty = true;
    if (s.upstreams) { upstreams = s.upstreams; upstreamsAt = s.now; }
  }

  // ---- drawing --------------------------------------------------------------
  function renderTotals() {
    $("t-opened").textContent = String(stats.totalConnections);
    $("t-open").textContent = stats.openConnections + " (" + stats.idleConnections + ")";
    $("t-upgraded").textContent = stats.upgradedConnections === undefined ? "–" : String(stats.upgradedConnections);
    $("t-requests").textContent = String(stats.totalRequests);
    $("t-reuse").textContent = stats.totalRequests
      ? Math.round(100 * stats.reusedRequests / stats.totalRequests) + "%" : "–";
    $("t-per").textContent = stats.totalConnections ? (stats.totalRequests / stats.totalConnections).toFixed(1) : "–";
  }

  function renderLimits() {
    if (!limits) return;
    var box = $("limits");
    clear(box);
    [["idle", limits.keepAliveTimeout, "a kept-alive connection waits this long for its next request"],
     ["headers", limits.headersTimeout, "a request's header section must arrive within this (408 after)"],
     ["body", limits.requestBodyTimeout, "longest pause inside a request body (408 after)"],
     ["send", limits.sendTimeout, "longest wait for a client to read the response"]].forEach(function (t) {
      var chip = document.createElement("span");
      chip.className = "chip";
      chip.title = t[2];
      var b = document.createElement("b"); b.textContent = span(t[1]);
      chip.appendChild(document.createTextNode(t[0] + " timeout "));
      chip.appendChild(b);
      box.appendChild(chip);
    });
    var max = document.createElement("span");
    max.className = "chip";
    max.title = "the last allowed response says Connection: close";
    var mb = document.createElement("b"); mb.textContent = String(limits.maxRequestsPerConnection);
    max.appendChild(document.createTextNode("max requests/connection "));
    max.appendChild(mb);
    box.appendChild(max);
  }

  function renderTimeline() {
    var svg = $("timeline");
    clear(svg);
    var width = svg.clientWidth || 900;
    var idle = limits ? limits.keepAliveTimeout : 5000;
    var windowMs = Math.min(120000, Math.max(30000, 6 * idle));
    var ahead = Math.min(idle, windowMs / 2);
    var now = serverNow(), t0 = now - windowMs, t1 = now + ahead;
    var label = width < 520 ? 34 : 44, right = 6, axis = 18;
    var x = function (t) { return label + (Math.max(t0, Math.min(t1, t)) - t0) / (t1 - t0) * (width - label - right); };
    var rows = list().filter(function (c) { return (c.closedAt === null || c.closedAt >= t0); });
    var hidden = Math.max(0, rows.length - ROWS_MAX);
    rows = rows.slice(-ROWS_MAX);
    var height = axis + Math.max(1, rows.length) * ROW + 4;
    svg.setAttribute("height", String(height));
    el("rect", { x: x(now), y: 0, width: x(t1) - x(now), height: height, fill: "rgba(88,166,255,.06)" }, svg);
    var step = windowMs > 60000 ? 20 : windowMs > 30000 ? 10 : 5;
    for (var rel = -Math.floor(windowMs / 1000 / step) * step; rel * 1000 <= ahead; rel += step) {
      var sx = x(now + rel * 1000);
      if (sx < label + 8) continue;
      el("line", { x1: sx, x2: sx, y1: 12, y2: height, stroke: "#2a3541" }, svg);
      if (width >= 520 || rel % (2 * step) === 0) {
        var anchor = sx > width - right - 16 ? "end" : "middle";
        el("text", { x: sx, y: 10, "text-anchor": anchor }, svg, rel === 0 ? "now" : (rel > 0 ? "+" : "") + rel + " s");
      }
    }
    el("line", { x1: x(now), x2: x(now), y1: 12, y2: height, stroke: "#58a6ff", "stroke-width": 1.5 }, svg);
    if (rows.length === 0) {
      el("text", { x: label, y: axis + 12 }, svg, "no connections in the last " + Math.round(windowMs / 1000) + " s");
    }
    rows.forEach(function (c, i) {
      var y = axis + i * ROW, mid = y + ROW / 2;
      var g = el("g", { "data-connection": c.id }, svg);
      el("title", {}, g, "#" + c.id + " " + c.remote + ": " + c.requests + " request" + (c.requests === 1 ? "" : "s") +
        (c.upgradedAt !== null || c.state === "upgraded" ? ", upgraded" : "") +
        (c.cause ? ", closed by " + (CAUSES[c.cause] || [c.cause])[0] : ", " + c.state));
      el("text", { x: label - 5, y: mid + 3.5, "text-anchor": "end", "class": "id" }, g, "#" + c.id);
      var end = c.closedAt === null ? now : c.closedAt;
      el("rect", { x: x(c.openedAt), y: mid - 2, width: Math.max(1, x(end) - x(c.openedAt)), height: 4, rx: 2, fill: "var(--idle)", opacity: 0.55 }, g);
      c.exchanges.forEach(function (e) {
        if ((e[1] === null ? end : e[1]) < t0) return;
        var bx = x(e[0]);
        el("rect", { x: bx, y: mid - 5, width: Math.max(2, x(e[1] === null ? end : e[1]) - bx), height: 10, rx: 1.5, fill: "var(--busy)" }, g);
        el("line", { x1: bx, x2: bx, y1: y + 2, y2: y + ROW - 2, stroke: "#e6edf3", "stroke-width": 1 }, g);
      });
      if (c.upgradedAt !== null || c.state === "upgraded") {
        // From the 101 on, the connection carries another protocol until it closes.
        var last = c.exchanges.length ? c.exchanges[c.exchanges.length - 1][1] : null;
        var from = c.upgradedAt !== null ? c.upgradedAt : (last !== null ? last : c.openedAt);
        el("rect", { x: x(from), y: mid - 4, width: Math.max(2, x(end) - x(from)), height: 8, rx: 2,
          fill: "var(--upgraded)", "data-upgraded": c.id }, g);
      }
      if (c.closedAt === null && c.state === "idle" && c.idleSince !== null) {
        var deadline = c.idleSince + idle;
        el("rect", { x: x(now), y: mid - 4, width: Math.max(0, x(deadline) - x(now)), height: 8, rx: 2,
          fill: "none", stroke: "var(--idle)", "stroke-dasharray": "3 2" }, g);
        el("line", { x1: x(deadline), x2: x(deadline), y1: y + 2, y2: y + ROW - 2, stroke: "var(--closing)", "stroke-width": 2 }, g);
      }
      if (c.closedAt !== null && c.closedAt >= t0) {
        var color = (CAUSES[c.cause] || ["", "#8b98a5"])[1];
        el("rect", { x: x(c.closedAt) - 1.5, y: y + 2, width: 3, height: ROW - 4, fill: color }, g);
      }
    });
    $("timeline-note").textContent = (hidden ? hidden + " older connections not shown · " : "") +
      "last " + Math.round(windowMs / 1000) + " s; right of now: time left before each idle connection's timeout";
  }

  function renderCauses() {
    var box = $("causes");
    clear(box);
    var any = false;
    for (var cause in CAUSES) {
      if (!closes[cause]) continue;
      any = true;
      var item = document.createElement("span");
      item.style.setProperty("--c", CAUSES[cause][1]);
      item.textContent = CAUSES[cause][0] + " " + closes[cause];
      box.appendChild(item);
    }
    if (!any) box.textContent = "no connection closed yet";
  }

  function renderChart() {
    var svg = $("chart");
    clear(svg);
    var width = svg.clientWidth || 900, height = 170, top = 16, bottom = 22, left = 30;
    var bars = list().slice(-Math.max(8, Math.min(40, Math.floor((width - left) / 14))));
    var max = 1;
    bars.forEach(function (b) { if (b.requests > max) max = b.requests; });
    el("text", { x: 0, y: top }, svg, String(max));
    $("chart-note").textContent = bars.length
      ? "connections #" + bars[0].id + " to #" + bars[bars.length - 1].id + " (" + bars.length + " of " + (stats ? stats.totalConnections : bars.length) + ")"
      : "";
    if (bars.length === 0) { el("text", { x: left, y: 80 }, svg, "no connections yet"); return; }
    var slot = Math.min(48, (width - left) / bars.length);
    var labelEvery = Math.max(1, Math.ceil(34 / slot));
    var colors = { idle: "var(--idle)", busy: "var(--busy)", upgraded: "var(--upgraded)", closing: "var(--closing)", closed: "var(--closed)" };
    bars.forEach(function (b, i) {
      var h = Math.max(2, (height - top - bottom) * b.requests / max);
      var bx = left + i * slot + slot * 0.15, cx = bx + slot * 0.35;
      var rect = el("rect", { x: bx.toFixed(1), y: (height - bottom - h).toFixed(1), width: (slot * 0.7).toFixed(1),
        height: h.toFixed(1), rx: 2, fill: colors[b.state] || colors.closed, "data-connection": b.id }, svg);
      el("title", {}, rect, "#" + b.id + ": " + b.requests + " requests (" + b.state + ")");
      if (slot >= 16 || b.requests === max) el("text", { x: cx.toFixed(1), y: (height - bottom - h - 3).toFixed(1), "text-anchor": "middle" }, svg, String(b.requests));
      if (i % labelEvery === 0) el("text", { x: cx.toFixed(1), y: height - 6, "text-anchor": "middle" }, svg, "#" + b.id);
    });
  }

  function renderRows() {
    var body = $("rows");
    clear(body);
    var open = list().filter(function (c) { return c.state !== "closed"; });
    if (open.length === 0) {
      var tr = document.createElement("tr");
      cell(tr, "no open connections", "empty").colSpan = 6;
      body.appendChild(tr);
      return;
    }
    var now = serverNow(), idle = limits ? limits.keepAliveTimeout : 0;
    open.forEach(function (c) {
      var tr = document.createElement("tr");
      cell(tr, "#" + c.id);
      cell(tr, c.remote, "remote");
      var badge = document.createElement("span");
      badge.className = "state " + c.state;
      badge.textContent = c.state;
      cell(tr, "").appendChild(badge);
      cell(tr, String(c.requests), "num");
      cell(tr, duration(now - c.openedAt), "num wide");
      var left = cell(tr, "–", "left");
      if (c.state === "idle" && c.idleSince !== null && idle) {
        var ms = Math.max(0, c.idleSince + idle - now);
        left.textContent = seconds(ms);
        var bar = document.createElement("span");
        bar.className = "bar";
        var fill = document.createElement("i");
        fill.style.width = Math.min(100, 100 * ms / idle).toFixed(1) + "%";
        bar.appendChild(fill);
        left.appendChild(bar);
      }
      body.appendChild(tr);
    });
  }

  function frame() {
    if (!started) return;
    if (dirty) { renderTotals(); renderLimits(); renderCauses(); renderChart(); dirty = false; }
    renderTimeline();
    renderRows();
    renderUpstreams(upstreams, upstreamsAt, serverNow());
  }
${LIVE_UPSTREAMS_SCRIPT}

  // ---- transport ------------------------------------------------------------
  var polling = false;
  function poll() {
    polling = true;
    fetch("/_keepwire/stats.json", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) { onSnapshot(s); frame(); setStatus("polling every second", true); })
      .catch(function () { setStatus("server unreachable, retrying…", false); })
      .then(function () { setTimeout(poll, 1000); });
  }
  function listen() {
    var source = new EventSource("/_keepwire/events");
    var failures = 0;
    var read = function (handler) { return function (event) { handler(JSON.parse(event.data)); }; };
    source.onopen = function () { failures = 0; setStatus("live: every connection event", true); };
    source.addEventListener("snapshot", read(function (s) { onSnapshot(s); frame(); }));
    source.addEventListener("connection", read(onEvent));
    source.addEventListener("stats", read(onStats));
    source.onerror = function () {
      failures++;
      setStatus("reconnecting…", false);
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        if (!polling) poll();
      }
    };
  }
  // The server writes the snapshot of the moment into the page: it draws at first paint.
  var initial = /*snapshot*/null;
  if (initial) { onSnapshot(initial); frame(); }
  if (typeof EventSource === "function") listen(); else poll();
  setInterval(frame, 250);
  window.addEventListener("resize", function () { dirty = true; frame(); });
})();
`;
