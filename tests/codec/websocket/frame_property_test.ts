import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame } from "../../../lib/codec/websocket/frame_writer.ts";
import { MessageReader } from "../../../lib/codec/websocket/message_reader.ts";
import { Utf8Validator } from "../../../lib/codec/websocket/utf8.ts";
import { WebSocketError } from "../../../lib/codec/websocket/errors.ts";
import { concat, drive, latin1 } from "./_frames.ts";

const encoder = new TextEncoder();

/** A message, how it is fragmented, and pings between its fragments. */
const messageArbitrary = fc.record({
  kind: fc.constantFrom("text" as const, "binary" as const),
  text: fc.string({ unit: "binary", maxLength: 300 }),
  binary: fc.uint8Array({ maxLength: 300 }),
  cuts: fc.array(fc.nat(300), { maxLength: 4 }),
  pings: fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 3 }),
});

type MessageSpec = typeof messageArbitrary extends fc.Arbitrary<infer T> ? T : never;

function encodeMessage(spec: MessageSpec, mask: () => Uint8Array | undefined): Uint8Array[] {
  const payload = spec.kind === "text" ? encoder.encode(spec.text) : spec.binary;
  const cuts = [...new Set(spec.cuts.filter((cut) => cut < payload.length))].sort((a, b) => a - b);
  const bounds = [0, ...cuts, payload.length];
  const frames: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    frames.push(encodeFrame({
      opcode: i === 0 ? (spec.kind === "text" ? 1 : 2) : 0,
      payload: payload.subarray(bounds[i], bounds[i + 1]),
      fin: i + 2 === bounds.length,
      mask: mask(),
    }));
    const ping = spec.pings[i];
    if (ping !== undefined && i + 2 < bounds.length) {
      frames.push(encodeFrame({ opcode: 9, payload: ping, mask: mask() }));
    }
  }
  return frames;
}

function randomPieces(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, input.length]) {
    pieces.push(input.slice(last, point));
    last = point;
  }
  return pieces;
}

describe("frames round-trip (property)", () => {
  test("messages written by encodeFrame are read back whole, however the bytes are split", () => {
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        (specs, server, cuts) => {
          const mask = () => server ? crypto.getRandomValues(new Uint8Array(4)) : undefined;
          const input = concat(...specs.flatMap((spec) => encodeMessage(spec, mask)));
          const reader = new MessageReader({ role: server ? "server" : "client" });
          const seen: string[] = [];
          for (const piece of randomPieces(input, cuts)) {
            reader.push(piece);
            for (let event = reader.next(); event !== null; event = reader.next()) {
              if (event.type === "message") seen.push(`${event.kind}:${latin1(event.data)}`);
              else if (event.type === "ping") seen.push(`ping:${latin1(event.payload)}`);
            }
          }
          const expected: string[] = [];
          for (const spec of specs) {
            const payload = spec.kind === "text" ? encoder.encode(spec.text) : spec.binary;
            const pieces = new Set(spec.cuts.filter((cut) => cut < payload.length)).size + 1;
            expected.push(...spec.pings.slice(0, pieces - 1).map((ping) => `ping:${latin1(ping)}`));
            expected.push(`${spec.kind}:${latin1(payload)}`);
          }
          assert.deepEqual(seen, expected);
          assert.equal(reader.state, "idle");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("FrameReader split invariance (property)", () => {
  const roles = fc.constantFrom("server" as const, "client" as const);
  test("any bytes: same events and error whole, in random pieces and byte by byte", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        roles,
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (input, role, compression, cuts) => {
          const options = { role, compression, maxMessageSize: 100 };
          const whole = drive([input], options);
          assert.deepStrictEqual(drive(randomPieces(input, cuts), options), whole);
          const single = Array.from(input, (_, i) => input.subarray(i, i + 1));
          assert.deepStrictEqual(drive(single, options), whole);
        },
      ),
      { numRuns: 500 },
    );
  });
  test("mutated valid frames: same outcome at every split, only WebSocketError thrown", () => {
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (specs, flips, cuts) => {
          const input = concat(...specs.flatMap((spec) => encodeMessage(spec, () => undefined)));
          for (const [at, value] of flips) if (input.length > 0) input[at % input.length] = value;
          const options = { role: "client" as const, maxMessageSize: 200 };
          const whole = drive([input], options);
          assert.deepStrictEqual(drive(randomPieces(input, cuts), options), whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Utf8Validator (property)", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const isUtf8 = (bytes: Uint8Array) => {
    try {
      fatal.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const utf8ish = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 20 }).map((text) => encoder.encode(text)),
    fc.array(
      fc.constantFrom(
        0x61,
        0x80,
        0xbf,
        0xc2,
        0xc0,
        0xe0,
        0xed,
        0xa0,
        0x9f,
        0xf0,
        0xf4,
        0x90,
        0x8f,
        0xf5,
      ),
      { maxLength: 12 },
    )
      .map((bytes) => new Uint8Array(bytes)),
  );
  test("agrees with TextDecoder({ fatal: true }), fed in any pieces", () => {
    fc.assert(
      fc.property(utf8ish, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const validator = new Utf8Validator();
        let ok = true;
        for (const piece of randomPieces(bytes, cuts)) {
          if (validator.feed(piece) !== -1) {
            ok = false;
            break;
          }
        }
        assert.equal(ok && validator.complete, isUtf8(bytes));
      }),
      { numRuns: 2000 },
    );
  });
  test("reports the first byte that cannot continue", () => {
    assert.equal(new Utf8Validator().feed(new Uint8Array([0x61, 0xe2, 0x82, 0x41])), 3);
    assert.equal(new Utf8Validator().feed(new Uint8Array([0xf5])), 0);
    assert.equal(new Utf8Validator().feed(new Uint8Array([0xf0, 0x8f])), 1); // overlong 4-byte
  });
});

describe("reader errors are WebSocketError only", () => {
  test("a random stream of frames never throws anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const reader = new MessageReader({ role: "server", maxMessageSize: 64 });
        reader.push(input);
        try {
          while (reader.next() !== null);
        } catch (error) {
          assert.ok(error instanceof WebSocketError, String(error));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
