/**
 * The RFC 6455 conformance cases (`_conformance_cases.ts`) against
 * keepwire's own server over real sockets, on the runtime running the test:
 * `serve()` with a handler that accepts each handshake with
 * `upgradeWebSocket` and echoes every message. Each case opens a fresh
 * connection with a raw client (node:net runs on Deno, Bun and Node alike),
 * sends its bytes and compares everything the server sent until it ended
 * the connection with the case's expectation, exactly.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { CONFORMANCE_CASES, runCase } from "./_conformance_cases.ts";
import { RawPeer } from "./_peer.ts";
import { rawConnect } from "./_tcp.ts";

/**
 * The echo server under test. A case's server options travel in the query
 * (`?max=1024&deflate`), so one server serves every case.
 */
function echoServer(): Promise<Server> {
  return serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const query = new URL(request.url).searchParams;
    const { socket, response } = upgradeWebSocket(request, {
      protocol: ["chat"],
      maxMessageSize: query.has("max") ? Number(query.get("max")) : undefined,
      compression: query.has("deflate"),
    });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

describe("RFC 6455 conformance against keepwire's server (serve + upgradeWebSocket)", () => {
  let server: Server;
  before(async () => server = await echoServer());
  after(() => server.shutdown());

  for (const testCase of CONFORMANCE_CASES) {
    test(`${testCase.id} ${testCase.section}: ${testCase.title}`, async () => {
      const query = new URLSearchParams();
      if (testCase.server?.maxMessageSize !== undefined) {
        query.set("max", String(testCase.server.maxMessageSize));
      }
      if (testCase.server?.deflate) query.set("deflate", "");
      const { duplex, head, socket } = await rawConnect(
        server.addr.port,
        testCase.server?.deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "",
        `/ws?${query}`,
      );
      try {
        // The case's premise: compression is on exactly when the case asks.
        assert.equal(
          /\r\nSec-WebSocket-Extensions: permessage-deflate/i.test(head),
          !!testCase.server?.deflate,
        );
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

describe("the opening handshake on keepwire's server (RFC 6455 §4.2)", () => {
  let server: Server;
  before(async () => server = await echoServer());
  after(() => server.shutdown());

  test("§4.2.2: a subprotocol offered and supported is named in the 101", async () => {
    const { head, socket } = await rawConnect(
      server.addr.port,
      "Sec-WebSocket-Protocol: other, chat\r\n",
    );
    socket.destroy();
    assert.match(head, /\r\nSec-WebSocket-Protocol: chat(\r\n|$)/i);
  });
  test("§4.2.2: none offered is named when none is supported", async () => {
    const { head, socket } = await rawConnect(server.addr.port, "Sec-WebSocket-Protocol: mqtt\r\n");
    socket.destroy();
    assert.doesNotMatch(head, /Sec-WebSocket-Protocol/i);
  });
  test("§4.4: an unsupported version is answered 426 with Sec-WebSocket-Version: 13", async () => {
    const socket = connect(server.addr.port, "127.0.0.1");
    socket.write(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n\r\n")) socket.destroy();
    });
    await new Promise((resolve) => socket.once("close", resolve));
    assert.match(answer, /^HTTP\/1\.1 426 /);
    assert.match(answer, /\r\nSec-WebSocket-Version: 13\r\n/i);
  });
});
