import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeClosePayload,
  isValidCloseCode,
  parseClosePayload,
} from "../../../lib/codec/websocket/close.ts";
import { CloseHandshake } from "../../../lib/codec/websocket/close_handshake.ts";
import { WebSocketError } from "../../../lib/codec/websocket/errors.ts";

describe("close payload (§5.5.1, §7.4)", () => {
  test("valid codes are 1000-1003, 1007-1014 and 3000-4999", () => {
    const valid: number[] = [];
    for (let code = 0; code < 6000; code++) if (isValidCloseCode(code)) valid.push(code);
    assert.equal(valid.length, 4 + 8 + 2000);
    for (const code of [1004, 1005, 1006, 1015, 2999, 5000, 1000.5, -1]) {
      assert.equal(isValidCloseCode(code), false);
    }
  });
  test("a reason of 123 UTF-8 bytes fits, 124 does not (§5.5: 125-byte control payload)", () => {
    assert.equal(encodeClosePayload(1000, "é".repeat(61) + "a").length, 125);
    assert.throws(() => encodeClosePayload(1000, "é".repeat(61) + "ab"), RangeError);
  });
  test("round-trips code and reason", () => {
    assert.deepEqual(parseClosePayload(encodeClosePayload(4000, "über")), {
      code: 4000,
      reason: "über",
    });
  });
  test("a truncated UTF-8 reason is 1007", () => {
    assert.throws(
      () => parseClosePayload(new Uint8Array([0x03, 0xe8, 0xe2, 0x82])),
      (error: unknown) => error instanceof WebSocketError && error.closeCode === 1007,
    );
  });
});

describe("CloseHandshake (§7)", () => {
  test("initiated here: closing until the answer, which is not echoed back", () => {
    const handshake = new CloseHandshake();
    assert.equal(handshake.state, "open");
    assert.equal(handshake.canSendData, true);
    assert.equal(handshake.send({ code: 1000, reason: "done" }), true);
    assert.equal(handshake.state, "closing");
    assert.equal(handshake.canSendData, false);
    assert.equal(handshake.receive({ code: 1000, reason: "" }), null);
    assert.equal(handshake.state, "closed");
    assert.equal(handshake.initiator, "local");
    assert.deepEqual(handshake.result, { code: 1000, reason: "", wasClean: true });
  });
  test("initiated by the peer: the code is echoed at once (§5.5.1)", () => {
    const handshake = new CloseHandshake();
    assert.deepEqual(handshake.receive({ code: 4001, reason: "x" }), { code: 4001, reason: "" });
    assert.equal(handshake.state, "closed");
    assert.equal(handshake.send({ code: 1000, reason: "" }), false, "no second Close");
    assert.deepEqual(handshake.result, { code: 4001, reason: "x", wasClean: true });
  });
  test("a peer Close without a code (1005) is answered with an empty Close", () => {
    const handshake = new CloseHandshake();
    assert.deepEqual(handshake.receive({ code: 1005, reason: "" }), { code: 1005, reason: "" });
  });
  test("no Close received: 1006, not clean (§7.1.5)", () => {
    const handshake = new CloseHandshake();
    handshake.send({ code: 1000, reason: "" });
    assert.deepEqual(handshake.result, { code: 1006, reason: "", wasClean: false });
  });
});
