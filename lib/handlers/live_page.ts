/**
 * The live page's HTML: one document with inline CSS and JS, no build step
 * and no external assets, so it works offline and costs one request.
 *
 * The script listens to `/_keepwire/events` (Server-Sent Events) and falls
 * back to polling `/_keepwire/stats.json` once a second if EventSource is
 * missing or keeps failing. All data is written with `textContent` and SVG
 * attributes, never parsed as HTML. Idle countdowns tick locally between
 * snapshots, measured from when each snapshot arrived (so clock skew
 * between server and browser does not matter).
 *
 * @module
 */

/**
 * The complete live page.
 *
 * @example
 * ```ts
 * import { LIVE_PAGE_HTML } from "./live_page.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(LIVE_PAGE_HTML.includes("/_keepwire/events"));
 * assert.ok(!LIVE_PAGE_HTML.includes("<link") && !LIVE_PAGE_HTML.includes(" src="));
 * ```
 */
export const LIVE_PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepwire · live connections</title>
<style>
:root{--bg:#0f1419;--panel:#182029;--line:#2a3541;--text:#e6edf3;--dim:#8b98a5;--idle:#3fb950;--busy:#f0883e;--closing:#f85149;--closed:#4b5866;--accent:#58a6ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 32px}
header{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap}
h1{font-size:22px;margin:0}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--dim);margin:0 0 10px}
.status{color:var(--dim);font-size:13px}
.status b{font-weight:600}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:var(--closed);margin-right:6px;vertical-align:1px}
.dot.on{background:var(--idle)}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:18px 0}
.card,.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px}
.card{padding:12px 14px}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:var(--dim);font-size:12px}
.panel{padding:14px 16px;margin-bottom:16px}
svg text{fill:var(--dim);font-size:10px}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--dim);font-weight:500;font-size:12px}
td.num{text-align:right}
.state{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;color:#0f1419}
.state.idle{background:var(--idle)}.state.busy{background:var(--busy)}.state.closing{background:var(--closing)}
.bar{display:inline-block;width:90px;height:6px;background:var(--line);border-radius:3px;margin-left:8px;vertical-align:middle;overflow:hidden}
.bar i{display:block;height:100%;background:var(--idle)}
.empty{color:var(--dim);padding:10px 8px}
.legend{display:flex;gap:14px;color:var(--dim);font-size:12px;margin-top:6px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;background:var(--c)}
footer{color:var(--dim);font-size:12px;margin-top:10px}
a{color:var(--accent)}
</style>
</head>
<body>
<main>
<header>
<h1>keepwire · live connections</h1>
<span class="status"><span id="dot" class="dot"></span><span id="status">connecting…</span></span>
</header>
<section class="totals">
<div class="card"><div class="value" id="t-opened">–</div><div class="label">connections opened</div></div>
<div class="card"><div class="value" id="t-open">–</div><div class="label">open now (idle)</div></div>
<div class="card"><div class="value" id="t-requests">–</div><div class="label">requests</div></div>
<div class="card"><div class="value" id="t-reuse">–</div><div class="label">reuse ratio</div></div>
<div class="card"><div class="value" id="t-per">–</div><div class="label">requests per connection</div></div>
</section>
<section class="panel">
<h2>Requests per connection</h2>
<svg id="chart" width="100%" height="170" role="img" aria-label="requests per connection"></svg>
<div class="legend"><span style="--c:var(--idle)">idle</span><span style="--c:var(--busy)">busy</span><span style="--c:var(--closing)">closing</span><span style="--c:var(--closed)">closed</span></div>
</section>
<section class="panel">
<h2>Open connections</h2>
<table>
<thead><tr><th>id</th><th>remote</th><th>state</th><th class="num">requests</th><th class="num">open for</th><th>idle time left</th></tr></thead>
<tbody id="rows"></tbody>
</table>
</section>
<footer>Each row is one TCP connection. HTTP/1.1 keeps it open between requests (RFC 9112 §9.3) until its idle timeout runs out. This page's own event stream is one of them.</footer>
</main>
<script>
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var last = null;
  var receivedAt = 0;
  var $ = function (id) { return document.getElementById(id); };

  function seconds(ms) { return (ms / 1000).toFixed(1) + " s"; }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function setStatus(text, on) {
    $("status").textContent = text;
    $("dot").className = on ? "dot on" : "dot";
  }

  function renderTotals(s) {
    var st = s.stats;
    $("t-opened").textContent = String(st.totalConnections);
    $("t-open").textContent = st.openConnections + " (" + st.idleConnections + ")";
    $("t-requests").textContent = String(st.totalRequests);
    $("t-reuse").textContent = Math.round(s.reuseRatio * 100) + "%";
    $("t-per").textContent = st.totalConnections ? (st.totalRequests / st.totalConnections).toFixed(1) : "–";
  }

  function renderChart(s) {
    var svg = $("chart");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var bars = [];
    s.connections.forEach(function (c) { bars.push({ id: c.id, n: c.requests, state: c.state }); });
    s.recentlyClosed.forEach(function (c) { bars.push({ id: c.id, n: c.requests, state: "closed" }); });
    bars.sort(function (a, b) { return a.id - b.id; });
    bars = bars.slice(-40);
    var width = svg.clientWidth || 900, height = 170, top = 16, bottom = 22, left = 30;
    var max = 1;
    bars.forEach(function (b) { if (b.n > max) max = b.n; });
    var axis = document.createElementNS(SVG, "text");
    axis.setAttribute("x", "0"); axis.setAttribute("y", String(top));
    axis.textContent = String(max);
    svg.appendChild(axis);
    if (bars.length === 0) {
      var none = document.createElementNS(SVG, "text");
      none.setAttribute("x", String(left)); none.setAttribute("y", "80");
      none.textContent = "no connections yet";
      svg.appendChild(none);
      return;
    }
    var slot = Math.min(48, (width - left) / bars.length);
    var colors = { idle: "var(--idle)", busy: "var(--busy)", closing: "var(--closing)", closed: "var(--closed)" };
    bars.forEach(function (b, i) {
      var h = Math.max(2, (height - top - bottom) * b.n / max);
      var x = left + i * slot + slot * 0.15;
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", x.toFixed(1));
      rect.setAttribute("y", (height - bottom - h).toFixed(1));
      rect.setAttribute("width", (slot * 0.7).toFixed(1));
      rect.setAttribute("height", h.toFixed(1));
      rect.setAttribute("rx", "2");
      rect.setAttribute("fill", colors[b.state] || colors.closed);
      var title = document.createElementNS(SVG, "title");
      title.textContent = "#" + b.id + ": " + b.n + " requests (" + b.state + ")";
      rect.appendChild(title);
      svg.appendChild(rect);
      var count = document.createElementNS(SVG, "text");
      count.setAttribute("x", (x + slot * 0.35).toFixed(1));
      count.setAttribute("y", (height - bottom - h - 3).toFixed(1));
      count.setAttribute("text-anchor", "middle");
      count.textContent = String(b.n);
      svg.appendChild(count);
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", (x + slot * 0.35).toFixed(1));
      label.setAttribute("y", String(height - 6));
      label.setAttribute("text-anchor", "middle");
      label.textContent = "#" + b.id;
      svg.appendChild(label);
    });
  }

  function renderRows() {
    var s = last;
    if (!s) return;
    var elapsed = Date.now() - receivedAt;
    var body = $("rows");
    while (body.firstChild) body.removeChild(body.firstChild);
    if (s.connections.length === 0) {
      var tr = document.createElement("tr");
      var td = cell(tr, "no open connections", "empty");
      td.colSpan = 6;
      body.appendChild(tr);
      return;
    }
    s.connections.forEach(function (c) {
      var tr = document.createElement("tr");
      cell(tr, "#" + c.id);
      cell(tr, c.remote);
      var state = cell(tr, "");
      var badge = document.createElement("span");
      badge.className = "state " + c.state;
      badge.textContent = c.state;
      state.appendChild(badge);
      cell(tr, String(c.requests), "num");
      cell(tr, duration(s.now - c.openedAt + elapsed), "num");
      var left = cell(tr, "");
      if (c.idleTimeLeft !== null) {
        var ms = Math.max(0, c.idleTimeLeft - elapsed);
        left.textContent = seconds(ms);
        if (s.keepAliveTimeout) {
          var bar = document.createElement("span");
          bar.className = "bar";
          var fill = document.createElement("i");
          fill.style.width = Math.min(100, 100 * ms / s.keepAliveTimeout).toFixed(1) + "%";
          bar.appendChild(fill);
          left.appendChild(bar);
        }
      } else {
        left.textContent = "–";
      }
      body.appendChild(tr);
    });
  }

  function render(snapshot) {
    last = snapshot;
    receivedAt = Date.now();
    renderTotals(snapshot);
    renderChart(snapshot);
    renderRows();
  }

  var polling = false;
  function poll() {
    polling = true;
    fetch("/_keepwire/stats.json", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) { render(s); setStatus("polling every second", true); })
      .catch(function () { setStatus("server unreachable, retrying…", false); })
      .then(function () { setTimeout(poll, 1000); });
  }

  function listen() {
    var source = new EventSource("/_keepwire/events");
    var failures = 0;
    source.onopen = function () { failures = 0; setStatus("live (Server-Sent Events)", true); };
    source.onmessage = function (event) { render(JSON.parse(event.data)); };
    source.onerror = function () {
      failures++;
      setStatus("reconnecting…", false);
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        if (!polling) poll();
      }
    };
  }

  if (typeof EventSource === "function") listen(); else poll();
  setInterval(renderRows, 200);
})();
</script>
</body>
</html>
`;
