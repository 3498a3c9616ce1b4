/**
 * The live page's HTML: one document with inline CSS and JS, no build step
 * and no external assets, so it works offline and costs one request.
 *
 * Four views of the same connections: totals and the timeouts in force; a
 * timeline (one row per connection, a tick per request, busy stretches,
 * idle stretches and, right of "now", the time each idle connection has
 * left before its timeout closes it); requests per connection as bars; the
 * open connections as a table. On a proxy, a fifth: each upstream's pooled
 * connections (`live_page_upstreams.ts`). The script is in `live_page_script.ts`.
 *
 * Laid out for any width from 360 px up without sideways scrolling: the
 * table drops its address and age columns on narrow screens (the timeline
 * row's tooltip keeps the address).
 *
 * @module
 */

import { LIVE_PAGE_SCRIPT } from "./live_page_script.ts";
import { LIVE_UPSTREAMS_HTML } from "./live_page_upstreams.ts";

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
:root{--bg:#0f1419;--panel:#182029;--line:#2a3541;--text:#e6edf3;--dim:#8b98a5;--idle:#3fb950;--busy:#f0883e;--closing:#f85149;--closed:#4b5866;--upgraded:#db61a2;--accent:#58a6ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 32px}
header{display:flex;align-items:baseline;gap:6px 14px;flex-wrap:wrap}
h1{font-size:22px;margin:0}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--dim);margin:0 0 10px}
h2 small{text-transform:none;letter-spacing:0;font-weight:400;margin-left:8px}
.status{color:var(--dim);font-size:13px}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:var(--closed);margin-right:6px;vertical-align:1px}
.dot.on{background:var(--idle)}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:18px 0 10px}
.card,.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;min-width:0}
.card{padding:12px 14px}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:var(--dim);font-size:12px}
.limits{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.chip{border:1px solid var(--line);border-radius:14px;padding:2px 10px;font-size:12px;color:var(--dim)}
a{color:var(--accent)}
.chip b{color:var(--text);font-weight:600;font-variant-numeric:tabular-nums}
.panel{padding:14px 16px;margin-bottom:16px}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.grid .panel{margin-bottom:0}
svg{display:block;width:100%}
svg text{fill:var(--dim);font-size:10px;font-variant-numeric:tabular-nums}
svg text.id{fill:var(--text);font-size:11px}
.note{color:var(--dim);font-size:12px;margin-top:6px}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--dim);font-weight:500;font-size:12px}
td.num,th.num{text-align:right}
td.remote{overflow-wrap:anywhere}
.state{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;color:#0f1419}
.state.idle{background:var(--idle)}.state.busy{background:var(--busy)}.state.closing{background:var(--closing)}.state.upgraded{background:var(--upgraded)}
.bar{display:inline-block;width:90px;height:6px;background:var(--line);border-radius:3px;margin-left:8px;vertical-align:middle;overflow:hidden}
.bar i{display:block;height:100%;background:var(--idle)}
.empty{color:var(--dim);padding:10px 8px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;color:var(--dim);font-size:12px;margin-top:6px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;background:var(--c)}
.legend .tick::before{width:2px;background:var(--text)}
.legend .left::before{background:none;border:1px dashed var(--idle);height:8px}
footer{color:var(--dim);font-size:12px;margin-top:10px}
#upstreams{margin-top:16px}
.upstream-url{font-weight:600;overflow-wrap:anywhere;margin:4px 0 8px}
#upstream-list>div+div{margin-top:14px}
@media (max-width:760px){.grid{grid-template-columns:minmax(0,1fr)}.grid .panel{margin-bottom:0}}
@media (max-width:600px){
main{padding:14px 10px 24px}
h1{font-size:18px}
.totals{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.card{padding:8px 10px}.card .value{font-size:20px}
.panel{padding:10px}
th,td{padding:5px 4px}
.remote,.wide{display:none}
.bar{width:44px;margin-left:4px}
}
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
<div class="card"><div class="value" id="t-upgraded">–</div><div class="label">upgraded now</div></div>
<div class="card"><div class="value" id="t-requests">–</div><div class="label">requests</div></div>
<div class="card"><div class="value" id="t-reuse">–</div><div class="label">reuse ratio</div></div>
<div class="card"><div class="value" id="t-per">–</div><div class="label">requests per connection</div></div>
</section>
<div class="limits" id="limits" aria-label="timeouts in force"></div>
<section class="panel">
<h2>Timeline <small>one row per connection</small></h2>
<svg id="timeline" height="40" role="img" aria-label="connections over time"></svg>
<div class="legend"><span class="tick">request</span><span style="--c:var(--busy)">answering</span><span style="--c:var(--idle)">idle, kept alive</span><span style="--c:var(--upgraded)">upgraded (WebSocket…)</span><span class="left">idle timeout ahead</span><span style="--c:var(--closing)">timeout deadline</span><span style="--c:#8b98a5">close (colour: cause)</span></div>
<div class="note" id="timeline-note"></div>
</section>
<div class="grid">
<section class="panel">
<h2>Requests per connection</h2>
<svg id="chart" height="170" role="img" aria-label="requests per connection"></svg>
<div class="legend"><span style="--c:var(--idle)">idle</span><span style="--c:var(--busy)">busy</span><span style="--c:var(--upgraded)">upgraded</span><span style="--c:var(--closing)">closing</span><span style="--c:var(--closed)">closed</span></div>
<div class="note" id="chart-note"></div>
</section>
<section class="panel">
<h2>Why connections closed</h2>
<div class="legend" id="causes">–</div>
<h2 style="margin-top:16px">Open connections</h2>
<table>
<thead><tr><th>id</th><th class="remote">remote</th><th>state</th><th class="num">req.</th><th class="num wide">open for</th><th>idle left</th></tr></thead>
<tbody id="rows"></tbody>
</table>
</section>
</div>
${LIVE_UPSTREAMS_HTML}
<footer>Each row is one TCP connection. HTTP/1.1 keeps it open between requests (RFC 9112 §9.3) until its idle timeout runs out. An upgraded one (a WebSocket) has left HTTP after its 101 and lives by its new protocol's rules. This page's own event stream is one of them. Metrics for Prometheus: <a href="/_keepwire/metrics">/_keepwire/metrics</a>.</footer>
</main>
<script>${LIVE_PAGE_SCRIPT}</script>
</body>
</html>
`;
