import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { FrameReaderOptions } from "../../../lib/codec/websocket/limits.ts";
import { FrameReader } from "../../../lib/codec/websocket/frame_reader.ts";
import {
  assertFeedings,
  concat,
  data,
  EXAMPLE_MASK,
  frame,
  frameEnd,
  latin1,
  message,
  ping,
  pong,
  raw,
} from "./_frames.ts";
import { INVALID_ROWS, protocolError, type Row, VALID_ROWS } from "./_frame_reader_cases.ts";

const SERVER: FrameReaderOptions = { role: "server" };
const CLIENT: FrameReaderOptions = { role: "client" };
const MASK = EXAMPLE_MASK;

/** A ping the reader must still see after every valid input: nothing leaks across frames. */
const CANARY_FRAME = (masked: boolean) =>
  raw({ opcode: 0x9, payload: "canary", mask: masked ? [1, 2, 3, 4] : null });
const CANARY_EVENTS = [ping("canary")];

/** Runs a row in every feeding; valid rows also with the canary after them. */
function check(row: Row): void {
  const options = row.options ?? CLIENT;
  const masked = options.role === "server";
  const frames = row.frames.map((frame) =>
    raw({ ...frame, mask: masked ? frame.mask ?? MASK : null })
  );
  const input = concat(...frames);
  if (row.error) {
    assertFeedings(input, { events: row.events, error: row.error }, options);
    return;
  }
  assertFeedings(input, { events: row.events }, options);
  const closes = row.events.at(-1)?.type === "close";
  // After a Close nothing more is read (§5.5.1), so the canary must vanish.
  assertFeedings(
    concat(input, CANARY_FRAME(masked)),
    { events: closes ? row.events : [...row.events, ...CANARY_EVENTS] },
    options,
  );
}

const both = (row: Row): Row[] => [
  {
    ...row,
    name: `${row.name} (client reads)`,
    options: { ...CLIENT, ...row.options, role: "client" },
  },
  {
    ...row,
    name: `${row.name} (server reads)`,
    options: { ...CLIENT, ...row.options, role: "server" },
  },
];

describe("FrameReader: the examples of RFC 6455 §5.7", () => {
  test("a single-frame unmasked text message", () =>
    assertFeedings(
      new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
      { events: message("text", "Hello") },
      CLIENT,
    ));
  test("a single-frame masked text message", () =>
    assertFeedings(
      new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
      { events: message("text", "Hello") },
      SERVER,
    ));
  test("a fragmented unmasked text message", () =>
    assertFeedings(
      new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]),
      {
        events: [
          frame("text", 3, false),
          data("Hel"),
          frameEnd(false),
          frame("continuation", 2),
          data("lo"),
          frameEnd(),
        ],
      },
      CLIENT,
    ));
  test("an unmasked ping and a masked pong", () => {
    assertFeedings(new Uint8Array([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]), {
      events: [ping("Hello")],
    }, CLIENT);
    assertFeedings(
      new Uint8Array([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
      { events: [pong("Hello")] },
      SERVER,
    );
  });
  test("256 bytes binary in one unmasked frame (16-bit length)", () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    const input = concat(new Uint8Array([0x82, 0x7e, 0x01, 0x00]), payload);
    assertFeedings(
      input,
      { events: [frame("binary", 256), data(latin1(payload)), frameEnd()] },
      CLIENT,
    );
  });
  test("64 KiB binary in one unmasked frame (64-bit length)", () => {
    const payload = new Uint8Array(65536).map((_, i) => i * 7);
    const input = concat(new Uint8Array([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]), payload);
    assertFeedings(
      input,
      { events: [frame("binary", 65536), data(latin1(payload)), frameEnd()] },
      CLIENT,
    );
  });
});

describe("FrameReader accepts", () => {
  for (const row of VALID_ROWS.flatMap(both)) test(row.name, () => check(row));
});

describe("FrameReader rejects", () => {
  for (const row of INVALID_ROWS.flatMap(both)) {
    test(`${row.name} with ${row.error!.closeCode} ${row.error!.code}`, () => check(row));
  }
});

describe("FrameReader masking by role (§5.1)", () => {
  test("a server fails on an unmasked client frame with 1002", () =>
    assertFeedings(raw({ opcode: 1, payload: "a" }), {
      events: [],
      error: protocolError("unmasked-frame"),
    }, SERVER));
  test("a server fails on an unmasked ping with 1002", () =>
    assertFeedings(
      raw({ opcode: 9 }),
      { events: [], error: protocolError("unmasked-frame") },
      SERVER,
    ));
  test("a client fails on a masked server frame with 1002", () =>
    assertFeedings(raw({ opcode: 1, payload: "a", mask: MASK }), {
      events: [],
      error: protocolError("masked-frame"),
    }, CLIENT));
  test("the mask's phase carries across reads of one payload (§5.3)", () => {
    const payload = new Uint8Array(1000).map((_, i) => (i * 13) & 0xff);
    assertFeedings(
      raw({ opcode: 2, payload, mask: [0xde, 0xad, 0xbe, 0xef] }),
      { events: [frame("binary", 1000), data(latin1(payload)), frameEnd()] },
      SERVER,
    );
  });
});

describe("FrameReader state", () => {
  test("idle, frame, message, closed", () => {
    const reader = new FrameReader(CLIENT);
    assert.equal(reader.state, "idle");
    reader.push(new Uint8Array([0x01]));
    assert.equal(reader.state, "frame");
    reader.push(new Uint8Array([0x01, 0x61]));
    while (reader.next() !== null);
    assert.equal(reader.state, "message");
    reader.push(raw({ opcode: 0, payload: "b" }));
    while (reader.next() !== null);
    assert.equal(reader.state, "idle");
    reader.push(raw({ opcode: 8 }));
    assert.deepEqual(reader.next(), { type: "close", code: 1005, reason: "" });
    assert.equal(reader.state, "closed");
    reader.push(raw({ opcode: 1, payload: "ignored" }));
    assert.equal(reader.buffered, 0);
    assert.equal(reader.next(), null);
  });
  test("a data event of an unmasked frame is a view into the pushed chunk (no copy)", () => {
    const reader = new FrameReader(CLIENT);
    const chunk = raw({ opcode: 2, payload: "abc" });
    reader.push(chunk);
    reader.next();
    const event = reader.next();
    assert.ok(event?.type === "data" && event.bytes.buffer === chunk.buffer);
  });
});
