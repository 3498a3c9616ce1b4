/**
 * KeepwireWebSocket over real TCP on every runtime: the conformance cases
 * through a node:net connection, and the runtime's own WebSocket client
 * (Node 22+, Deno, Bun) against it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CONFORMANCE_CASES, runCase } from "./_conformance_cases.ts";
import { RawPeer } from "./_peer.ts";
import { rawConnect, startServer, type TcpWebSocketServer } from "./_tcp.ts";
import type { KeepwireWebSocket } from "../../lib/websocket/websocket.ts";

function echo(socket: KeepwireWebSocket): void {
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
}

describe("RFC 6455 conformance over TCP", () => {
  const servers = new Map<string, TcpWebSocketServer>();
  const serverFor = async (options: { maxMessageSize?: number; deflate?: boolean } = {}) => {
    const key = JSON.stringify(options);
    let server = servers.get(key);
    if (server === undefined) {
      server = await startServer(echo, {
        maxMessageSize: options.maxMessageSize,
        compression: options.deflate ?? false,
      });
      servers.set(key, server);
    }
    return server;
  };
  after(async () => {
    for (const server of servers.values()) await server.close();
  });
  for (const testCase of CONFORMANCE_CASES) {
    test(`${testCase.id} ${testCase.section}: ${testCase.title}`, async () => {
      const server = await serverFor(testCase.server);
      const { duplex, socket } = await rawConnect(
        server.port,
        testCase.server?.deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "",
      );
      try {
        const peer = new RawPeer(duplex, "client", 1 << 20);
        const seen = await runCase(testCase, {
          send: (bytes) => peer.send(bytes),
          next: () => peer.next(5000),
        });
        assert.deepEqual(seen, testCase.expect);
      } finally {
        socket.destroy();
      }
    });
  }
});

describe("the handshake over TCP (RFC 6455 §4.2)", () => {
  let server: TcpWebSocketServer;
  before(async () => server = await startServer(echo, { protocol: ["chat"] }));
  after(() => server.close());
  test("a subprotocol offered and supported is named in the 101", async () => {
    const { head, socket } = await rawConnect(
      server.port,
      "Sec-WebSocket-Protocol: other, chat\r\n",
    );
    socket.destroy();
    assert.match(head, /\r\nSec-WebSocket-Protocol: chat(\r\n|$)/);
  });
  test("an unsupported version is answered 426 with Sec-WebSocket-Version: 13", async () => {
    const { connect } = await import("node:net");
    const socket = connect(server.port, "127.0.0.1");
    socket.write(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    let answer = "";
    for await (const chunk of socket) answer += chunk.toString("latin1");
    assert.match(answer, /^HTTP\/1\.1 426 /);
    assert.match(answer, /\r\nSec-WebSocket-Version: 13\r\n/);
  });
});

const NativeWebSocket = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;

describe("the runtime's own WebSocket client against KeepwireWebSocket", {
  skip: NativeWebSocket === undefined ? "no global WebSocket (Node 20)" : false,
}, () => {
  let server: TcpWebSocketServer;
  const serverSides: KeepwireWebSocket[] = [];
  before(async () =>
    server = await startServer((socket) => {
      serverSides.push(socket);
      echo(socket);
    }, { protocol: ["echo"], compression: true })
  );
  after(() => server.close());

  function open(protocols?: string[]): Promise<WebSocket> {
    const client = new NativeWebSocket!(`ws://127.0.0.1:${server.port}/ws`, protocols);
    client.binaryType = "arraybuffer";
    return new Promise((resolve, reject) => {
      client.onopen = () => resolve(client);
      client.onerror = () => reject(new Error("the native client failed to connect"));
    });
  }
  function nextMessage(client: WebSocket): Promise<unknown> {
    return new Promise((resolve) =>
      client.addEventListener("message", (event) => resolve((event as MessageEvent).data), {
        once: true,
      })
    );
  }
  function closed(client: WebSocket): Promise<{ code: number; reason: string; wasClean: boolean }> {
    return new Promise((resolve) =>
      client.addEventListener("close", (event) => {
        const { code, reason, wasClean } = event as CloseEvent;
        resolve({ code, reason, wasClean });
      }, { once: true })
    );
  }

  test("text and binary echo, subprotocol, clean close with code and reason", async () => {
    const client = await open(["echo"]);
    assert.equal(client.protocol, "echo");
    client.send("héllo");
    assert.equal(await nextMessage(client), "héllo");
    client.send(new Uint8Array([1, 2, 3]));
    const data = await nextMessage(client);
    assert.deepEqual([...new Uint8Array(data as ArrayBuffer)], [1, 2, 3]);
    const done = closed(client);
    client.close(4000, "bye");
    // The close event carries the server's Close: the code echoed (§5.5.1), no reason.
    assert.deepEqual(await done, { code: 4000, reason: "", wasClean: true });
  });
  test("a 16 MiB message is echoed", async () => {
    const client = await open();
    const payload = new Uint8Array(16 << 20).map((_, i) => i * 13);
    client.send(payload);
    const data = new Uint8Array(await nextMessage(client) as ArrayBuffer);
    assert.equal(data.length, payload.length);
    assert.ok(data.every((byte, i) => byte === payload[i]));
    client.close();
  });
  test("permessage-deflate, when the client offers it: long and short messages both ways", async () => {
    const client = await open();
    // Bun and Node 22+ (undici) offer permessage-deflate; Deno's client does not.
    assert.ok(
      client.extensions === "" || client.extensions === "permessage-deflate",
      client.extensions,
    );
    for (
      const message of ["deflate me ".repeat(500), "x".repeat(70000), "short", "y".repeat(300)]
    ) {
      client.send(message);
      assert.equal(await nextMessage(client), message);
    }
    client.close();
  });
  test("the server closes: the client sees the code and a clean close", async () => {
    const client = await open();
    const done = closed(client);
    await new Promise((resolve) => setTimeout(resolve, 20));
    serverSides.at(-1)!.close(1001, "going away");
    assert.deepEqual(await done, { code: 1001, reason: "going away", wasClean: true });
  });
});
