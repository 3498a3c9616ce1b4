/**
 * `keepwire proxy`'s live page (issue 17): on by default on loopback, its
 * stats.json carries the upstream pools next to the downstream connections,
 * `--no-live` turns it off (the path is then proxied like any other), and
 * in headless Chromium the page draws one row per pooled upstream
 * connection.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { serve } from "../../lib/serve.ts";
import type { LiveSnapshot } from "../../lib/handlers/live.ts";
import { startCli } from "./_cli_process.ts";
import { chromium, withChromium } from "./_chromium.ts";

async function withUpstream(run: (url: string) => Promise<void>): Promise<void> {
  const app = await serve(
    { port: 0, hostname: "127.0.0.1", keepAliveTimeout: 30_000 },
    (request) => new Response(`upstream ${new URL(request.url).pathname}`),
  );
  try {
    await run(`http://127.0.0.1:${app.addr.port}`);
  } finally {
    await app.shutdown();
  }
}

describe("keepwire proxy: the live page", { timeout: 90_000 }, () => {
  test("stats.json shows the downstream connections and the upstream pool", async () => {
    await withUpstream(async (upstream) => {
      const cli = await startCli(["proxy", "--port", "0", "--to", upstream]);
      try {
        const { origin } = await cli.listening();
        for (let i = 0; i < 4; i++) {
          assert.equal(await (await fetch(`${origin}/p${i}`)).text(), `upstream /p${i}`);
        }
        assert.match(cli.stdout, /Live connections: http:\/\/127\.0\.0\.1:\d+\/_keepwire\//);
        const snapshot = await (await fetch(`${origin}/_keepwire/stats.json`))
          .json() as LiveSnapshot;
        assert.ok(snapshot.stats.totalRequests >= 4);
        const [pool] = snapshot.upstreams!;
        assert.equal(pool.url, `${upstream}/`);
        assert.equal(pool.requests, 4, "the live page's own request is not proxied");
        assert.equal(pool.connections.reduce((sum, c) => sum + c.requests, 0), 4);
        assert.ok(pool.connections.every((c) => c.serverTimeout === 30_000));
        assert.equal(pool.staleRetries, 0);
        assert.equal((await cli.stop()).code, 0);
      } finally {
        cli.child.kill("SIGKILL");
      }
    });
  });

  test("--no-live proxies /_keepwire/ like any other path", async () => {
    await withUpstream(async (upstream) => {
      const cli = await startCli(["proxy", "--port", "0", "--no-live", "--to", upstream]);
      try {
        const { origin } = await cli.listening();
        const response = await fetch(`${origin}/_keepwire/stats.json`);
        assert.equal(await response.text(), "upstream /_keepwire/stats.json");
        assert.match(cli.stdout, /Live page off \(--no-live\)/);
        assert.equal((await cli.stop()).code, 0);
      } finally {
        cli.child.kill("SIGKILL");
      }
    });
  });

  withChromium("proxy live page in a browser", () => {
    test("headless Chromium draws a row per pooled upstream connection", async () => {
      const profile = await mkdtemp(join(tmpdir(), "kw-chromium-proxy-"));
      await withUpstream(async (upstream) => {
        // Pooled connections outlive Chromium's start: the upstream's 30 s hint
        // (minus the margin) sets their idle life.
        const cli = await startCli(["proxy", "--port", "0", "--to", upstream]);
        try {
          const { origin } = await cli.listening();
          // Two upstream connections: two requests in flight at once, then one more.
          await Promise.all([fetch(`${origin}/a`), fetch(`${origin}/b`)].map(async (p) => {
            await (await p).text();
          }));
          await (await fetch(`${origin}/c`)).text();
          const { upstreams } = await (await fetch(`${origin}/_keepwire/stats.json`))
            .json() as LiveSnapshot;
          const ids = upstreams![0].connections.map((c) => c.id);
          // The page draws its snapshot at first paint; the DOM is dumped after load.
          const dom = await chromium(profile, [
            "--window-size=1000,1200",
            "--timeout=5000",
            "--dump-dom",
            `${origin}/_keepwire/`,
          ]);
          assert.match(dom, /<section class="panel" id="upstreams">/, "the panel is shown");
          assert.ok(dom.includes(`${upstream}/`), "the upstream's URL is drawn");
          for (const id of ids) {
            assert.match(dom, new RegExp(`<tr data-upstream-connection="${id}">`), `row #${id}`);
          }
          assert.match(dom, /reuse <b>\d+%<\/b>/);
          assert.match(dom, /stale retries <b>0<\/b>/);
          assert.match(dom, /timeout 30 s/, "the upstream's hint");
          assert.match(dom, /<span class="state idle">idle<\/span>/);
        } finally {
          await cli.stop();
          cli.child.kill("SIGKILL");
          await rm(profile, { recursive: true, force: true });
        }
      });
    });
  });
});
