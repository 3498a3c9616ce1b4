// The live page in a real browser: it must draw connections it only hears of through its
// event stream, and fit a 420 px screen without sideways scrolling, three-digit ids included.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { type CliProcess, startCli } from "./_cli_process.ts";
import { chromium, liveStats, withChromium } from "./_chromium.ts";

/** A page that measures the live page in a 420 px iframe (same origin, so it may look inside). */
const FRAME_PAGE = `<!doctype html><html><body style="margin:0">
<iframe id="live" src="/_keepwire/" width="420" height="900" style="border:0"></iframe>
<p id="measured"></p>
<script>
setInterval(function () {
  var doc = document.getElementById("live").contentDocument;
  if (!doc || !doc.getElementById("timeline")) return;
  var root = doc.documentElement, out = document.getElementById("measured");
  var labels = doc.querySelectorAll("#timeline text.id");
  var bars = doc.querySelectorAll("#chart rect[data-connection]");
  out.setAttribute("data-client", String(root.clientWidth));
  out.setAttribute("data-scroll", String(root.scrollWidth));
  out.setAttribute("data-rows", String(doc.querySelectorAll("#timeline [data-connection]").length));
  out.setAttribute("data-last-id", labels.length ? labels[labels.length - 1].textContent : "#0");
  out.setAttribute("data-ids", [].map.call(bars, function (bar) { return bar.getAttribute("data-connection"); }).join(","));
}, 100);
</script>
<!-- An event stream: the page finishes loading only when the server ends it (at shutdown). -->
<script src="/_keepwire/events"></script>
</body></html>
`;

withChromium("live page in a browser", () => {
  describe("the live page in headless Chromium", () => {
    let profile = "";
    let framed: CliProcess;

    before(async () => {
      profile = await mkdtemp(join(tmpdir(), "kw-chromium-live-"));
      const site = join(profile, "site");
      await mkdir(site, { recursive: true });
      await writeFile(join(site, "frame.html"), FRAME_PAGE);
      framed = await startCli(["serve", site, "--port", "0", "--keep-alive-timeout", "30"]);
    });

    after(async () => {
      if (framed.child.exitCode === null) await framed.stop();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "draws connections pushed after it loaded, and fits 420 px with three-digit ids",
      { timeout: 60_000 },
      async () => {
        const { port } = await framed.listening();
        // 120 short connections first: the timeline's ids reach three digits.
        for (let i = 0; i < 120; i++) await liveStats(port);
        // Chromium's headless window is at least 500 px wide, so the page is measured in a
        // 420 px iframe of a page on the same origin. That page does not finish loading
        // until the server ends its event streams; Chromium dumps the DOM then.
        const dumped = chromium(profile, [
          "--window-size=800,900",
          "--timeout=40000",
          "--dump-dom",
          `http://127.0.0.1:${port}/frame.html`,
        ]);
        // Once the live page's event stream and the frame's blocker are open (busy; our own
        // look is closing), three connections open, carry a request and close: only the
        // event stream can tell the page about them.
        for (let tries = 0; tries < 600; tries++) {
          const { connections } = await liveStats(port);
          if (connections.filter((c) => c.state === "busy").length >= 2) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        for (let i = 0; i < 3; i++) await liveStats(port);
        const last = (await liveStats(port)).stats.totalConnections;
        const pushed = [last - 3, last - 2, last - 1];
        // Events go out every 100 ms and the page draws every 250 ms.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await framed.stop();
        const dom = await dumped;
        const measured =
          /<p id="measured" data-client="(\d+)" data-scroll="(\d+)" data-rows="(\d+)" data-last-id="#(\d+)" data-ids="([\d,]*)"/
            .exec(dom);
        assert.ok(measured !== null, `the frame page reported nothing:\n${dom.slice(-600)}`);
        const [client, scroll, rows, lastId] = measured.slice(1, 5).map(Number);
        const ids = measured[5].split(",").map(Number);
        for (const id of pushed) assert.ok(ids.includes(id), `#${id} is drawn (bars: ${ids})`);
        assert.ok(client <= 420 && client >= 380, `the frame is 420 px wide (client ${client})`);
        assert.equal(scroll, client, "no sideways scrolling at 420 px");
        assert.ok(rows >= 10, `the timeline shows rows (${rows})`);
        assert.ok(lastId >= 120, `three-digit ids are drawn (#${lastId})`);
      },
    );
  });
});
