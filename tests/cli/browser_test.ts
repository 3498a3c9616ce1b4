// The real-browser test: headless Chromium loads the demo site (60 assets) from
// `keepwire serve` running as a child process, and the server's own stats must show
// the browser carried them over at most 6 keep-alive connections, with every one of
// them on the live page. Then it takes the screenshot of the live page: into a temp
// folder, or over docs/live-page.png (the README's picture) when
// KEEPWIRE_UPDATE_SCREENSHOT=1, so a test run leaves the tree clean. (Over HTTPS:
// tls_browser_test.ts; the live page's own browser test is live_page_browser_test.ts;
// WebSocket: websocket_browser_test.ts.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import process from "node:process";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { type CliProcess, ROOT, startCli } from "./_cli_process.ts";
import {
  assertLoadedOverKeepAlive,
  chromium,
  HAS_CHROMIUM,
  IN_CI,
  liveStats,
  MISSING,
  withChromium,
} from "./_chromium.ts";

const UPDATE_SCREENSHOT = process.env.KEEPWIRE_UPDATE_SCREENSHOT === "1";

if (!HAS_CHROMIUM && !IN_CI) console.warn(`skipping the real-browser test: ${MISSING}`);
withChromium("real browser", () => {
  describe("real browser (headless Chromium) against keepwire serve", () => {
    let cli: CliProcess;
    let port = 0;
    let profile = "";

    before(async () => {
      profile = await mkdtemp(join(tmpdir(), "kw-chromium-"));
      cli = await startCli(["serve", "scripts/demo_site", "--port", "0"]);
      ({ port } = await cli.listening());
    });

    after(async () => {
      if (cli.child.exitCode === null) await cli.stop();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "loads the 60-asset demo page over at most 6 connections, then screenshots the live page",
      { timeout: 120_000 },
      async () => {
        const before = await liveStats(port);
        const dom = await chromium(profile, ["--dump-dom", `http://127.0.0.1:${port}/`]);
        const afterLoad = await liveStats(port);

        assertLoadedOverKeepAlive(dom, before, afterLoad);

        const scene = UPDATE_SCREENSHOT ? await keepAliveScene(port) : null;
        const screenshot = UPDATE_SCREENSHOT
          ? join(ROOT, "docs", "live-page.png")
          : join(profile, "live-page.png");
        await mkdir(join(screenshot, ".."), { recursive: true });
        await rm(screenshot, { force: true });
        await chromium(profile, [
          "--hide-scrollbars",
          "--window-size=1280,900",
          `--screenshot=${screenshot}`,
          `http://127.0.0.1:${port}/_keepwire/`,
        ]);
        scene?.destroy();
        const png = await readFile(screenshot);
        assert.deepEqual(
          [...png.subarray(1, 4)],
          [0x50, 0x4e, 0x47],
          "the screenshot is a PNG",
        );
        assert.ok(png.byteLength > 10_000, "the screenshot is not blank");
      },
    );
  });
});

/**
 * For the README's picture only: next to the browser's connections, one that carries a
 * request every 600 ms and then waits kept alive, and one left idle until its timeout
 * (5 s, the default) closes it, so the timeline shows idle stretches ending both ways.
 */
async function keepAliveScene(port: number): Promise<RawClient> {
  const request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const timedOut = await RawClient.connect(port);
  await timedOut.write(request);
  await readResponse(timedOut);
  const busy = await RawClient.connect(port);
  for (let i = 0; i < 5; i++) {
    await busy.write(request);
    await readResponse(busy);
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
  await timedOut.ended;
  timedOut.destroy();
  return busy;
}
