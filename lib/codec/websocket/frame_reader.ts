/**
 * The incremental WebSocket frame reader (RFC 6455 §5), sans-IO.
 *
 * Theory of operation: `push()` only appends to a {@linkcode ByteBuffer};
 * `next()` reads as far as the buffered bytes allow and returns one event.
 * Phases: `header` (the 2–14 header bytes; every header check runs when
 * the bytes it reads are buffered, in byte order, so an input fails with
 * the same error however it is split), `payload` (a data frame's payload,
 * handed out unmasked as it arrives, so a 16 MiB frame is never buffered
 * here), `control` (a control frame's ≤125 bytes, handed out whole) and
 * `closed` (after a Close frame). Text is validated as it streams; the
 * valid prefix of a chunk that contains an invalid byte is handed out
 * first and the error comes with the next call, so the events before an
 * error are the same at every split too.
 *
 * @module
 */

import { ByteBuffer } from "../_byte_buffer.ts";
import { parseClosePayload } from "./close.ts";
import { WebSocketError } from "./errors.ts";
import type { FrameEvent, FrameStart } from "./frame_events.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, type FrameReaderOptions } from "./limits.ts";
import { Utf8Validator } from "./utf8.ts";

type Phase = "header" | "payload" | "control" | "closed";

const KINDS = ["continuation", "text", "binary"] as const;

/**
 * Reads a stream of WebSocket frames into `frame` / `data` / `frame-end`
 * events for data frames and whole `ping` / `pong` / `close` events (see
 * {@linkcode FrameEvent}).
 *
 * Enforced here (every rejection a {@linkcode WebSocketError} with the close
 * code to fail with; afterwards the reader is dead and every call throws
 * that same error): masking by role (§5.1), reserved bits (§5.2; RSV1 only
 * on the first frame of a message when permessage-deflate is on, RFC 7692
 * §6), reserved opcodes (§5.2), control frames final and ≤125 bytes
 * (§5.5), continuation only inside a message and a new message only
 * outside one (§5.4), the minimal length encoding and a 64-bit length with
 * its most significant bit clear (§5.2; the encoding "MUST" be minimal, and
 * a reader that accepted several encodings of one frame would make two
 * readers disagree, so a longer one is refused with 1002), UTF-8 of
 * uncompressed text across fragments (§8.1, 1007), the Close payload
 * (§5.5.1, §7.4), and frame and message size limits (1009).
 *
 * @example Read a masked text frame as a server
 * ```ts
 * import { FrameReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * // "Hello", masked with 37 fa 21 3d (RFC 6455 §5.7)
 * const reader = new FrameReader({ role: "server" });
 * reader.push(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
 * assert.deepEqual(reader.next(), { type: "frame", kind: "text", fin: true, compressed: false, length: 5 });
 * const data = reader.next();
 * assert.equal(data?.type === "data" && new TextDecoder().decode(data.bytes), "Hello");
 * assert.deepEqual(reader.next(), { type: "frame-end", fin: true });
 * assert.equal(reader.next(), null);
 * ```
 */
export class FrameReader {
  #buffer = new ByteBuffer();
  #phase: Phase = "header";
  #error: WebSocketError | null = null;
  #pendingError: WebSocketError | null = null;

  #server: boolean;
  #compression: boolean;
  #maxFrameSize: number;
  #maxMessageSize: number;

  // The frame being read.
  #opcode = 0;
  #fin = false;
  #masked = false;
  #mask = new Uint8Array(4);
  #remaining = 0;
  #payloadOffset = 0;
  #length = 0;

  // The message being read.
  #inMessage = false;
  #checkText = false;
  #messageSize = 0;
  #utf8 = new Utf8Validator();

  /**
   * Creates a reader for one connection's incoming bytes.
   *
   * @param options the role, limits, and whether permessage-deflate is on
   */
  constructor(options: FrameReaderOptions) {
    this.#server = options.role === "server";
    this.#compression = options.compression ?? false;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#maxFrameSize = options.maxFrameSize ?? this.#maxMessageSize;
  }

  /**
   * Appends bytes from the peer. Never parses; cheap. The chunk must not be
   * mutated afterwards: data events of unmasked frames may be views into it.
   * Bytes after a Close frame are dropped (RFC 6455 §5.5.1: nothing follows it).
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#phase === "closed") return;
    this.#buffer.push(chunk);
  }

  /**
   * The next event, or null when more input is needed. Throws
   * {@linkcode WebSocketError} on a broken rule; after that the reader is
   * dead and every call throws the same error.
   */
  next(): FrameEvent | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#step();
    } catch (error) {
      this.#error = error as WebSocketError;
      throw error;
    }
  }

  /**
   * `"idle"` between messages with nothing buffered, `"message"` between
   * the frames of a fragmented message with nothing buffered, `"frame"`
   * while a frame is partly read, `"closed"` after a Close frame, `"error"`
   * after a {@linkcode WebSocketError}. EOF anywhere but `"idle"` or
   * `"closed"` cut a message or a frame short.
   */
  get state(): "idle" | "message" | "frame" | "closed" | "error" {
    if (this.#error !== null) return "error";
    if (this.#phase === "closed") return "closed";
    if (this.#phase !== "header" || this.#buffer.size > 0) return "frame";
    return this.#inMessage ? "message" : "idle";
  }

  /** Bytes pushed but not yet consumed by events. */
  get buffered(): number {
    return this.#buffer.size;
  }

  #step(): FrameEvent | null {
    if (this.#pendingError !== null) throw this.#pendingError;
    switch (this.#phase) {
      case "header":
        return this.#readHeader();
      case "payload":
        return this.#readPayload();
      case "control":
        return this.#readControl();
      case "closed":
        return null;
    }
  }

  #readHeader(): FrameEvent | null {
    const buffer = this.#buffer;
    const available = buffer.end - buffer.start;
    if (available < 2) return null;
    const bytes = buffer.bytes;
    const at = buffer.start;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    const control = opcode >= 0x8;

    // §5.2: RSV2/RSV3 are never negotiated here; RSV1 belongs to
    // permessage-deflate, set on a message's first frame only (RFC 7692 §6.1).
    if ((b0 & 0x30) !== 0) throw protocolError("reserved-bits", "RSV2 or RSV3 is set");
    if (rsv1 && (!this.#compression || control || opcode === 0)) {
      throw protocolError("reserved-bits", "RSV1 is set without a message to compress");
    }
    if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xa) {
      throw protocolError("reserved-opcode", `opcode 0x${opcode.toString(16)} is reserved`);
    }
    if (control) {
      // §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
      if (!fin) throw protocolError("fragmented-control-frame", "a control frame without FIN");
      if (length7 > 125) {
        throw protocolError("control-frame-too-long", "a control frame over 125 bytes");
      }
    } else if (opcode === 0 && !this.#inMessage) {
      throw protocolError("unexpected-continuation", "a continuation frame outside a message");
    } else if (opcode !== 0 && this.#inMessage) {
      throw protocolError("expected-continuation", "a new message inside a fragmented one");
    }
    // §5.1: a server MUST fail on an unmasked frame, a client on a masked one.
    if (masked !== this.#server) {
      throw this.#server
        ? protocolError("unmasked-frame", "a client frame is not masked")
        : protocolError("masked-frame", "a server frame is masked");
    }

    const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerSize = 2 + lengthBytes + (masked ? 4 : 0);
    if (available < headerSize) return null;
    let length = length7;
    if (length7 === 126) {
      length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (length < 126) throw protocolError("non-minimal-length", "a 16-bit length under 126");
    } else if (length7 === 127) {
      const high = readUint32(bytes, at + 2);
      if (high >= 0x80000000) {
        throw protocolError("length-high-bit", "a 64-bit length with its most significant bit set");
      }
      length = high * 0x1_0000_0000 + readUint32(bytes, at + 6);
      if (length <= 0xffff) {
        throw protocolError("non-minimal-length", "a 64-bit length under 65536");
      }
    }
    if (!control) {
      if (length > this.#maxFrameSize) {
        throw new WebSocketError(1009, "frame-too-big", `a frame of ${length} bytes`);
      }
      const before = opcode === 0 ? this.#messageSize : 0;
      if (length > this.#maxMessageSize - before) {
        throw new WebSocketError(1009, "message-too-big", "a message over the size limit");
      }
    }
    if (masked) this.#mask.set(bytes.subarray(at + 2 + lengthBytes, at + headerSize));
    buffer.advance(headerSize);

    this.#opcode = opcode;
    this.#fin = fin;
    this.#masked = masked;
    this.#remaining = length;
    this.#length = length;
    this.#payloadOffset = 0;
    if (control) {
      this.#phase = "control";
      return this.#readControl();
    }
    if (opcode !== 0) {
      this.#inMessage = true;
      this.#messageSize = 0;
      this.#checkText = opcode === 0x1 && !rsv1;
      this.#utf8.reset();
    }
    this.#messageSize += length;
    this.#phase = "payload";
    const start: FrameStart = { type: "frame", kind: KINDS[opcode], fin, compressed: rsv1, length };
    return start;
  }

  #readPayload(): FrameEvent | null {
    if (this.#remaining === 0) {
      this.#phase = "header";
      const fin = this.#fin;
      if (fin) {
        this.#inMessage = false;
        // §8.1: a text message must end on a code point boundary.
        if (this.#checkText && !this.#utf8.complete) throw invalidText();
      }
      return { type: "frame-end", fin };
    }
    const buffer = this.#buffer;
    const count = Math.min(buffer.end - buffer.start, this.#remaining);
    if (count === 0) return null;
    let bytes: Uint8Array;
    if (this.#masked) {
      bytes = unmask(buffer.bytes, buffer.start, count, this.#mask, this.#payloadOffset);
      buffer.advance(count);
    } else {
      bytes = buffer.take(count);
    }
    if (this.#checkText) {
      const invalidAt = this.#utf8.feed(bytes);
      if (invalidAt !== -1) {
        this.#pendingError = invalidText();
        if (invalidAt === 0) throw this.#pendingError;
        bytes = bytes.subarray(0, invalidAt);
      }
    }
    this.#remaining -= count;
    this.#payloadOffset += count;
    return { type: "data", bytes };
  }

  #readControl(): FrameEvent | null {
    const buffer = this.#buffer;
    const length = this.#length;
    if (buffer.end - buffer.start < length) return null;
    const payload = unmask(buffer.bytes, buffer.start, length, this.#mask, this.#masked ? 0 : -1);
    buffer.advance(length);
    this.#phase = "header";
    if (this.#opcode === 0x9) return { type: "ping", payload };
    if (this.#opcode === 0xa) return { type: "pong", payload };
    const { code, reason } = parseClosePayload(payload);
    this.#phase = "closed";
    buffer.clear();
    return { type: "close", code, reason };
  }
}

function protocolError(code: string, message: string): WebSocketError {
  return new WebSocketError(1002, code, message);
}

function invalidText(): WebSocketError {
  return new WebSocketError(1007, "invalid-utf8", "a text message is not UTF-8");
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * A copy of `bytes[start, start + count)` XORed with the mask (§5.3), the
 * mask's phase continuing at `offset` into the payload; `offset` -1 copies
 * without unmasking.
 */
function unmask(
  bytes: Uint8Array,
  start: number,
  count: number,
  mask: Uint8Array,
  offset: number,
): Uint8Array {
  const result = bytes.slice(start, start + count);
  if (offset < 0) return result;
  const m0 = mask[offset & 3];
  const m1 = mask[(offset + 1) & 3];
  const m2 = mask[(offset + 2) & 3];
  const m3 = mask[(offset + 3) & 3];
  let i = 0;
  for (const end = count - 3; i < end; i += 4) {
    result[i] ^= m0;
    result[i + 1] ^= m1;
    result[i + 2] ^= m2;
    result[i + 3] ^= m3;
  }
  for (; i < count; i++) result[i] ^= mask[(offset + i) & 3];
  return result;
}
