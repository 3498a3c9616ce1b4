/**
 * The vocabulary of the WebSocket frame codec: what {@linkcode FrameReader}
 * emits. A data frame is `frame`, zero or more `data`, then `frame-end`;
 * control frames arrive whole, between data frames (RFC 6455 §5.4 lets
 * them interleave with the fragments of a message, never inside a frame).
 *
 * @module
 */

/**
 * The opcodes of RFC 6455 §5.2 (§11.8): 0x0 continuation, 0x1 text,
 * 0x2 binary, 0x8 close, 0x9 ping, 0xA pong. Others are reserved.
 *
 * @example
 * ```ts
 * import { Opcode } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Opcode.Text, 0x1);
 * assert.equal(Opcode.Pong, 0xa);
 * ```
 */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/**
 * The header of a data frame.
 *
 * @example
 * ```ts
 * import { FrameReader, type FrameStart } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x01, 0x02, 0x68, 0x69])); // text, not final, "hi"
 * const start = reader.next() as FrameStart;
 * assert.deepEqual(start, { type: "frame", kind: "text", fin: false, compressed: false, length: 2 });
 * ```
 */
export interface FrameStart {
  /** Discriminant. */
  readonly type: "frame";
  /** `"text"` or `"binary"` opens a message, `"continuation"` continues it. */
  readonly kind: "text" | "binary" | "continuation";
  /** True on the last frame of a message. */
  readonly fin: boolean;
  /** RSV1 on the first frame: the message is compressed (RFC 7692 §6). */
  readonly compressed: boolean;
  /** The payload length. */
  readonly length: number;
}

/**
 * A slice of a data frame's payload, unmasked. Never empty. May be a view
 * into a pushed chunk (unmasked frames) or a fresh copy (masked ones).
 *
 * @example
 * ```ts
 * import { type FrameData, FrameReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x82, 0x02, 0x01, 0x02]));
 * reader.next(); // the frame
 * const data = reader.next() as FrameData;
 * assert.deepEqual([...data.bytes], [1, 2]);
 * ```
 */
export interface FrameData {
  /** Discriminant. */
  readonly type: "data";
  /** Payload bytes. */
  readonly bytes: Uint8Array;
}

/**
 * The end of a data frame; `fin` repeats the frame's FIN bit, so a `frame-end`
 * with `fin` ends the message.
 *
 * @example
 * ```ts
 * import { FrameReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x81, 0x00]));
 * reader.next(); // the frame
 * assert.deepEqual(reader.next(), { type: "frame-end", fin: true });
 * ```
 */
export interface FrameEnd {
  /** Discriminant. */
  readonly type: "frame-end";
  /** True when this frame ended a message. */
  readonly fin: boolean;
}

/**
 * A Ping or Pong frame, whole (at most 125 bytes, RFC 6455 §5.5).
 *
 * @example
 * ```ts
 * import { FrameReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x89, 0x01, 0x2a]));
 * const ping = reader.next();
 * assert.equal(ping?.type, "ping");
 * if (ping?.type === "ping") assert.deepEqual([...ping.payload], [42]);
 * ```
 */
export interface PingPongFrame {
  /** Discriminant. */
  readonly type: "ping" | "pong";
  /** The application data (a copy the caller may keep). */
  readonly payload: Uint8Array;
}

/**
 * A Close frame, its payload parsed (RFC 6455 §5.5.1); `code` is 1005 when
 * it carried none. After it the reader reads nothing more (§5.5.1: no data
 * frames follow a Close).
 *
 * @example
 * ```ts
 * import { FrameReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x88, 0x02, 0x03, 0xe8]));
 * assert.deepEqual(reader.next(), { type: "close", code: 1000, reason: "" });
 * assert.equal(reader.state, "closed");
 * ```
 */
export interface CloseFrame {
  /** Discriminant. */
  readonly type: "close";
  /** The status code, 1005 if absent. */
  readonly code: number;
  /** The reason (UTF-8 checked), empty if absent. */
  readonly reason: string;
}

/**
 * Anything {@linkcode FrameReader.next} returns besides "need more input" (`null`).
 *
 * @example
 * ```ts
 * import { FrameReader, type FrameEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new FrameReader({ role: "client" });
 * reader.push(new Uint8Array([0x81, 0x01, 0x61, 0x89, 0x00]));
 * const types: FrameEvent["type"][] = [];
 * for (let event = reader.next(); event !== null; event = reader.next()) types.push(event.type);
 * assert.deepEqual(types, ["frame", "data", "frame-end", "ping"]);
 * ```
 */
export type FrameEvent = FrameStart | FrameData | FrameEnd | PingPongFrame | CloseFrame;
