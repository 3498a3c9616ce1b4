import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { PerMessageDeflate } from "../../lib/websocket/deflate.ts";
import { RawInflater } from "../../lib/websocket/_inflate.ts";

const PARAMS = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  response: "permessage-deflate",
};
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Deterministic, compressible-ish bytes. */
function sample(length: number, seed: number): Uint8Array {
  let state = seed;
  return new Uint8Array(length).map(() => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % 5 === 0 ? state >>> 24 : 0x78;
  });
}

describe("permessage-deflate compression (RFC 7692 §7.2.1)", () => {
  test("messages decode as one sync-flushed stream, as a context-keeping receiver reads them", async () => {
    // undici (Node 22+'s WebSocket) keeps one inflater per connection: a
    // BFINAL block would end it and every later message would decode empty.
    const deflate = new PerMessageDeflate(PARAMS, "server");
    const messages = [0, 1, 100, 5000, 70000, 3, 200000].map((length, i) => sample(length, i + 1));
    const wire: Buffer[] = [];
    for (const message of messages) wire.push(Buffer.from(await deflate.compress(message)), TAIL);
    const inflated = zlib.inflateRawSync(Buffer.concat(wire), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    assert.equal(Buffer.compare(inflated, Buffer.concat(messages.map((m) => Buffer.from(m)))), 0);
  });
  test("compressed output never ends the DEFLATE stream (no BFINAL)", async () => {
    const deflate = new PerMessageDeflate(PARAMS, "server");
    const scan = new RawInflater();
    const payload = await deflate.compress(sample(70000, 9));
    scan.inflate(new Uint8Array([...payload, ...TAIL]), 1 << 20);
    // The scan stops at the appended empty stored block, not at a final block.
    const input = new Uint8Array([...payload, ...TAIL]);
    assert.equal(scan.endBit, input.length * 8);
  });
});

describe("permessage-deflate inflating (RFC 7692 §7.2.2)", () => {
  test("zlib's sync-flushed messages, one inflater across them", () => {
    const inflater = new RawInflater();
    for (let i = 0; i < 30; i++) {
      const message = sample(i * 997, i);
      const compressed = zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.deepEqual(TAIL.equals(compressed.subarray(-4)), true);
      const out = inflater.inflate(new Uint8Array(compressed), 1 << 20);
      assert.ok(out !== null);
      assert.equal(Buffer.compare(Buffer.from(out), Buffer.from(message)), 0);
    }
  });
  test("the RFC's own examples: 'Hello' twice with context takeover (§7.2.3.2)", () => {
    const inflater = new RawInflater();
    const first = inflater.inflate(
      new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, ...TAIL]),
      100,
    );
    const second = inflater.inflate(new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00, ...TAIL]), 100);
    assert.equal(new TextDecoder().decode(first!), "Hello");
    assert.equal(new TextDecoder().decode(second!), "Hello");
  });
  test("stops at the limit: a 1 MiB bomb of 1 KiB gives null at 1000 bytes, the bytes at 1 MiB", () => {
    const bomb = zlib.deflateRawSync(new Uint8Array(1 << 20), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    assert.ok(bomb.length < 2048);
    assert.equal(new RawInflater().inflate(new Uint8Array(bomb), 1000), null);
    assert.equal(new RawInflater().inflate(new Uint8Array(bomb), 1 << 20)?.length, 1 << 20);
    assert.equal(new RawInflater().inflate(new Uint8Array(bomb), (1 << 20) - 1), null);
  });
});
