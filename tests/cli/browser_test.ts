// The real-browser test: headless Chromium loads the demo site (60 assets) from
// `keepwire serve` running as a child process, and the server's own stats must show
// the browser carried them over at most 6 keep-alive connections. Then it takes the
// screenshot of the live page: into a temp folder, or over docs/live-page.png (the
// README's picture) when KEEPWIRE_UPDATE_SCREENSHOT=1, so a test run leaves the tree clean.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import process from "node:process";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { type CliProcess, ROOT, startCli } from "./_cli_process.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const IN_CI = process.env.CI === "true";
const MISSING =
  `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM=/path)`;
const UPDATE_SCREENSHOT = process.env.KEEPWIRE_UPDATE_SCREENSHOT === "1";
/** Browsers open at most 6 connections per host for HTTP/1.1 (Chromium's per-group limit). */
const MAX_BROWSER_CONNECTIONS = 6;
const ASSETS = 60;

if (!existsSync(CHROMIUM)) {
  if (IN_CI) {
    test("real browser: Chromium is installed (CI=true requires it)", () => assert.fail(MISSING));
  } else {
    console.warn(`skipping the real-browser test: ${MISSING}`);
    test("real browser: skipped, Chromium is not installed", { skip: MISSING }, () => {});
  }
} else {
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

        assert.ok(
          dom.includes(`data-loaded="${ASSETS}"`),
          `the page did not report ${ASSETS} loaded assets:\n${dom.slice(-600)}`,
        );
        // Each liveStats() call is one connection carrying one request (Connection: close).
        const connections = afterLoad.stats.totalConnections - before.stats.totalConnections - 1;
        const requests = afterLoad.stats.totalRequests - before.stats.totalRequests - 1;
        assert.ok(
          connections >= 1 && connections <= MAX_BROWSER_CONNECTIONS,
          `browser used ${connections} connections`,
        );
        assert.ok(
          requests >= ASSETS + 1,
          `browser made ${requests} requests, expected the page and ${ASSETS} assets`,
        );
        assert.ok(
          afterLoad.stats.reusedRequests - before.stats.reusedRequests >= requests - connections,
        );

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
}

interface LiveStats {
  stats: { totalConnections: number; totalRequests: number; reusedRequests: number };
}

/** Reads /_keepwire/stats.json over a fresh connection closed after the one request, so it costs exactly one connection. */
async function liveStats(port: number): Promise<LiveStats> {
  const client = await RawClient.connect(port);
  await client.write(
    "GET /_keepwire/stats.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
  );
  const response = await readResponse(client);
  client.destroy();
  assert.equal(response.status, 200);
  return JSON.parse(response.text);
}

/** Runs headless Chromium once with the flags the issue fixes, talking to 127.0.0.1 only; resolves with stdout. */
function chromium(profile: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    // Every host name fails to resolve except the loopback address the test serves on.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, flags, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => (stdout += text));
    child.stderr!.on("data", (text: string) => (stderr = (stderr + text).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Chromium did not finish within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`Chromium exited with ${code}:\n${stderr}`));
    });
  });
}
