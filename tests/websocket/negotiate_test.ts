import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { negotiateWebSocket } from "../../lib/websocket/negotiate.ts";
import { WebSocketHandshakeError } from "../../lib/codec/websocket/errors.ts";

function request(extra: Record<string, string> = {}): Request {
  return new Request("http://localhost/ws", {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      ...extra,
    },
  });
}

describe("negotiateWebSocket (RFC 6455 §4.2.2)", () => {
  test("a bare handshake: no subprotocol, no extension, three fields", () => {
    const result = negotiateWebSocket(request());
    assert.equal(result.protocol, "");
    assert.equal(result.deflate, null);
    assert.deepEqual(result.headers, [
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
    ]);
  });
  test("the client's preferred subprotocol among the server's", () => {
    const result = negotiateWebSocket(request({ "sec-websocket-protocol": "v2, v1" }), {
      protocol: ["v1", "v2"],
    });
    assert.equal(result.protocol, "v2");
    assert.deepEqual(result.headers.at(-1), ["Sec-WebSocket-Protocol", "v2"]);
  });
  test("no subprotocol in common: none named (the client decides, §4.1)", () => {
    const result = negotiateWebSocket(request({ "sec-websocket-protocol": "mqtt" }), {
      protocol: "chat",
    });
    assert.equal(result.protocol, "");
    assert.equal(result.headers.length, 3);
  });
  test("permessage-deflate offered: accepted by default where CompressionStream exists", () => {
    const result = negotiateWebSocket(
      request({ "sec-websocket-extensions": "permessage-deflate; client_max_window_bits" }),
    );
    assert.equal(typeof CompressionStream, "function");
    assert.equal(result.deflate?.response, "permessage-deflate");
    assert.deepEqual(result.headers.at(-1), ["Sec-WebSocket-Extensions", "permessage-deflate"]);
  });
  test("compression: false declines it", () => {
    const result = negotiateWebSocket(
      request({ "sec-websocket-extensions": "permessage-deflate" }),
      { compression: false },
    );
    assert.equal(result.deflate, null);
    assert.equal(result.headers.length, 3);
  });
  test("an invalid handshake throws the status to answer", () => {
    assert.throws(
      () => negotiateWebSocket(request({ "sec-websocket-version": "12" })),
      (error: unknown) => error instanceof WebSocketHandshakeError && error.status === 426,
    );
    assert.throws(
      () => negotiateWebSocket(request({ "sec-websocket-key": "short" })),
      (error: unknown) => error instanceof WebSocketHandshakeError && error.status === 400,
    );
  });
});
