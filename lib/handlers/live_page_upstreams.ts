/**
 * The live page's upstream panel, for `keepwire proxy`: the other side of
 * the proxy. Per upstream, its pool's totals (open, idle, busy, reuse
 * ratio, stale retries, failures), its tunnels (dedicated connections of
 * upgraded requests, once there have been any) and one row per pooled connection: idle
 * or busy, requests it carried, and while idle the time left before the
 * pool retires it — set by the upstream's `Keep-Alive: timeout` hint minus
 * a margin, so the page shows the proxy letting go before the upstream
 * would (the race that makes other proxies answer 502).
 *
 * Plain ES5-era JavaScript inlined into the page's one script (see
 * `live_page_script.ts`), which calls `renderUpstreams(list, at, now)` on
 * every frame; the panel stays hidden while `list` is null (not a proxy).
 * All data is written with `textContent`, never parsed as HTML.
 *
 * @module
 */

/**
 * The panel's markup, hidden until upstreams arrive.
 *
 * @example
 * ```ts
 * import { LIVE_UPSTREAMS_HTML } from "./live_page_upstreams.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(LIVE_UPSTREAMS_HTML.includes('id="upstreams"'));
 * ```
 */
export const LIVE_UPSTREAMS_HTML: string = `<section class="panel" id="upstreams" hidden>
<h2>Upstreams <small>the proxy's pooled connections to each upstream</small></h2>
<div id="upstream-list"></div>
<div class="note">Idle left: how long the proxy will still reuse an idle connection, set by the upstream's Keep-Alive: timeout hint minus a margin, so the proxy lets go first. A stale retry is a request resent on a fresh connection after a reused one closed under it (idempotent requests only).</div>
</section>`;

/**
 * The panel's drawing function, `renderUpstreams(list, at, now)`: `list`
 * is the last `upstreams` received (or null), `at` the server time it was
 * taken, `now` the server time of the frame.
 *
 * @example
 * ```ts
 * import { LIVE_UPSTREAMS_SCRIPT } from "./live_page_upstreams.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(LIVE_UPSTREAMS_SCRIPT.includes("function renderUpstreams("));
 * assert.ok(!LIVE_UPSTREAMS_SCRIPT.includes("</script"));
 * ```
 */
export const LIVE_UPSTREAMS_SCRIPT: string = String.raw`
  function upstreamChip(box, label, value, title) {
    var chip = document.createElement("span");
    chip.className = "chip";
    if (title) chip.title = title;
    var b = document.createElement("b"); b.textContent = value;
    chip.appendChild(document.createTextNode(label + " "));
    chip.appendChild(b);
    box.appendChild(chip);
  }
  function renderUpstreams(list, at, now) {
    var panel = document.getElementById("upstreams");
    if (!panel) return;
    if (!list) { panel.hidden = true; return; }
    panel.hidden = false;
    var box = document.getElementById("upstream-list");
    while (box.firstChild) box.removeChild(box.firstChild);
    var elapsed = Math.max(0, now - at);
    list.forEach(function (u) {
      var block = document.createElement("div");
      block.setAttribute("data-upstream", u.url);
      var title = document.createElement("div");
      title.className = "upstream-url";
      title.textContent = u.url + (u.backingOff ? " · backing off (refused connections)" : "");
      block.appendChild(title);
      var chips = document.createElement("div");
      chips.className = "limits";
      var busy = u.connections.filter(function (c) { return c.state === "busy"; }).length;
      upstreamChip(chips, "open", u.open + " (" + (u.open - busy) + " idle, " + busy + " busy)");
      upstreamChip(chips, "requests", String(u.requests));
      upstreamChip(chips, "reuse", u.requests ? Math.round(100 * u.reuseRatio) + "%" : "–",
        "share of requests sent on a connection that had carried one before");
      upstreamChip(chips, "connections opened", String(u.connectionsOpened));
      upstreamChip(chips, "stale retries", String(u.staleRetries),
        "requests resent on a fresh connection after a reused one closed before answering");
      upstreamChip(chips, "502/504", String(u.failures));
      if (u.queued) upstreamChip(chips, "queued", String(u.queued));
      if (u.tunnelsOpened) {
        upstreamChip(chips, "tunnels", u.tunnels + " open, " + u.tunnelsOpened + " opened",
          "dedicated connections for upgraded requests (WebSocket), outside the pool, open until either side closes");
      }
      block.appendChild(chips);
      var table = document.createElement("table");
      var head = document.createElement("tr");
      ["id", "state", "req.", "idle left", "upstream hint"].forEach(function (name, i) {
        var th = document.createElement("th");
        th.textContent = name;
        if (i === 2) th.className = "num";
        if (i === 4) th.className = "wide";
        head.appendChild(th);
      });
      var thead = document.createElement("thead"); thead.appendChild(head); table.appendChild(thead);
      var body = document.createElement("tbody");
      if (u.connections.length === 0) {
        var empty = document.createElement("tr");
        cell(empty, "no pooled connections", "empty").colSpan = 5;
        body.appendChild(empty);
      }
      u.connections.forEach(function (c) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-upstream-connection", String(c.id));
        cell(tr, "#" + c.id);
        var badge = document.createElement("span");
        badge.className = "state " + c.state;
        badge.textContent = c.state;
        cell(tr, "").appendChild(badge);
        cell(tr, String(c.requests), "num");
        var left = cell(tr, "–", "left");
        if (c.state === "idle" && c.idleTimeLeft !== null) {
          var ms = Math.max(0, c.idleTimeLeft - elapsed);
          left.textContent = seconds(ms);
          var bar = document.createElement("span");
          bar.className = "bar";
          var fill = document.createElement("i");
          fill.style.width = Math.min(100, 100 * ms / Math.max(1, c.idleLifetime)).toFixed(1) + "%";
          bar.appendChild(fill);
          left.appendChild(bar);
        }
        cell(tr, c.serverTimeout === null ? "none" : "timeout " + span(c.serverTimeout) +
          (c.remainingRequests === null ? "" : ", max " + c.remainingRequests), "wide");
        body.appendChild(tr);
      });
      table.appendChild(body);
      block.appendChild(table);
      box.appendChild(block);
    });
  }
`;
