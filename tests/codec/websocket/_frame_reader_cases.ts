/**
 * The FrameReader's table of inputs (RFC 6455 §5): frames it accepts, with
 * the events they make, and frames it fails on, with the close code. Driven
 * whole, byte by byte and at every split, by both roles, in
 * frame_reader_test.ts.
 */
import type { FrameReaderOptions } from "../../../lib/codec/websocket/limits.ts";
import {
  close,
  type Collected,
  concat,
  data,
  frame,
  frameEnd,
  latin1,
  message,
  ping,
  pong,
  type RawFrame,
  utf8,
} from "./_frames.ts";

/** One input: its frames (masked when a server reads), the options, and what the reader must make of it. */
export interface Row {
  name: string;
  frames: RawFrame[];
  options?: FrameReaderOptions;
  events: Collected[];
  error?: { closeCode: number; code: string };
}

/** A protocol error (close code 1002) with `code`. */
export const protocolError = (code: string): { closeCode: number; code: string } => ({
  closeCode: 1002,
  code,
});

/** Inputs the reader accepts, with the events they make. */
export const VALID_ROWS: Row[] = [
  { name: "an empty text message", frames: [{ opcode: 1 }], events: message("text", "") },
  { name: "an empty binary message", frames: [{ opcode: 2 }], events: message("binary", "") },
  {
    name: "text of 125 bytes, the longest 7-bit length (§5.2)",
    frames: [{ opcode: 1, payload: "a".repeat(125) }],
    events: message("text", "a".repeat(125)),
  },
  {
    name: "text of 126 bytes, the shortest 16-bit length (§5.2)",
    frames: [{ opcode: 1, payload: "a".repeat(126) }],
    events: message("text", "a".repeat(126)),
  },
  {
    name: "binary of 65535 bytes, the longest 16-bit length (§5.2)",
    frames: [{ opcode: 2, payload: "b".repeat(65535) }],
    events: message("binary", "b".repeat(65535)),
  },
  {
    name: "multi-byte UTF-8 split across fragments (§5.6: validity is of the whole message)",
    frames: [
      { opcode: 1, fin: false, payload: utf8("κό").subarray(0, 3) },
      { opcode: 0, fin: false, payload: utf8("κό").subarray(3) },
      { opcode: 0, payload: utf8("σμε") },
    ],
    events: [
      frame("text", 3, false),
      data(latin1(utf8("κό").subarray(0, 3))),
      frameEnd(false),
      frame("continuation", 1, false),
      data(latin1(utf8("κό").subarray(3))),
      frameEnd(false),
      frame("continuation", 6),
      data(latin1(utf8("σμε"))),
      frameEnd(),
    ],
  },
  {
    name: "the 4-byte UTF-8 of U+10FFFF, the largest code point",
    frames: [{ opcode: 1, payload: new Uint8Array([0xf4, 0x8f, 0xbf, 0xbf]) }],
    events: [frame("text", 4), data("\xf4\x8f\xbf\xbf"), frameEnd()],
  },
  {
    name: "control frames between fragments (§5.4)",
    frames: [
      { opcode: 2, fin: false, payload: "a" },
      { opcode: 9, payload: "p" },
      { opcode: 0, fin: false },
      { opcode: 10, payload: "q" },
      { opcode: 0, payload: "b" },
    ],
    events: [
      frame("binary", 1, false),
      data("a"),
      frameEnd(false),
      ping("p"),
      frame("continuation", 0, false),
      frameEnd(false),
      pong("q"),
      frame("continuation", 1),
      data("b"),
      frameEnd(),
    ],
  },
  {
    name: "a ping of 125 bytes, the longest control frame (§5.5)",
    frames: [{ opcode: 9, payload: "x".repeat(125) }],
    events: [ping("x".repeat(125))],
  },
  { name: "an empty close (§5.5.1): code 1005", frames: [{ opcode: 8 }], events: [close(1005)] },
  {
    name: "a close with a code and a UTF-8 reason (§5.5.1)",
    frames: [{ opcode: 8, payload: concat(new Uint8Array([0x03, 0xe8]), utf8("bye ☃")) }],
    events: [close(1000, "bye ☃")],
  },
  ...[
    1000,
    1001,
    1002,
    1003,
    1007,
    1008,
    1009,
    1010,
    1011,
    1012,
    1013,
    1014,
    3000,
    3999,
    4000,
    4999,
  ].map(
    (code): Row => ({
      name: `close code ${code} (§7.4)`,
      frames: [{ opcode: 8, payload: new Uint8Array([code >> 8, code & 0xff]) }],
      events: [close(code)],
    }),
  ),
  {
    name: "RSV1 on a message's first frame when permessage-deflate is on (RFC 7692 §6)",
    frames: [{ opcode: 1, rsv: 0b100, fin: false, payload: "\x01" }, {
      opcode: 0,
      payload: "\x02",
    }],
    options: { role: "client", compression: true },
    events: [
      frame("text", 1, false, true),
      data("\x01"),
      frameEnd(false),
      frame("continuation", 1),
      data("\x02"),
      frameEnd(),
    ],
  },
  {
    name: "bytes that are not UTF-8 in a compressed text message (checked after inflating)",
    frames: [{ opcode: 1, rsv: 0b100, payload: new Uint8Array([0xff]) }],
    options: { role: "client", compression: true },
    events: [frame("text", 1, true, true), data("\xff"), frameEnd()],
  },
  {
    name: "a frame exactly at maxFrameSize",
    frames: [{ opcode: 2, payload: "12345678" }],
    options: { role: "client", maxFrameSize: 8 },
    events: message("binary", "12345678"),
  },
  {
    name: "a fragmented message exactly at maxMessageSize",
    frames: [{ opcode: 2, fin: false, payload: "1234" }, { opcode: 0, payload: "5678" }],
    options: { role: "client", maxMessageSize: 8 },
    events: [
      frame("binary", 4, false),
      data("1234"),
      frameEnd(false),
      frame("continuation", 4),
      data("5678"),
      frameEnd(),
    ],
  },
  {
    name: "two messages at maxMessageSize each (the count restarts per message)",
    frames: [{ opcode: 2, payload: "12345678" }, { opcode: 1, payload: "abcdefgh" }],
    options: { role: "client", maxMessageSize: 8 },
    events: [...message("binary", "12345678"), ...message("text", "abcdefgh")],
  },
];

/** Inputs the reader fails on, with the events before the failure and the error. */
export const INVALID_ROWS: Row[] = [
  ...[0b010, 0b001, 0b011].map((rsv): Row => ({
    name: `RSV bits ${rsv.toString(2).padStart(3, "0")} with no extension (§5.2)`,
    frames: [{ opcode: 1, rsv, payload: "a" }],
    events: [],
    error: protocolError("reserved-bits"),
  })),
  {
    name: "RSV1 without permessage-deflate (§5.2)",
    frames: [{ opcode: 1, rsv: 0b100, payload: "a" }],
    events: [],
    error: protocolError("reserved-bits"),
  },
  {
    name: "RSV1 on a continuation frame (RFC 7692 §6.1)",
    frames: [{ opcode: 1, fin: false, payload: "a" }, { opcode: 0, rsv: 0b100, payload: "b" }],
    options: { role: "client", compression: true },
    events: [frame("text", 1, false), data("a"), frameEnd(false)],
    error: protocolError("reserved-bits"),
  },
  {
    name: "RSV1 on a ping (RFC 7692 §6.1)",
    frames: [{ opcode: 9, rsv: 0b100 }],
    options: { role: "client", compression: true },
    events: [],
    error: protocolError("reserved-bits"),
  },
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((opcode): Row => ({
    name: `reserved opcode ${opcode} (§5.2)`,
    frames: [{ opcode, payload: "a" }],
    events: [],
    error: protocolError("reserved-opcode"),
  })),
  {
    name: "a reserved opcode inside a fragmented message (§5.2)",
    frames: [{ opcode: 1, fin: false, payload: "a" }, { opcode: 3 }],
    events: [frame("text", 1, false), data("a"), frameEnd(false)],
    error: protocolError("reserved-opcode"),
  },
  ...[8, 9, 10].map((opcode): Row => ({
    name: `a fragmented control frame, opcode ${opcode} (§5.5)`,
    frames: [{ opcode, fin: false }],
    events: [],
    error: protocolError("fragmented-control-frame"),
  })),
  ...[8, 9, 10].map((opcode): Row => ({
    name: `a control frame of 126 bytes, opcode ${opcode} (§5.5)`,
    frames: [{ opcode, payload: "x".repeat(126) }],
    events: [],
    error: protocolError("control-frame-too-long"),
  })),
  {
    name: "a continuation frame with no message (§5.4)",
    frames: [{ opcode: 0, payload: "a" }],
    events: [],
    error: protocolError("unexpected-continuation"),
  },
  {
    name: "a continuation frame after a finished message (§5.4)",
    frames: [{ opcode: 1, payload: "a" }, { opcode: 0, payload: "b" }],
    events: message("text", "a"),
    error: protocolError("unexpected-continuation"),
  },
  {
    name: "a text frame inside a fragmented binary message (§5.4)",
    frames: [{ opcode: 2, fin: false, payload: "a" }, { opcode: 1, payload: "b" }],
    events: [frame("binary", 1, false), data("a"), frameEnd(false)],
    error: protocolError("expected-continuation"),
  },
  {
    name: "a 16-bit length under 126 (§5.2: the minimal encoding MUST be used)",
    frames: [{ opcode: 2, payload: "x".repeat(125), lengthBits: 16 }],
    events: [],
    error: protocolError("non-minimal-length"),
  },
  {
    name: "a 64-bit length under 65536 (§5.2)",
    frames: [{ opcode: 2, payload: "x".repeat(126), lengthBits: 64 }],
    events: [],
    error: protocolError("non-minimal-length"),
  },
  {
    name: "a 64-bit length with the most significant bit set (§5.2)",
    frames: [{ opcode: 2, lengthBits: 64, declaredLength: 65536, highBit: true }],
    events: [],
    error: protocolError("length-high-bit"),
  },
  {
    name: "a length of 2^53 bytes: over any limit (1009)",
    frames: [{ opcode: 2, lengthBits: 64, declaredLength: 2 ** 53 }],
    events: [],
    error: { closeCode: 1009, code: "frame-too-big" },
  },
  {
    name: "a frame one byte over maxFrameSize (1009, before its payload)",
    frames: [{ opcode: 2, payload: "123456789" }],
    options: { role: "client", maxFrameSize: 8 },
    events: [],
    error: { closeCode: 1009, code: "frame-too-big" },
  },
  {
    name: "a fragmented message one byte over maxMessageSize (1009)",
    frames: [{ opcode: 2, fin: false, payload: "1234" }, { opcode: 0, payload: "56789" }],
    options: { role: "client", maxMessageSize: 8 },
    events: [frame("binary", 4, false), data("1234"), frameEnd(false)],
    error: { closeCode: 1009, code: "message-too-big" },
  },
  {
    name: "text that is not UTF-8: the valid prefix, then 1007 (§8.1)",
    frames: [{ opcode: 1, payload: new Uint8Array([0x61, 0x62, 0xc0, 0xaf, 0x63]) }],
    events: [frame("text", 5), data("ab")],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
  {
    name: "a UTF-16 surrogate encoded in UTF-8 (§8.1)",
    frames: [{ opcode: 1, payload: new Uint8Array([0xed, 0xa0, 0x80]) }],
    events: [frame("text", 3), data("\xed")],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
  {
    name: "a code point above U+10FFFF (§8.1)",
    frames: [{ opcode: 1, payload: new Uint8Array([0xf4, 0x90, 0x80, 0x80]) }],
    events: [frame("text", 4), data("\xf4")],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
  {
    name: "invalid UTF-8 in the second fragment (§8.1, fail fast)",
    frames: [{ opcode: 1, fin: false, payload: "ok" }, {
      opcode: 0,
      payload: new Uint8Array([0xe2, 0x28]),
    }],
    events: [
      frame("text", 2, false),
      data("ok"),
      frameEnd(false),
      frame("continuation", 2),
      data("\xe2"),
    ],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
  {
    name: "a text message that ends inside a code point (§8.1)",
    frames: [{ opcode: 1, fin: false, payload: "a" }, {
      opcode: 0,
      payload: new Uint8Array([0xe2, 0x82]),
    }],
    events: [
      frame("text", 1, false),
      data("a"),
      frameEnd(false),
      frame("continuation", 2),
      data("\xe2\x82"),
    ],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
  {
    name: "a close payload of one byte (§5.5.1)",
    frames: [{ opcode: 8, payload: new Uint8Array([0x03]) }],
    events: [],
    error: protocolError("invalid-close-payload"),
  },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code): Row => ({
    name: `close code ${code} (§7.4: not sent on the wire)`,
    frames: [{ opcode: 8, payload: new Uint8Array([code >> 8, code & 0xff]) }],
    events: [],
    error: protocolError("invalid-close-code"),
  })),
  {
    name: "a close reason that is not UTF-8 (§5.5.1, §8.1)",
    frames: [{ opcode: 8, payload: new Uint8Array([0x03, 0xe8, 0xff]) }],
    events: [],
    error: { closeCode: 1007, code: "invalid-utf8" },
  },
];
