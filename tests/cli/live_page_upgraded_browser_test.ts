// Upgraded connections on the live page, in headless Chromium (issue 16). A keepwire server in
// this process serves the live page, a WebSocket echo at /ws and a frame page. The frame page
// opens the live page in an iframe, waits for its event stream, then opens two WebSockets of
// Chromium's own: the live page must learn of them from its events alone and draw them as
// `upgraded` (the count, the table's badge in its own colour, the chart's bar, the timeline's
// stretch). After one WebSocket closes it must show it closed and the other still upgraded. A
// second iframe opened while they are upgraded must draw them from its first snapshot.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { createLiveHandler } from "../../lib/handlers/live.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { chromium, withChromium } from "./_chromium.ts";

/** The colour the page gives `upgraded` (its `--upgraded`), as computed styles report it. */
const UPGRADED_RGB = "rgb(219, 97, 162)";

const FRAME_PAGE = `<!doctype html><html><body style="margin:0">
<iframe id="live" src="/_keepwire/" width="900" height="900" style="border:0"></iframe>
<iframe id="late" width="900" height="900" style="border:0"></iframe>
<script>
function look(frame) {
  var doc = document.getElementById(frame).contentDocument;
  var rows = [].map.call(doc.querySelectorAll("#rows tr"), function (tr) {
    var badge = tr.querySelector(".state");
    return badge ? [tr.firstChild.textContent, badge.className, getComputedStyle(badge).backgroundColor] : null;
  }).filter(Boolean);
  var bars = {};
  [].forEach.call(doc.querySelectorAll("#chart rect[data-connection]"), function (bar) {
    bars[bar.getAttribute("data-connection")] = bar.getAttribute("fill");
  });
  var stretches = [].map.call(doc.querySelectorAll("#timeline rect[data-upgraded]"), function (rect) {
    return Number(rect.getAttribute("data-upgraded"));
  });
  return { count: doc.getElementById("t-upgraded").textContent, rows: rows, bars: bars, stretches: stretches };
}
function until(test) {
  return new Promise(function (resolve) {
    var timer = setInterval(function () { if (test()) { clearInterval(timer); resolve(); } }, 50);
  });
}
function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
function opened(url) {
  return new Promise(function (resolve, reject) {
    var ws = new WebSocket(url);
    ws.onopen = function () { resolve(ws); };
    ws.onerror = function () { reject(new Error("could not open " + url)); };
  });
}
(async function () {
  var report = {};
  try {
    await until(function () {
      var doc = document.getElementById("live").contentDocument;
      var status = doc && doc.getElementById("status");
      return status && status.textContent.indexOf("live") === 0;
    });
    var url = "ws://" + location.host + "/ws";
    var first = await opened(url);
    var second = await opened(url);
    // Events go out every 100 ms and the page draws every 250 ms.
    await sleep(1000);
    report.bothOpen = look("live");
    var late = document.getElementById("late");
    late.src = "/_keepwire/";
    await until(function () { return late.contentDocument && late.contentDocument.getElementById("t-upgraded") && late.contentDocument.readyState === "complete"; });
    await sleep(300);
    report.late = look("late");
    var closed = new Promise(function (resolve) { first.onclose = resolve; });
    first.close(1000, "done");
    await closed;
    await sleep(1000);
    report.oneClosed = look("live");
    second.close(1000, "done");
  } catch (error) {
    report.error = String(error && error.stack || error);
  }
  await fetch("/report", { method: "POST", body: JSON.stringify(report) });
})();
</script>
<script src="/hold.js"></script>
</body></html>
`;

interface Look {
  count: string;
  rows: [string, string, string][];
  bars: Record<string, string>;
  stretches: number[];
}

withChromium("live page upgraded in a browser", () => {
  describe("the live page in headless Chromium: upgraded connections", () => {
    let profile = "";
    let server: Server;
    const webSocketIds: number[] = [];
    let reported!: (report: Record<string, unknown>) => void;
    const report = new Promise<Record<string, unknown>>((resolve) => (reported = resolve));
    const stopLive = new AbortController();

    before(async () => {
      profile = await mkdtemp(join(tmpdir(), "kw-chromium-upgraded-"));
      let live: Handler | null = null;
      server = await serve(
        { port: 0, hostname: "127.0.0.1", onListen() {} },
        async (request, info) => {
          const path = new URL(request.url).pathname;
          if (path === "/frame.html") {
            return new Response(FRAME_PAGE, {
              headers: { "content-type": "text/html; charset=utf-8" },
            });
          }
          if (path === "/hold.js") {
            await report;
            return new Response("", { headers: { "content-type": "text/javascript" } });
          }
          if (path === "/report") {
            reported(JSON.parse(await request.text()));
            return new Response(null, { status: 204 });
          }
          if (path === "/ws") {
            const { socket, response } = upgradeWebSocket(request);
            webSocketIds.push(info.connection.id);
            socket.onmessage = (event) => socket.send((event as MessageEvent).data);
            return response;
          }
          return live!(request, info);
        },
      );
      live = createLiveHandler({ getServer: () => server, signal: stopLive.signal });
    });

    after(async () => {
      stopLive.abort();
      await server.shutdown();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "draws WebSockets as upgraded from its events and its first snapshot, then one closed",
      { timeout: 60_000 },
      async () => {
        const dumped = chromium(profile, [
          "--window-size=1000,900",
          "--timeout=40000",
          "--dump-dom",
          `http://127.0.0.1:${server.addr.port}/frame.html`,
        ]);
        const outcome: Record<string, unknown> = await Promise.race([
          report,
          dumped.then(() => ({ error: "Chromium finished before the page reported" })),
        ]);
        stopLive.abort();
        await dumped;
        assert.equal(outcome.error, undefined, String(outcome.error));
        assert.equal(webSocketIds.length, 2);
        const [first, second] = webSocketIds;
        const badge = (look: Look, id: number) => look.rows.find((row) => row[0] === `#${id}`);

        // Both open: learned from the event stream only (they opened after the page).
        const bothOpen = outcome.bothOpen as Look;
        assert.equal(bothOpen.count, "2");
        for (const id of [first, second]) {
          assert.deepEqual(badge(bothOpen, id), [`#${id}`, "state upgraded", UPGRADED_RGB]);
          assert.equal(bothOpen.bars[id], "var(--upgraded)");
          assert.ok(bothOpen.stretches.includes(id), `#${id} has an upgraded stretch`);
        }
        // A page opened while they are upgraded draws them from its snapshot.
        const late = outcome.late as Look;
        assert.equal(late.count, "2");
        for (const id of [first, second]) {
          assert.deepEqual(badge(late, id), [`#${id}`, "state upgraded", UPGRADED_RGB]);
          assert.ok(late.stretches.includes(id));
        }
        // One closed: gone from the open table, its bar closed, its upgraded stretch kept.
        const oneClosed = outcome.oneClosed as Look;
        assert.equal(oneClosed.count, "1");
        assert.equal(badge(oneClosed, first), undefined);
        assert.equal(oneClosed.bars[first], "var(--closed)");
        assert.ok(oneClosed.stretches.includes(first));
        assert.deepEqual(badge(oneClosed, second), [`#${second}`, "state upgraded", UPGRADED_RGB]);
        // Nothing else is drawn as upgraded.
        const upgradedRows = oneClosed.rows.filter((row) => row[1] === "state upgraded");
        assert.deepEqual(upgradedRows.map((row) => row[0]), [`#${second}`]);
      },
    );
  });
});
