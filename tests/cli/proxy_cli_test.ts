/**
 * `keepwire proxy`: its flags parsed (pure), and the command run as a child
 * process in front of an upstream on each runtime.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, USAGE, UsageError } from "../../lib/cli/args.ts";
import { serve } from "../../lib/serve.ts";
import { runCli, startCli } from "./_cli_process.ts";
import { TEST_CERT, TEST_KEY, tlsFixturePath } from "../_support/tls.ts";
import { RawClient } from "../_support/raw_client.ts";
import { createEchoHandler } from "../../lib/handlers/echo.ts";

describe("keepwire proxy: flags", () => {
  test("--to repeats; upstream flags in milliseconds; --balance", () => {
    const command = parseArgs([
      "proxy",
      "--to",
      "http://127.0.0.1:3000",
      "--to=http://[::1]:3001/app",
      "--upstream-connections",
      "4",
      "--upstream-keep-alive-timeout",
      "1500",
      "--upstream-timeout=2500",
      "--balance",
      "least-connections",
      "--port",
      "0",
    ]);
    assert.equal(command.command, "proxy");
    assert.equal(command.options.port, 0);
    assert.deepEqual(command.proxy, {
      upstreams: ["http://127.0.0.1:3000/", "http://[::1]:3001/app"],
      upstreamConnections: 4,
      upstreamKeepAliveTimeout: 1500,
      upstreamTimeout: 2500,
      balance: "least-connections",
    });
  });

  test("--upstream-ca FILE and --upstream-insecure", () => {
    const command = parseArgs([
      "proxy",
      "--to",
      "https://127.0.0.1:3443",
      "--upstream-ca",
      "ca.pem",
      "--upstream-insecure",
    ]);
    assert.deepEqual(command.proxy, {
      upstreams: ["https://127.0.0.1:3443/"],
      upstreamCaFile: "ca.pem",
      upstreamInsecure: true,
    });
    assert.throws(() => parseArgs(["echo", "--upstream-insecure"]), /is for proxy/);
  });

  const refused: [string, string[], RegExp][] = [
    ["no upstream", ["proxy"], /at least one upstream/],
    ["not a URL", ["proxy", "--to", "localhost"], /expected a URL/],
    ["not http", ["proxy", "--to", "ftp://x/"], /http: or https:/],
    ["bad strategy", ["proxy", "--to", "http://a/", "--balance", "random"], /round-robin/],
    [
      "zero connections",
      ["proxy", "--to", "http://a/", "--upstream-connections", "0"],
      /at least 1/,
    ],
    ["fractional ms", ["proxy", "--to", "http://a/", "--upstream-timeout", "1.5"], /milliseconds/],
    ["proxy flag on echo", ["echo", "--to", "http://a/"], /--to is for proxy/],
    ["missing value", ["proxy", "--to"], /missing value/],
  ];
  for (const [name, argv, message] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => parseArgs(argv), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test("--help documents the proxy command and its flags", () => {
    for (
      const text of [
        "keepwire proxy --to URL",
        "--upstream-connections",
        "--upstream-keep-alive-timeout",
        "--upstream-timeout",
        "--balance",
        "--upstream-ca FILE",
        "--upstream-insecure",
      ]
    ) {
      assert.ok(USAGE.includes(text), text);
    }
  });
});

describe("keepwire proxy: the command", { timeout: 60_000 }, () => {
  test("proxies to the upstream, adds Via, exits 0 on SIGTERM", async () => {
    const app = await serve(
      { port: 0, hostname: "127.0.0.1" },
      (request) =>
        new Response(
          `upstream saw ${new URL(request.url).pathname} via ${request.headers.get("via")}`,
        ),
    );
    const cli = await startCli([
      "proxy",
      "--port",
      "0",
      "--to",
      `http://127.0.0.1:${app.addr.port}`,
      "--upstream-connections",
      "2",
    ]);
    try {
      const { origin } = await cli.listening();
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${origin}/p${i}`);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), `upstream saw /p${i} via 1.1 keepwire`);
        assert.equal(response.headers.get("via"), "1.1 keepwire");
      }
      assert.match(cli.stdout, /Proxying to http:\/\/127\.0\.0\.1:\d+\//);
      const result = await cli.stop();
      assert.equal(result.code, 0);
    } finally {
      cli.child.kill("SIGKILL");
      await app.shutdown();
    }
  });

  test("--to https:// with --upstream-ca: proxied over TLS; without it, 502 and a log line", async () => {
    const app = await serve(
      { port: 0, hostname: "127.0.0.1", tls: { cert: TEST_CERT, key: TEST_KEY }, onListen() {} },
      (request) => new Response(`tls upstream via ${request.headers.get("via")}`),
    );
    const upstream = `https://127.0.0.1:${app.addr.port}`;
    const trusting = await startCli([
      "proxy",
      "--port",
      "0",
      "--to",
      upstream,
      "--upstream-ca",
      tlsFixturePath("cert.pem"),
    ]);
    const untrusting = await startCli(["proxy", "--port", "0", "--to", upstream]);
    try {
      const { origin } = await trusting.listening();
      const response = await fetch(`${origin}/`);
      assert.equal(await response.text(), "tls upstream via 1.1 keepwire");
      const refused = await fetch(`${(await untrusting.listening()).origin}/`);
      await refused.body?.cancel();
      assert.equal(refused.status, 502);
      assert.equal((await trusting.stop()).code, 0);
      const result = await untrusting.stop();
      assert.equal(result.code, 0);
      assert.match(result.stderr, /upstream certificate refused/);
    } finally {
      trusting.child.kill("SIGKILL");
      untrusting.child.kill("SIGKILL");
      await app.shutdown();
    }
  });

  test("a WebSocket through the command to keepwire echo's /ws", async () => {
    const app = await serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      createEchoHandler(() => undefined),
    );
    const cli = await startCli([
      "proxy",
      "--port",
      "0",
      "--to",
      `http://127.0.0.1:${app.addr.port}`,
    ]);
    const { origin } = await cli.listening();
    const client = await RawClient.connect(Number(new URL(origin).port));
    try {
      await client.write(
        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      const head = await client.readUntil("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.match(head, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
      // A masked text frame "hi" (RFC 6455 §5.3), echoed unmasked.
      await client.write(new Uint8Array([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]));
      assert.deepEqual([...await client.readBytes(4)], [0x81, 2, 0x68, 0x69]);
      client.destroy();
      assert.equal((await cli.stop()).code, 0);
    } finally {
      client.destroy();
      cli.child.kill("SIGKILL");
      await app.shutdown();
    }
  });

  test("a usage error exits 2", async () => {
    const result = await runCli(["proxy", "--port", "0"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /at least one upstream/);
  });
});
