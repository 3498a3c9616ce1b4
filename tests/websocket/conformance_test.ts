/**
 * The RFC 6455 conformance cases (see `_conformance_cases.ts`) against a
 * KeepwireWebSocket echo server over an in-memory connection.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  negotiatePerMessageDeflate,
  parseExtensions,
} from "../../lib/codec/websocket/extensions.ts";
import { KeepwireWebSocket } from "../../lib/websocket/websocket.ts";
import { CONFORMANCE_CASES, runCase } from "./_conformance_cases.ts";
import { duplexPair, RawPeer } from "./_peer.ts";

const DEFLATE = negotiatePerMessageDeflate(parseExtensions("permessage-deflate"));

function echoServer(options: { maxMessageSize?: number; deflate?: boolean } = {}): RawPeer {
  const [socketSide, peerSide] = duplexPair();
  const socket = new KeepwireWebSocket({
    maxMessageSize: options.maxMessageSize,
    deflate: options.deflate ? DEFLATE : null,
  });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  socket.attach(socketSide);
  // The client must read masked frames? No: it reads the server's, unmasked.
  return new RawPeer(peerSide, "client", 1 << 20);
}

describe("RFC 6455 conformance, in memory", () => {
  for (const testCase of CONFORMANCE_CASES) {
    test(`${testCase.id} ${testCase.section}: ${testCase.title}`, async () => {
      const peer = echoServer(testCase.server);
      const seen = await runCase(testCase, {
        send: (bytes) => peer.send(bytes),
        next: () => peer.next(),
      });
      assert.deepEqual(seen, testCase.expect);
    });
  }
});
