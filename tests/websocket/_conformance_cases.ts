/**
 * A WebSocket server conformance suite written from RFC 6455 §5–§7 (and
 * RFC 7692 for compression), covering the areas Autobahn|Testsuite covers:
 * framing, pings, reserved bits, opcodes, fragmentation, UTF-8, close
 * codes, limits, masking. Each case is data: the bytes a client sends and
 * everything an ECHO server must answer, ending with the end of the
 * connection. Any runner that can open a connection to an echo server —
 * in memory today, a keepwire server over TCP on each runtime later —
 * drives the same cases (see `runCase`).
 *
 * The server under test echoes every text and binary message back, in one
 * frame, and answers with the options in `server` (a runner over sockets
 * passes them to the server it starts).
 *
 * @module
 */

import { constants as zlibConstants, inflateRawSync } from "node:zlib";
import { raw, type RawFrame, utf8 } from "../codec/websocket/_frames.ts";

/** One step of the client: bytes to send, whole or one byte at a time. */
export interface Step {
  bytes: Uint8Array;
  /** Send one byte per write (Autobahn's "chopped" cases). */
  chop?: boolean;
}

/** What the client must see from the server, in order. */
export type Expected =
  | { message: "text" | "binary"; payload: Uint8Array }
  | { pong: Uint8Array }
  | { close: number };

/** One case. After `expect`, the server must have ended the connection. */
export interface ConformanceCase {
  /** A short id, grouped by area as Autobahn's (1 framing … 13 compression). */
  id: string;
  /** The rule's section. */
  section: string;
  /** What the case shows. */
  title: string;
  /** What the client sends. */
  send: Step[];
  /**
   * Everything the server sends, in order; a clean case ends with the echo
   * of the client's Close, a failing one with the server's Close code.
   */
  expect: Expected[];
  /** Server options for this case. */
  server?: { maxMessageSize?: number; deflate?: boolean };
}

const ZERO_MASK = [0, 0, 0, 0];
let maskSeed = 0x5eed;
/** Deterministic, varied masks, so failures replay. */
function nextMask(): number[] {
  maskSeed = (maskSeed * 1103515245 + 12345) >>> 0;
  return [maskSeed >>> 24, (maskSeed >>> 16) & 0xff, (maskSeed >>> 8) & 0xff, maskSeed & 0xff];
}

/** A masked client frame (§5.3) unless the frame says otherwise. */
function client(frame: RawFrame): Uint8Array {
  return raw({ mask: nextMask(), ...frame });
}
const steps = (...frames: RawFrame[]): Step[] => frames.map((frame) => ({ bytes: client(frame) }));

const text = (payload: string | Uint8Array, fin = true): RawFrame => ({ opcode: 1, payload, fin });
const binary = (payload: Uint8Array, fin = true): RawFrame => ({ opcode: 2, payload, fin });
const continuation = (payload: string | Uint8Array, fin = true): RawFrame => ({
  opcode: 0,
  payload,
  fin,
});
const ping = (payload: string | Uint8Array = ""): RawFrame => ({ opcode: 9, payload });
const pong = (payload: string | Uint8Array = ""): RawFrame => ({ opcode: 10, payload });
const closeFrame = (code?: number, reason = ""): RawFrame => ({
  opcode: 8,
  payload: code === undefined
    ? new Uint8Array(0)
    : new Uint8Array([code >> 8, code & 0xff, ...utf8(reason)]),
});
/** The client's clean goodbye and the server's echo of it. */
const GOODBYE = closeFrame(1000);
const ECHOED_GOODBYE: Expected = { close: 1000 };

const bytesOf = (value: string | Uint8Array) => typeof value === "string" ? utf8(value) : value;
const echoText = (value: string | Uint8Array): Expected => ({
  message: "text",
  payload: bytesOf(value),
});
const echoBinary = (value: Uint8Array): Expected => ({ message: "binary", payload: value });
const gotPong = (value: string | Uint8Array = ""): Expected => ({ pong: bytesOf(value) });
const failsWith = (code: number): Expected => ({ close: code });

const filled = (length: number, seed = 0) =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);
const ascii = (length: number) => "*".repeat(length);

const cases: ConformanceCase[] = [];
function add(
  id: string,
  section: string,
  title: string,
  send: Step[],
  expect: Expected[],
  server?: ConformanceCase["server"],
) {
  cases.push({ id, section, title, send, expect, server });
}

// 1 Framing: lengths at every encoding boundary, text and binary (§5.2).
for (const length of [0, 125, 126, 127, 128, 65535, 65536]) {
  add(
    `1.1.${length}`,
    "§5.2",
    `text of ${length} bytes is echoed`,
    steps(text(ascii(length)), GOODBYE),
    [
      echoText(ascii(length)),
      ECHOED_GOODBYE,
    ],
  );
  add(
    `1.2.${length}`,
    "§5.2",
    `binary of ${length} bytes is echoed`,
    steps(binary(filled(length)), GOODBYE),
    [
      echoBinary(filled(length)),
      ECHOED_GOODBYE,
    ],
  );
}
add("1.3.1", "§5.2", "a frame sent one byte per write is echoed", [{
  bytes: client(text(ascii(300))),
  chop: true,
}, ...steps(GOODBYE)], [
  echoText(ascii(300)),
  ECHOED_GOODBYE,
]);
add("1.3.2", "§5.2", "several frames in one write are all echoed", [{
  bytes: new Uint8Array([...client(text("a")), ...client(binary(filled(3))), ...client(text("c"))]),
}, ...steps(GOODBYE)], [echoText("a"), echoBinary(filled(3)), echoText("c"), ECHOED_GOODBYE]);

// 2 Pings and pongs (§5.5.2, §5.5.3).
add("2.1", "§5.5.2", "an empty ping gets an empty pong", steps(ping(), GOODBYE), [
  gotPong(),
  ECHOED_GOODBYE,
]);
add("2.2", "§5.5.3", "a ping's text is echoed in the pong", steps(ping("Hello, world!"), GOODBYE), [
  gotPong("Hello, world!"),
  ECHOED_GOODBYE,
]);
add(
  "2.3",
  "§5.5.3",
  "a ping's binary payload is echoed in the pong",
  steps(ping(filled(8, 0xfe)), GOODBYE),
  [
    gotPong(filled(8, 0xfe)),
    ECHOED_GOODBYE,
  ],
);
add("2.4", "§5.5", "a ping of 125 bytes gets its pong", steps(ping(filled(125)), GOODBYE), [
  gotPong(filled(125)),
  ECHOED_GOODBYE,
]);
add("2.5", "§5.5", "a ping of 126 bytes fails the connection", steps(ping(filled(126)), GOODBYE), [
  failsWith(1002),
]);
add(
  "2.6",
  "§5.5.3",
  "an unsolicited pong is ignored",
  steps(pong("unasked"), text("still here"), GOODBYE),
  [
    echoText("still here"),
    ECHOED_GOODBYE,
  ],
);
add(
  "2.7",
  "§5.5.2",
  "ten pings get ten pongs, in order",
  steps(...Array.from({ length: 10 }, (_, i) => ping(`p${i}`)), GOODBYE),
  [
    ...Array.from({ length: 10 }, (_, i) => gotPong(`p${i}`)),
    ECHOED_GOODBYE,
  ],
);
add("2.8", "§5.5.2", "a ping sent one byte per write gets its pong", [{
  bytes: client(ping("chopped")),
  chop: true,
}, ...steps(GOODBYE)], [
  gotPong("chopped"),
  ECHOED_GOODBYE,
]);
add(
  "2.9",
  "§5.5",
  "a fragmented ping fails the connection",
  steps({ opcode: 9, payload: "a", fin: false }, GOODBYE),
  [failsWith(1002)],
);

// 3 Reserved bits (§5.2: "MUST be 0 unless an extension is negotiated").
for (let rsv = 1; rsv <= 7; rsv++) {
  add(
    `3.${rsv}`,
    "§5.2",
    `RSV bits ${
      rsv.toString(2).padStart(3, "0")
    } on a text frame after a good one fail the connection`,
    steps(text("ok"), { ...text("bad"), rsv }, GOODBYE),
    [
      echoText("ok"),
      failsWith(1002),
    ],
  );
}
add(
  "3.8",
  "§5.2",
  "RSV1 on a ping fails the connection",
  steps({ ...ping(), rsv: 0b100 }, GOODBYE),
  [failsWith(1002)],
);
add(
  "3.9",
  "§5.2",
  "RSV3 on a close fails the connection",
  steps({ ...closeFrame(1000), rsv: 0b001 }),
  [failsWith(1002)],
);

// 4 Opcodes (§5.2: reserved opcodes fail the connection).
for (const opcode of [3, 4, 5, 6, 7]) {
  add(
    `4.1.${opcode}`,
    "§5.2",
    `reserved data opcode ${opcode} fails the connection`,
    steps(text("ok"), { opcode, payload: "x" }, GOODBYE),
    [
      echoText("ok"),
      failsWith(1002),
    ],
  );
}
for (const opcode of [11, 12, 13, 14, 15]) {
  add(
    `4.2.${opcode}`,
    "§5.2",
    `reserved control opcode ${opcode} fails the connection`,
    steps(text("ok"), { opcode }, GOODBYE),
    [
      echoText("ok"),
      failsWith(1002),
    ],
  );
}

// 5 Fragmentation (§5.4).
add(
  "5.1",
  "§5.4",
  "a text message in two fragments is echoed whole",
  steps(text("frag", false), continuation("ment"), GOODBYE),
  [
    echoText("fragment"),
    ECHOED_GOODBYE,
  ],
);
add(
  "5.2",
  "§5.4",
  "a binary message in 100 one-byte fragments is echoed whole",
  steps(
    binary(filled(1), false),
    ...Array.from({ length: 98 }, (_, i) => continuation(filled(1, i + 1), false)),
    continuation(filled(1, 99)),
    GOODBYE,
  ),
  [echoBinary(Uint8Array.from({ length: 100 }, (_, i) => i & 0xff)), ECHOED_GOODBYE],
);
add(
  "5.3",
  "§5.4",
  "a ping between fragments is answered before the message completes",
  steps(text("a", false), ping("mid"), continuation("b"), GOODBYE),
  [
    gotPong("mid"),
    echoText("ab"),
    ECHOED_GOODBYE,
  ],
);
add(
  "5.4",
  "§5.4",
  "empty fragments are fine",
  steps(text("", false), continuation("", false), continuation("x"), GOODBYE),
  [
    echoText("x"),
    ECHOED_GOODBYE,
  ],
);
add(
  "5.5",
  "§5.4",
  "a continuation with no message fails the connection",
  steps(continuation("x"), GOODBYE),
  [failsWith(1002)],
);
add(
  "5.6",
  "§5.4",
  "a continuation after a whole message fails the connection",
  steps(text("a"), continuation("x"), GOODBYE),
  [
    echoText("a"),
    failsWith(1002),
  ],
);
add(
  "5.7",
  "§5.4",
  "a new text message inside a fragmented one fails the connection",
  steps(text("a", false), text("b"), GOODBYE),
  [failsWith(1002)],
);
add("5.8", "§5.4", "a fragmented message sent one byte per write is echoed", [
  {
    bytes: new Uint8Array([
      ...client(text("one ", false)),
      ...client(ping()),
      ...client(continuation("two")),
    ]),
    chop: true,
  },
  ...steps(GOODBYE),
], [gotPong(), echoText("one two"), ECHOED_GOODBYE]);

// 6 UTF-8 (§5.6, §8.1).
const VALID_UTF8 = [
  "κόσμε",
  "\u{10FFFF}",
  "\u{FFFF}\u{10000}",
  "\u007F\u0080\u07FF\u0800",
  "Hello-µ@ßöäüàá-UTF-8!!",
];
VALID_UTF8.forEach((value, i) => {
  add(
    `6.1.${i + 1}`,
    "§8.1",
    `valid UTF-8 ${JSON.stringify(value)} is echoed`,
    steps(text(value), GOODBYE),
    [echoText(value), ECHOED_GOODBYE],
  );
});
add(
  "6.2",
  "§8.1",
  "a code point split across fragments is valid",
  steps(text(utf8("κ").subarray(0, 1), false), continuation(utf8("κ").subarray(1)), GOODBYE),
  [
    echoText("κ"),
    ECHOED_GOODBYE,
  ],
);
const INVALID_UTF8: [string, number[]][] = [
  ["an overlong '/'", [0xc0, 0xaf]],
  ["an overlong NUL in 3 bytes", [0xe0, 0x80, 0x80]],
  ["a lone continuation byte", [0x80]],
  ["a UTF-16 high surrogate", [0xed, 0xa0, 0x80]],
  ["a UTF-16 low surrogate", [0xed, 0xbf, 0xbf]],
  ["U+110000", [0xf4, 0x90, 0x80, 0x80]],
  ["the byte 0xFE", [0xfe]],
  ["a 3-byte sequence cut short by ASCII", [0xe2, 0x82, 0x41]],
  ["a 4-byte sequence cut at the end of the message", [0xf0, 0x9f, 0x98]],
];
INVALID_UTF8.forEach(([name, bytes], i) => {
  add(
    `6.3.${i + 1}`,
    "§8.1",
    `${name} fails the connection with 1007`,
    steps(text(new Uint8Array([0x61, ...bytes])), GOODBYE),
    [failsWith(1007)],
  );
});
add(
  "6.4",
  "§8.1",
  "invalid UTF-8 in a middle fragment fails before the message ends",
  steps(text("ok", false), continuation(new Uint8Array([0xc0]), false), GOODBYE),
  [failsWith(1007)],
);

// 7 Close (§5.5.1, §7.1, §7.4).
add("7.1", "§5.5.1", "an empty close is answered with an empty close", steps(closeFrame()), [{
  close: 1005,
}]);
add(
  "7.2",
  "§5.5.1",
  "a close with a reason is answered with its code",
  steps(closeFrame(1000, "bye bye")),
  [ECHOED_GOODBYE],
);
add(
  "7.3",
  "§5.5.1",
  "a close with a 123-byte reason (125-byte payload) is answered",
  steps(closeFrame(1000, ascii(123))),
  [ECHOED_GOODBYE],
);
add(
  "7.4",
  "§5.5.1",
  "nothing after a close is read: a text after it is not echoed",
  steps(closeFrame(1000), text("late")),
  [ECHOED_GOODBYE],
);
add("7.5", "§5.5.1", "a ping after a close is not answered", steps(closeFrame(1000), ping()), [
  ECHOED_GOODBYE,
]);
add("7.6", "§5.5.1", "a close payload of one byte fails the connection", [{
  bytes: client({ opcode: 8, payload: new Uint8Array([0x03]) }),
}], [failsWith(1002)]);
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
  add(`7.7.${code}`, "§7.4", `close code ${code} is echoed`, steps(closeFrame(code)), [{
    close: code,
  }]);
}
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000]) {
  add(
    `7.9.${code}`,
    "§7.4",
    `close code ${code} may not be sent: the connection fails`,
    steps(closeFrame(code)),
    [failsWith(1002)],
  );
}
add("7.10", "§5.5.1", "a close reason that is not UTF-8 fails with 1007", [{
  bytes: client({ opcode: 8, payload: new Uint8Array([0x03, 0xe8, 0xc0, 0xaf]) }),
}], [failsWith(1007)]);
add(
  "7.11",
  "§5.5",
  "a close of 126 bytes fails the connection",
  steps(closeFrame(1000, ascii(124))),
  [failsWith(1002)],
);
add(
  "7.12",
  "§5.4",
  "a close between fragments ends the connection cleanly",
  steps(text("half", false), closeFrame(1000)),
  [ECHOED_GOODBYE],
);

// 9 Limits (§7.4.1: 1009 for a message too big to process).
const LIMIT = { maxMessageSize: 1024 };
add(
  "9.1",
  "§7.4.1",
  "a message at the server's limit is echoed",
  steps(binary(filled(1024)), GOODBYE),
  [echoBinary(filled(1024)), ECHOED_GOODBYE],
  LIMIT,
);
add(
  "9.2",
  "§7.4.1",
  "a frame one byte over the limit fails with 1009",
  steps(binary(filled(1025)), GOODBYE),
  [failsWith(1009)],
  LIMIT,
);
add(
  "9.3",
  "§7.4.1",
  "fragments summing one byte over the limit fail with 1009",
  steps(text(ascii(1000), false), continuation(ascii(25)), GOODBYE),
  [failsWith(1009)],
  LIMIT,
);
add(
  "9.4",
  "§7.4.1",
  "a 2^62-byte length fails with 1009 before any payload",
  [{ bytes: client({ opcode: 2, lengthBits: 64, declaredLength: 2 ** 52 }) }],
  [failsWith(1009)],
  LIMIT,
);

// 10 Masking (§5.1, §5.3).
add("10.1", "§5.1", "an unmasked text frame fails the connection", [
  { bytes: raw(text("plain")) },
  ...steps(GOODBYE),
], [failsWith(1002)]);
add("10.2", "§5.1", "an unmasked ping fails the connection", [
  { bytes: raw(ping()) },
  ...steps(GOODBYE),
], [failsWith(1002)]);
add(
  "10.3",
  "§5.3",
  "an all-zero masking key is still a mask",
  steps({ ...text("zero"), mask: ZERO_MASK }, GOODBYE),
  [echoText("zero"), ECHOED_GOODBYE],
);
add(
  "10.4",
  "§5.2",
  "a length in a longer encoding than needed fails the connection",
  steps({ ...text("x"), lengthBits: 16 }, GOODBYE),
  [failsWith(1002)],
);
add("10.5", "§5.2", "a 64-bit length with its top bit set fails the connection", [{
  bytes: client({ opcode: 2, lengthBits: 64, declaredLength: 70000, highBit: true }),
}], [failsWith(1002)]);

// 13 permessage-deflate (RFC 7692), when the server negotiated it.
const DEFLATE = { deflate: true };
// "Hello" compressed with one fixed-Huffman block (RFC 7692 §7.2.3.1), and
// again referring back to the first (§7.2.3.2, context takeover).
const HELLO = new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
const HELLO_AGAIN = new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00]);
add(
  "13.1",
  "RFC 7692 §7.2.3.1",
  "a compressed message is inflated (and echoed uncompressed, being short)",
  steps({ ...text(HELLO), rsv: 0b100 }, GOODBYE),
  [
    echoText("Hello"),
    ECHOED_GOODBYE,
  ],
  DEFLATE,
);
add(
  "13.2",
  "RFC 7692 §7.2.3.2",
  "a message may refer back into the previous one",
  steps({ ...text(HELLO), rsv: 0b100 }, { ...text(HELLO_AGAIN), rsv: 0b100 }, GOODBYE),
  [
    echoText("Hello"),
    echoText("Hello"),
    ECHOED_GOODBYE,
  ],
  DEFLATE,
);
add(
  "13.3",
  "RFC 7692 §7.2.3.3",
  "a compressed message in fragments (RSV1 on the first only)",
  steps(
    { ...text(HELLO.subarray(0, 3), false), rsv: 0b100 },
    continuation(HELLO.subarray(3)),
    GOODBYE,
  ),
  [
    echoText("Hello"),
    ECHOED_GOODBYE,
  ],
  DEFLATE,
);
add(
  "13.4",
  "RFC 7692 §6.1",
  "RSV1 on a continuation frame fails the connection",
  steps(text("a", false), { ...continuation("b"), rsv: 0b100 }, GOODBYE),
  [failsWith(1002)],
  DEFLATE,
);
add(
  "13.5",
  "RFC 7692 §8",
  "compressed data that is not DEFLATE fails with 1007",
  steps({ ...binary(new Uint8Array([0xff, 0xff, 0xff])), rsv: 0b100 }, GOODBYE),
  [failsWith(1007)],
  DEFLATE,
);
// 4096 zero bytes, deflated and sync-flushed (zlib), 21 bytes on the wire.
const ZEROS_4096 = new Uint8Array([
  0xec,
  0xc1,
  0x01,
  0x0d,
  0x00,
  0x00,
  0x00,
  0xc2,
  0xa0,
  0xf7,
  0x4f,
  0x6d,
  0x0f,
  0x07,
  0x14,
  0x00,
  0x00,
  0x00,
  0xf0,
  0x6e,
  0x00,
]);
add(
  "13.6",
  "RFC 7692 §7.2.2 + limits",
  "a message that inflates past the limit fails with 1009",
  steps({ ...binary(ZEROS_4096), rsv: 0b100 }, GOODBYE),
  [
    failsWith(1009),
  ],
  { deflate: true, maxMessageSize: 1024 },
);
add(
  "13.6.1",
  "RFC 7692 §7.2.2",
  "the same message within the limit is inflated",
  steps({ ...binary(ZEROS_4096), rsv: 0b100 }, GOODBYE),
  [
    echoBinary(new Uint8Array(4096)),
    ECHOED_GOODBYE,
  ],
  { deflate: true, maxMessageSize: 4096 },
);
add(
  "13.7",
  "RFC 6455 §5.2",
  "RSV1 without permessage-deflate negotiated fails the connection",
  steps({ ...text(HELLO), rsv: 0b100 }, GOODBYE),
  [failsWith(1002)],
);

/** Every case, in id order of area. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = cases;

/** The raw end of a connection to an echo server, as a runner provides it. */
export interface CaseConnection {
  send(bytes: Uint8Array): Promise<void>;
  /** The next frame from the server, `"eof"` once it ended the connection. */
  next(): Promise<
    | { type: "frame"; kind: string; fin: boolean; compressed: boolean; payload: Uint8Array }
    | { type: "ping" | "pong"; payload: Uint8Array }
    | { type: "close"; code: number; reason: string }
    | "eof"
  >;
}

/**
 * Runs one case on a fresh connection: sends its steps, then reads until
 * the server ends the connection; returns what was seen as `Expected`s, so
 * a runner can deepEqual it with `expect`. Writes that fail after the
 * server has closed are ignored (the server may close before the client's
 * last bytes arrive).
 */
export async function runCase(
  testCase: ConformanceCase,
  connection: CaseConnection,
): Promise<Expected[]> {
  for (const step of testCase.send) {
    try {
      if (step.chop) {
        for (let i = 0; i < step.bytes.length; i++) {
          await connection.send(step.bytes.subarray(i, i + 1));
        }
      } else {
        await connection.send(step.bytes);
      }
    } catch {
      break;
    }
  }
  const seen: Expected[] = [];
  for (let frame = await connection.next(); frame !== "eof"; frame = await connection.next()) {
    if (frame.type === "frame") {
      if (!frame.fin || frame.kind === "continuation") {
        throw new Error("the echo server sends whole messages in one frame");
      }
      // Inflated with node:zlib, not keepwire's inflater: an independent check.
      const payload = frame.compressed
        ? new Uint8Array(inflateRawSync(
          new Uint8Array([...frame.payload, 0x00, 0x00, 0xff, 0xff]),
          { finishFlush: zlibConstants.Z_SYNC_FLUSH },
        ))
        : frame.payload;
      seen.push({ message: frame.kind as "text" | "binary", payload });
    } else if (frame.type === "pong") seen.push({ pong: frame.payload });
    else if (frame.type === "close") seen.push({ close: frame.code });
    else throw new Error(`unexpected ${frame.type}`);
  }
  return seen;
}
