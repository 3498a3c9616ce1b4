/**
 * https:// upstreams (issue 17): trusted through `upstreamCa` (the
 * committed long-lived fixture as a private CA) or `upstreamInsecure`; a
 * refused certificate is a 502 with one log line per back-off period, and
 * one connection attempt per request at most — never a retry storm. An
 * upgrade goes over TLS too.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer as createNetServer, type Socket } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { createProxyHandler, type ProxyOptions } from "../../lib/handlers/proxy.ts";
import { upgradeConnection } from "../../lib/connection/upgrade_connection.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };

/** A TLS upstream that says who it is, and echoes bytes after an upgrade. */
function startTlsUpstream(): Promise<Server> {
  return serve({ ...LOCAL, tls: { cert: TEST_CERT, key: TEST_KEY } }, (request) => {
    if (request.headers.get("upgrade") !== null) {
      const { response, connection } = upgradeConnection(request, { protocol: "echo" });
      connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
      return response;
    }
    return new Response(`secure ${new URL(request.url).protocol} ${request.headers.get("via")}`);
  });
}

/** A TCP relay in front of `port` that counts the connections made through it. */
async function countingRelay(
  port: number,
): Promise<{ close(): Promise<void>; port: number; count(): number }> {
  let count = 0;
  const sockets: Socket[] = [];
  const relay = createNetServer((inbound) => {
    count++;
    const outbound = connect(port, "127.0.0.1");
    sockets.push(inbound, outbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => relay.close(resolve));
  };
  return { close, port: (relay.address() as { port: number }).port, count: () => count };
}

async function withTlsProxy(
  options: Partial<ProxyOptions>,
  run: (port: number, lines: string[], upstreamPort: number, opened: () => number) => Promise<void>,
): Promise<void> {
  const app = await startTlsUpstream();
  const relay = await countingRelay(app.addr.port);
  const { port, count } = relay;
  const lines: string[] = [];
  const proxy = createProxyHandler({
    // Through the relay, so the certificate's IP SAN (127.0.0.1) still matches.
    upstreams: [`https://127.0.0.1:${port}`],
    log: (line) => lines.push(line),
    ...options,
  });
  const front = await serve(LOCAL, proxy);
  try {
    await run(front.addr.port, lines, port, count);
  } finally {
    await front.shutdown();
    await proxy.close();
    await relay.close();
    await app.shutdown();
  }
}

async function get(port: number): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/x`);
  return { status: response.status, text: await response.text() };
}

describe("proxy: https upstreams", { timeout: 30_000 }, () => {
  test("trusted through upstreamCa: answered, and the connection is reused", async () => {
    await withTlsProxy({ upstreamCa: TEST_CERT }, async (port, lines, _, opened) => {
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await get(port), { status: 200, text: "secure https: 1.1 keepwire" });
      }
      assert.equal(opened(), 1);
      assert.deepEqual(lines, []);
    });
  });

  test("upstreamInsecure accepts the certificate without a CA", async () => {
    await withTlsProxy({ upstreamInsecure: true }, async (port, lines) => {
      assert.deepEqual(await get(port), { status: 200, text: "secure https: 1.1 keepwire" });
      assert.deepEqual(lines, []);
    });
  });

  test("an untrusted certificate: 502 and one log line, one attempt per request", async () => {
    await withTlsProxy({}, async (port, lines, upstreamPort, opened) => {
      for (let i = 0; i < 3; i++) {
        const { status, text } = await get(port);
        assert.equal(status, 502);
        assert.match(text, /certificate-error/);
      }
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], new RegExp(`https://127\\.0\\.0\\.1:${upstreamPort}`));
      assert.ok(opened() >= 1 && opened() <= 3, `${opened()} connections for 3 requests`);
    });
  });

  test("an upgrade goes over TLS on its own connection", async () => {
    await withTlsProxy({ upstreamCa: TEST_CERT }, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
        );
        const head = await client.readUntil("\r\n\r\n");
        assert.match(head, /^HTTP\/1\.1 101 /);
        await client.write("through tls");
        assert.equal(new TextDecoder().decode(await client.readBytes(11)), "through tls");
      } finally {
        client.destroy();
      }
    });
  });

  test("an upgrade to an untrusted upstream is a 502", async () => {
    await withTlsProxy({}, async (port, lines) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
        );
        assert.equal((await readResponse(client)).status, 502);
        assert.equal(lines.length, 1);
      } finally {
        client.destroy();
      }
    });
  });
});
