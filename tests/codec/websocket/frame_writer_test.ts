import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, FrameWriter } from "../../../lib/codec/websocket/frame_writer.ts";
import { FrameReader } from "../../../lib/codec/websocket/frame_reader.ts";
import { raw } from "./_frames.ts";

describe("encodeFrame", () => {
  // §5.2: "the minimal number of bytes MUST be used to encode the length"
  for (const length of [0, 125, 126, 65535, 65536, 70000]) {
    test(`uses the minimal length encoding for ${length} bytes (§5.2)`, () => {
      const payload = new Uint8Array(length).fill(0x41);
      assert.deepEqual(encodeFrame({ opcode: 2, payload }), raw({ opcode: 2, payload }));
    });
  }
  test("masks with the given key (§5.3)", () => {
    const mask = [9, 8, 7, 6];
    const payload = new TextEncoder().encode("masked payload");
    assert.deepEqual(
      encodeFrame({ opcode: 1, payload, mask: new Uint8Array(mask) }),
      raw({ opcode: 1, payload, mask }),
    );
  });
  test("sets FIN and RSV1 as asked", () => {
    const frame = encodeFrame({
      opcode: 1,
      payload: new Uint8Array(0),
      fin: false,
      compressed: true,
    });
    assert.equal(frame[0], 0x41);
  });
  test("refuses a control frame over 125 bytes or fragmented (§5.5)", () => {
    assert.throws(() => encodeFrame({ opcode: 9, payload: new Uint8Array(126) }), RangeError);
    assert.throws(
      () => encodeFrame({ opcode: 10, payload: new Uint8Array(0), fin: false }),
      RangeError,
    );
    assert.equal(encodeFrame({ opcode: 9, payload: new Uint8Array(125) }).length, 127);
  });
  test("refuses a masking key that is not 4 bytes", () => {
    assert.throws(
      () => encodeFrame({ opcode: 1, payload: new Uint8Array(0), mask: new Uint8Array(3) }),
      RangeError,
    );
  });
});

describe("FrameWriter", () => {
  test("a client masks every frame with a fresh key, and a server reads it back", () => {
    const writer = new FrameWriter({ role: "client" });
    const a = writer.text("same");
    const b = writer.text("same");
    assert.equal(a[1] & 0x80, 0x80);
    assert.notDeepEqual(a.subarray(2, 6), b.subarray(2, 6), "keys differ (one in 2^32 chance not)");
    const reader = new FrameReader({ role: "server" });
    reader.push(a);
    reader.next();
    const data = reader.next();
    assert.equal(data?.type === "data" && new TextDecoder().decode(data.bytes), "same");
  });
  test("a server never masks (§5.1)", () => {
    const writer = new FrameWriter({ role: "server" });
    for (
      const frame of [
        writer.text("x"),
        writer.binary(new Uint8Array(3)),
        writer.ping(),
        writer.pong(),
        writer.close(1001, "bye"),
      ]
    ) {
      assert.equal(frame[1] & 0x80, 0);
    }
  });
  test("close() with no code sends an empty payload; a reason needs a code", () => {
    const writer = new FrameWriter({ role: "server" });
    assert.deepEqual([...writer.close()], [0x88, 0x00]);
    assert.throws(() => writer.close(undefined, "why"), RangeError);
  });
});
