/**
 * Upgrade pass-through in the reverse proxy (RFC 9110 §7.8, RFC 6455 §4):
 * a WebSocket through the proxy to keepwire echo's /ws, with the runtime's
 * own WebSocket client and with raw frames; a raw protocol through
 * `upgradeConnection` closing from either side; a non-101 answer relayed as
 * an ordinary response; the pool never used for an upgrade.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createNetServer } from "node:net";
import { closedPort } from "./_raw_upstream.ts";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { createProxyHandler, type ProxyHandler } from "../../lib/handlers/proxy.ts";
import { createEchoHandler } from "../../lib/handlers/echo.ts";
import { upgradeConnection } from "../../lib/connection/upgrade_connection.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };
const NativeWebSocket = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;

async function withUpgradeProxy(
  upstream: Handler,
  run: (port: number, proxy: ProxyHandler, app: Server, front: Server) => Promise<void>,
): Promise<void> {
  const app = await serve(LOCAL, upstream);
  const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
  const front = await serve(LOCAL, proxy);
  try {
    await run(front.addr.port, proxy, app, front);
  } finally {
    await front.shutdown();
    await proxy.close();
    await app.shutdown();
  }
}

const echo = createEchoHandler(() => undefined);

// RFC 6455 §1.3's example key and its accept value.
const HANDSHAKE = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A masked text frame, as a client sends (RFC 6455 §5.3). */
function maskedText(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const mask = [9, 8, 7, 6];
  return new Uint8Array([
    0x81,
    0x80 | payload.length,
    ...mask,
    ...payload.map((byte, i) => byte ^ mask[i % 4]),
  ]);
}

describe("proxy: WebSocket pass-through", () => {
  test("raw frames: the 101 carries the upstream's accept; a frame sent with the handshake echoes", async () => {
    await withUpgradeProxy(echo, async (port, proxy, app) => {
      const client = await RawClient.connect(port);
      try {
        // The first frame rides in the same write as the handshake: the
        // bytes after the head must reach the upstream after the 101.
        const hello = maskedText("hello");
        const handshake = new TextEncoder().encode(HANDSHAKE);
        const both = new Uint8Array(handshake.byteLength + hello.byteLength);
        both.set(handshake);
        both.set(hello, handshake.byteLength);
        await client.write(both);
        const head = await client.readUntil("\r\n\r\n");
        assert.match(head, /^HTTP\/1\.1 101 /);
        assert.match(
          head,
          new RegExp(`\r\nsec-websocket-accept: ${ACCEPT.replace(/\+/g, "\\+")}\r\n`, "i"),
        );
        assert.match(head, /\r\nupgrade: websocket\r\n/i);
        assert.match(head, /\r\nconnection: upgrade\r\n/i);
        assert.match(head, /\r\nvia: 1\.1 keepwire\r\n/i);
        assert.doesNotMatch(head, /keep-alive/i);
        const frame = await client.readBytes(2 + 5);
        assert.deepEqual([...frame.subarray(0, 2)], [0x81, 5]); // unmasked from a server
        assert.equal(new TextDecoder().decode(frame.subarray(2)), "hello");
        await client.write(maskedText("again"));
        assert.equal(new TextDecoder().decode((await client.readBytes(7)).subarray(2)), "again");
        // A dedicated connection: the pool was never used.
        assert.equal(proxy.upstreams()[0].connectionsOpened, 0);
        assert.equal(app.stats.upgradedConnections, 1);
      } finally {
        client.destroy();
      }
    });
  });

  test("the runtime's WebSocket client: text, binary and 1 MiB echo; a clean close", {
    skip: NativeWebSocket === undefined ? "no global WebSocket (Node 20)" : false,
  }, async () => {
    await withUpgradeProxy(echo, async (port, proxy) => {
      const client = new NativeWebSocket!(`ws://127.0.0.1:${port}/ws`);
      client.binaryType = "arraybuffer";
      const next = () =>
        new Promise<unknown>((resolve) =>
          client.addEventListener("message", (event) => resolve((event as MessageEvent).data), {
            once: true,
          })
        );
      await new Promise<void>((resolve, reject) => {
        client.onopen = () => resolve();
        client.onerror = () => reject(new Error("the WebSocket did not open through the proxy"));
      });
      client.send("héllo");
      assert.equal(await next(), "héllo");
      client.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual([...new Uint8Array(await next() as ArrayBuffer)], [1, 2, 3]);
      const payload = new Uint8Array(1 << 20).map((_, i) => i * 7);
      client.send(payload);
      const echoed = new Uint8Array(await next() as ArrayBuffer);
      assert.equal(echoed.length, payload.length);
      assert.ok(echoed.every((byte, i) => byte === payload[i]));
      const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) =>
        client.addEventListener("close", (event) => {
          const { code, wasClean } = event as CloseEvent;
          resolve({ code, wasClean });
        }, { once: true })
      );
      client.close(4000);
      assert.deepEqual(await closed, { code: 4000, wasClean: true });
      assert.equal(proxy.upstreams()[0].connectionsOpened, 0);
    });
  });

  test("a refused handshake (no key) is relayed as the upstream's 400, and HTTP goes on", async () => {
    await withUpgradeProxy(echo, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        );
        const refused = await readResponse(client);
        assert.ok(refused.status === 400 || refused.status === 426, String(refused.status));
        assert.equal(refused.headers.get("via"), "1.1 keepwire");
        await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert.equal((await readResponse(client)).status, 200);
      } finally {
        client.destroy();
      }
    });
  });
});

describe("proxy: a raw upgraded protocol", () => {
  /** `upgradeConnection` echoing bytes until the peer half-closes, then closing its side. */
  const byteEcho: Handler = (request) => {
    if (request.headers.get("upgrade") === null) return new Response("plain http");
    const { response, connection } = upgradeConnection(request, { protocol: "echo" });
    connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
    return response;
  };

  test("bytes both ways; the client's FIN reaches the upstream, whose FIN closes the client", async () => {
    await withUpgradeProxy(byteEcho, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
        );
        const head = await client.readUntil("\r\n\r\n");
        assert.match(head, /^HTTP\/1\.1 101 /);
        assert.match(head, /\r\nupgrade: echo\r\n/i);
        const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
        const written = client.write(big);
        const back = await client.readBytes(big.byteLength, 20_000);
        await written;
        assert.ok(back.every((byte, i) => byte === i % 251), "3 MiB came back intact");
        client.end();
        const rest = await client.readToEnd();
        assert.equal(rest.byteLength, 0);
      } finally {
        client.destroy();
      }
    });
  });

  test("the upstream closes first: its last bytes, then the client's connection ends", async () => {
    const farewell: Handler = (request) => {
      const { response, connection } = upgradeConnection(request, { protocol: "bye" });
      connection.then(async ({ writable }) => {
        const writer = writable.getWriter();
        await writer.write(new TextEncoder().encode("bye"));
        await writer.close();
      }).catch(() => {});
      return response;
    };
    await withUpgradeProxy(farewell, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: bye\r\n\r\n",
        );
        assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
        assert.equal(new TextDecoder().decode(await client.readToEnd()), "bye");
      } finally {
        client.destroy();
      }
    });
  });

  test("the proxy's shutdown() ends an open tunnel", async () => {
    const app = await serve(LOCAL, byteEcho);
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
    const front = await serve({ ...LOCAL, shutdownTimeout: 10_000 }, proxy);
    // A client that stays half-open after the proxy's FIN, and never closes.
    const client = await RawClient.connect(front.addr.port, "127.0.0.1", { allowHalfOpen: true });
    try {
      await client.write(
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
      await client.write("ping");
      assert.equal(new TextDecoder().decode(await client.readBytes(4)), "ping");
      const started = performance.now();
      const down = front.shutdown();
      // The client gets its FIN at once; it never closes itself, so the
      // linger (5 s) ends the connection and shutdown() resolves.
      await client.readToEnd(3_000);
      await down;
      const took = performance.now() - started;
      assert.ok(took < 8_000, `shutdown took ${Math.round(took)} ms`);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });

  test("an upstream that answers the upgrade with 200 is an ordinary response", async () => {
    const plain: Handler = () => new Response("no switching here");
    await withUpgradeProxy(plain, async (port, proxy) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
        );
        const response = await readResponse(client);
        assert.equal(response.status, 200);
        assert.equal(response.text, "no switching here");
        assert.equal(response.headers.get("via"), "1.1 keepwire");
        assert.equal(response.headers.get("upgrade"), undefined);
        await client.write("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assert.equal((await readResponse(client)).text, "no switching here");
        assert.equal(proxy.upstreams()[0].connectionsOpened, 1, "only the plain GET pooled");
      } finally {
        client.destroy();
      }
    });
  });

  test("an upstream silent after the upgrade request: 504 after upstreamTimeout", async () => {
    const silent = createNetServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port: silentPort } = silent.address() as { port: number };
    const proxy = createProxyHandler({
      upstreams: [`http://127.0.0.1:${silentPort}`],
      upstreamTimeout: 300,
    });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write(
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
      );
      assert.equal((await readResponse(client)).status, 504);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      silent.close();
    }
  });

  test("an upgrade to an upstream that refuses connections is a 502", async () => {
    const closed = await closedPort();
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${closed}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write(
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
      );
      assert.equal((await readResponse(client)).status, 502);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
    }
  });
});
