// The real-browser test over HTTPS (issue 14): `keepwire serve --cert --key` with the
// committed test certificate, and headless Chromium trusting that certificate by its key
// only (TRUST_TEST_CERT, not a blanket ignore), loads the 60-asset demo page; the server's
// own stats must show it carried them on at most 6 reused keep-alive connections, as over
// plain HTTP (browser_test.ts). Without that trust Chromium must refuse the handshake,
// which the server counts as a failed handshake and never as a connection.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { tlsFixturePath } from "../_support/tls.ts";
import { type CliProcess, startCli } from "./_cli_process.ts";
import {
  assertLoadedOverKeepAlive,
  chromium,
  liveStats,
  TRUST_TEST_CERT,
  withChromium,
} from "./_chromium.ts";

withChromium("real browser over TLS", () => {
  describe("real browser over TLS: keepwire serve --cert --key", () => {
    let cli: CliProcess;
    let port = 0;
    let profile = "";

    before(async () => {
      profile = await mkdtemp(join(tmpdir(), "kw-chromium-tls-"));
      cli = await startCli([
        "serve",
        "scripts/demo_site",
        "--port",
        "0",
        "--cert",
        tlsFixturePath("cert.pem"),
        "--key",
        tlsFixturePath("key.pem"),
      ]);
      const listening = await cli.listening();
      assert.ok(listening.origin.startsWith("https://"), listening.origin);
      port = listening.port;
    });

    after(async () => {
      if (cli.child.exitCode === null) await cli.stop();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "loads the 60-asset demo page over https on at most 6 reused connections",
      { timeout: 90_000 },
      async () => {
        const before = await liveStats(port, { tls: true });
        const dom = await chromium(join(profile, "trusting"), [
          TRUST_TEST_CERT,
          "--dump-dom",
          `https://127.0.0.1:${port}/`,
        ]);
        const afterLoad = await liveStats(port, { tls: true });
        assertLoadedOverKeepAlive(dom, before, afterLoad);
        assert.equal(afterLoad.stats.failedHandshakes ?? 0, before.stats.failedHandshakes ?? 0);
      },
    );

    test(
      "without the certificate's key trusted, Chromium refuses the handshake and nothing loads",
      { timeout: 60_000 },
      async () => {
        const before = await liveStats(port, { tls: true });
        const dom = await chromium(join(profile, "untrusting"), [
          "--dump-dom",
          `https://127.0.0.1:${port}/`,
        ]);
        const afterLoad = await liveStats(port, { tls: true });
        assert.ok(!dom.includes("data-loaded"), `the page loaded anyway:\n${dom.slice(-300)}`);
        assert.ok(
          (afterLoad.stats.failedHandshakes ?? 0) > (before.stats.failedHandshakes ?? 0),
          `no failed handshake was counted: ${JSON.stringify(afterLoad.stats)}`,
        );
        // A refused handshake is never a connection: only the stats probe itself counts.
        assert.equal(afterLoad.stats.totalConnections, before.stats.totalConnections + 1);
        assert.equal(afterLoad.stats.totalRequests, before.stats.totalRequests + 1);
      },
    );
  });
});
