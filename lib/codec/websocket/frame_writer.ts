/**
 * Encoding WebSocket frames (RFC 6455 §5.2): the header with the minimal
 * length encoding, and the payload masked when a client sends it (§5.3).
 *
 * @module
 */

import { encodeClosePayload } from "./close.ts";
import { Opcode } from "./frame_events.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * One frame to encode.
 *
 * @example
 * ```ts
 * import { encodeFrame, type FrameFields } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const frame: FrameFields = { opcode: 0x2, payload: new Uint8Array([1]), fin: false };
 * assert.deepEqual([...encodeFrame(frame)], [0x02, 0x01, 0x01]);
 * ```
 */
export interface FrameFields {
  /** The opcode, see {@linkcode Opcode}. */
  opcode: number;
  /** The payload, unmasked. */
  payload: Uint8Array;
  /** FIN: the last frame of a message. Default true. */
  fin?: boolean;
  /** RSV1: a compressed message's first frame (RFC 7692 §6). Default false. */
  compressed?: boolean;
  /** A 4-byte masking key: the frame is masked with it (client frames, §5.3). */
  mask?: Uint8Array;
}

/**
 * Encodes one frame into a fresh byte array: header (minimal length
 * encoding, §5.2), then the payload, XORed with `mask` when given. Throws
 * `RangeError` for a control frame that is fragmented or over 125 bytes
 * (§5.5) or a mask that is not 4 bytes.
 *
 * @example A masked "Hello" (RFC 6455 §5.7)
 * ```ts
 * import { encodeFrame } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeFrame({
 *   opcode: 0x1,
 *   payload: new TextEncoder().encode("Hello"),
 *   mask: new Uint8Array([0x37, 0xfa, 0x21, 0x3d]),
 * });
 * assert.deepEqual([...frame], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * ```
 */
export function encodeFrame(frame: FrameFields): Uint8Array {
  const { opcode, payload, mask } = frame;
  const fin = frame.fin ?? true;
  if (opcode >= 0x8 && (!fin || payload.length > 125)) {
    throw new RangeError("a control frame is final and carries at most 125 bytes");
  }
  if (mask !== undefined && mask.length !== 4) throw new RangeError("a masking key is 4 bytes");
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const headerSize = 2 + lengthBytes + (mask === undefined ? 0 : 4);
  const out = new Uint8Array(headerSize + length);
  out[0] = (fin ? 0x80 : 0) | (frame.compressed ? 0x40 : 0) | (opcode & 0x0f);
  const maskBit = mask === undefined ? 0 : 0x80;
  if (lengthBytes === 0) {
    out[1] = maskBit | length;
  } else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = length >> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = maskBit | 127;
    const high = Math.floor(length / 0x1_0000_0000);
    const low = length >>> 0;
    out[2] = high >>> 24;
    out[3] = (high >>> 16) & 0xff;
    out[4] = (high >>> 8) & 0xff;
    out[5] = high & 0xff;
    out[6] = low >>> 24;
    out[7] = (low >>> 16) & 0xff;
    out[8] = (low >>> 8) & 0xff;
    out[9] = low & 0xff;
  }
  out.set(payload, headerSize);
  if (mask !== undefined) {
    out.set(mask, 2 + lengthBytes);
    for (let i = 0; i < length; i++) out[headerSize + i] ^= mask[i & 3];
  }
  return out;
}

/**
 * Options of {@linkcode FrameWriter}.
 *
 * @example
 * ```ts
 * import { FrameWriter, type FrameWriterOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: FrameWriterOptions = { role: "client", maskKey: () => new Uint8Array(4) };
 * assert.equal(new FrameWriter(options).ping().length, 6);
 * ```
 */
export interface FrameWriterOptions {
  /** A `"client"` masks every frame (RFC 6455 §5.3); a `"server"` never does (§5.1). */
  role: "server" | "client";
  /**
   * Where a client's masking keys come from; default
   * `crypto.getRandomValues` (§5.3: unpredictable, from a strong source).
   */
  maskKey?: () => Uint8Array;
}

function randomMaskKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(4));
}

/**
 * Encodes the frames one end of a connection sends, masking them when the
 * end is a client.
 *
 * @example A server's frames
 * ```ts
 * import { FrameWriter } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const writer = new FrameWriter({ role: "server" });
 * assert.deepEqual([...writer.text("hi")], [0x81, 0x02, 0x68, 0x69]);
 * assert.deepEqual([...writer.close(1000)], [0x88, 0x02, 0x03, 0xe8]);
 * assert.deepEqual([...writer.pong(new Uint8Array([7]))], [0x8a, 0x01, 0x07]);
 * ```
 */
export class FrameWriter {
  #maskKey: (() => Uint8Array) | null;

  /**
   * Creates a writer for one end.
   *
   * @param options the role, and for clients the source of masking keys
   */
  constructor(options: FrameWriterOptions) {
    this.#maskKey = options.role === "client" ? options.maskKey ?? randomMaskKey : null;
  }

  /** One frame with this end's masking; see {@linkcode encodeFrame}. */
  frame(
    opcode: number,
    payload: Uint8Array,
    options: { fin?: boolean; compressed?: boolean } = {},
  ): Uint8Array {
    return encodeFrame({
      opcode,
      payload,
      fin: options.fin,
      compressed: options.compressed,
      mask: this.#maskKey === null ? undefined : this.#maskKey(),
    });
  }

  /** A whole text message in one frame. */
  text(text: string): Uint8Array {
    return this.frame(Opcode.Text, encoder.encode(text));
  }

  /** A whole binary message in one frame. */
  binary(bytes: Uint8Array): Uint8Array {
    return this.frame(Opcode.Binary, bytes);
  }

  /** A Ping frame (at most 125 bytes of application data). */
  ping(payload: Uint8Array = EMPTY): Uint8Array {
    return this.frame(Opcode.Ping, payload);
  }

  /** A Pong frame; the answer to a Ping echoes its application data (§5.5.3). */
  pong(payload: Uint8Array = EMPTY): Uint8Array {
    return this.frame(Opcode.Pong, payload);
  }

  /** A Close frame; see {@linkcode encodeClosePayload} for what code and reason may be. */
  close(code?: number, reason?: string): Uint8Array {
    return this.frame(Opcode.Close, encodeClosePayload(code, reason));
  }
}
