/**
 * WebSocket on keepwire's own server over real sockets, on the runtime
 * running the test: `upgradeWebSocket` in a handler, the connection handed
 * over (RFC 9110 §7.8), the runtime's WebSocket client where it has one.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import type { KeepwireWebSocket } from "../../lib/websocket/websocket.ts";
import { createEchoHandler } from "../../lib/handlers/echo.ts";
import { upgradeConnection } from "../../lib/connection/upgrade_connection.ts";
import {
  closed,
  nextMessage,
  openNative as open,
  skipWithoutNativeWebSocket,
} from "./_native_client.ts";

function echoHandler(sockets: KeepwireWebSocket[] = []): Handler {
  return (request) => {
    if (request.headers.get("upgrade") === null) return new Response("plain");
    const { socket, response } = upgradeWebSocket(request);
    sockets.push(socket);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  };
}

async function withServer(handler: Handler, body: (server: Server) => Promise<void>) {
  const server = await serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Reads until `done(bytes)` holds or the peer closes; returns everything read. */
function readUntil(socket: Socket, done: (bytes: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve) => {
    let all = Buffer.alloc(0);
    const finish = () => {
      socket.off("data", onData);
      resolve(all);
    };
    const onData = (chunk: Buffer) => {
      all = Buffer.concat([all, chunk]);
      if (done(all)) finish();
    };
    socket.on("data", onData);
    socket.once("close", finish);
  });
}

const HANDSHAKE = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/** A masked text frame, as a client sends (RFC 6455 §5.3). */
function maskedText(text: string): Buffer {
  const payload = new TextEncoder().encode(text);
  const mask = [1, 2, 3, 4];
  return Buffer.from([
    0x81,
    0x80 | payload.length,
    ...mask,
    ...payload.map((b, i) => b ^ mask[i % 4]),
  ]);
}

describe("upgradeWebSocket on keepwire's server", () => {
  test("the 101 says Connection: upgrade, no Keep-Alive; bytes after the head reach the socket first", async () => {
    await withServer(echoHandler(), async (server) => {
      const socket = await rawSocket(server.addr.port);
      socket.write(Buffer.concat([Buffer.from(HANDSHAKE), maskedText("early")]));
      const bytes = await readUntil(socket, (all) => {
        const end = all.indexOf("\r\n\r\n");
        return end !== -1 && all.length >= end + 4 + 2 + 5;
      });
      socket.destroy();
      const end = bytes.indexOf("\r\n\r\n");
      const head = bytes.subarray(0, end).toString("latin1");
      assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(head, /\r\nconnection: upgrade(\r\n|$)/i);
      assert.match(head, /\r\nupgrade: websocket(\r\n|$)/i);
      assert.doesNotMatch(head, /keep-alive/i);
      const frame = bytes.subarray(end + 4);
      assert.deepEqual([...frame.subarray(0, 2)], [0x81, 5]);
      assert.equal(frame.subarray(2, 7).toString(), "early");
    });
  });

  test("a request pipelined after an accepted upgrade is never dispatched (its bytes are the WebSocket's)", async () => {
    let dispatched = 0;
    const echo = echoHandler();
    await withServer((request, info) => {
      dispatched++;
      return echo(request, info);
    }, async (server) => {
      const socket = await rawSocket(server.addr.port);
      socket.write(HANDSHAKE + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
      // Not a frame a client may send: the WebSocket fails the connection (RFC 6455 §5.2).
      const bytes = (await readUntil(socket, () => false)).toString("latin1");
      assert.match(bytes, /^HTTP\/1\.1 101 /);
      assert.equal(bytes.match(/HTTP\/1\.1/g)?.length, 1);
      assert.equal(dispatched, 1);
    });
  });

  test("an upgrade the handler declines is answered like any other request, and the pipeline goes on", async () => {
    await withServer(() => new Response("no"), async (server) => {
      const socket = await rawSocket(server.addr.port);
      socket.write(HANDSHAKE + "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const bytes = (await readUntil(socket, () => false)).toString("latin1");
      assert.equal(bytes.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    });
  });

  test("a 101 keepwire cannot carry out (a runtime's own upgrade) is answered 500", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      await withServer(() => {
        const response = new Response(null);
        Object.defineProperty(response, "status", { value: 101 });
        return response;
      }, async (server) => {
        const socket = await rawSocket(server.addr.port);
        socket.write(HANDSHAKE);
        const bytes = await readUntil(socket, (all) => all.includes("\r\n\r\n"));
        socket.destroy();
        assert.match(bytes.toString("latin1"), /^HTTP\/1\.1 500 /);
      });
    } finally {
      console.error = original;
    }
    assert.match(String(errors[0]), /upgradeWebSocket/);
  });
});

describe("upgradeConnection: a raw hand-off", () => {
  test("the handler gets the bytes after the head first, then the socket's; it writes back", async () => {
    await withServer((request) => {
      const { response, connection } = upgradeConnection(request);
      connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
      return response;
    }, async (server) => {
      const socket = await rawSocket(server.addr.port);
      socket.write(
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: raw-echo\r\n\r\nearly,",
      );
      const first = await readUntil(socket, (all) => all.includes("early,"));
      const text = first.toString("latin1");
      assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(text, /\r\nUpgrade: raw-echo\r\n/);
      assert.match(text, /\r\nConnection: upgrade\r\n/);
      assert.ok(text.endsWith("\r\n\r\nearly,"));
      socket.write("late");
      const second = await readUntil(socket, (all) => all.includes("late"));
      assert.equal(second.toString("latin1"), "late");
      assert.equal(server.stats.upgradedConnections, 1);
      socket.destroy();
    });
  });
});

describe("the runtime's own WebSocket client against keepwire's server", {
  skip: skipWithoutNativeWebSocket,
}, () => {
  test("text, binary and a 1 MiB message echo; the connection is listed as upgraded; close is clean", async () => {
    await withServer(echoHandler(), async (server) => {
      const client = await open(server.addr.port);
      client.send("héllo");
      assert.equal(await nextMessage(client), "héllo");
      client.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual([...new Uint8Array(await nextMessage(client) as ArrayBuffer)], [1, 2, 3]);
      const payload = new Uint8Array(1 << 20).map((_, i) => i * 7);
      client.send(payload);
      const echoed = new Uint8Array(await nextMessage(client) as ArrayBuffer);
      assert.equal(echoed.length, payload.length);
      assert.ok(echoed.every((byte, i) => byte === payload[i]));
      assert.equal(server.stats.upgradedConnections, 1);
      assert.deepEqual(server.connections().map((c) => c.state), ["upgraded"]);
      const done = closed(client);
      client.close(4000);
      const { code, wasClean } = await done;
      assert.deepEqual({ code, wasClean }, { code: 4000, wasClean: true });
    });
  });

  test("the echo CLI's /ws route echoes messages; a plain GET of /ws is refused 400 or 426", async () => {
    await withServer(createEchoHandler(() => undefined), async (server) => {
      const plain = await fetch(`http://127.0.0.1:${server.addr.port}/ws`);
      await plain.body?.cancel();
      assert.ok(plain.status === 400 || plain.status === 426, String(plain.status));
      const client = await open(server.addr.port);
      client.send("ping?");
      assert.equal(await nextMessage(client), "ping?");
      const done = closed(client);
      client.close();
      assert.equal((await done).wasClean, true);
    });
  });

  test("shutdown() closes an open WebSocket with 1001", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1", onListen() {}, shutdownTimeout: 3000 },
      echoHandler(),
    );
    const client = await open(server.addr.port);
    const done = closed(client);
    const started = Date.now();
    await server.shutdown();
    assert.equal((await done).code, 1001);
    assert.ok(Date.now() - started < 3000);
    assert.equal(server.stats.openConnections, 0);
  });
});
