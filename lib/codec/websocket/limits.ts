/**
 * Limits of the WebSocket codec, with the precedents they follow. Each is
 * tested at the limit and one byte over; exceeding one fails the connection
 * with close code 1009 (RFC 6455 §7.4.1, "message too big").
 *
 * @module
 */

/**
 * Largest message accepted, in payload bytes summed over its frames (after
 * inflating, for a compressed message). 64 MiB: four times the 16 MiB that
 * Bun's `maxPayloadLength` allows by default, under the 100 MiB of Node's
 * `ws`; large enough for the 16 MiB messages real clients send, small
 * enough that one socket cannot pin a large share of memory.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_MESSAGE_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_MESSAGE_SIZE, 64 * 1024 * 1024);
 * ```
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * Options of {@linkcode FrameReader} and {@linkcode MessageReader}.
 *
 * @example
 * ```ts
 * import { FrameReader, type FrameReaderOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: FrameReaderOptions = { role: "client", maxMessageSize: 1024 };
 * assert.equal(new FrameReader(options).state, "idle");
 * ```
 */
export interface FrameReaderOptions {
  /**
   * Which end reads: a `"server"` reads client frames, which MUST be masked;
   * a `"client"` reads server frames, which MUST NOT be (RFC 6455 §5.1).
   */
  role: "server" | "client";
  /**
   * Largest payload of one data frame; default `maxMessageSize`.
   * Checked when the frame's header arrives, before its payload.
   */
  maxFrameSize?: number;
  /**
   * Largest message, summed over its frames' payloads; default
   * {@linkcode DEFAULT_MAX_MESSAGE_SIZE}. For compressed messages this bounds
   * the compressed size; the inflated size is the inflater's to check.
   */
  maxMessageSize?: number;
  /**
   * True when permessage-deflate was negotiated: RSV1 then marks a
   * compressed message (RFC 7692 §6). Otherwise every RSV bit is a
   * protocol error (RFC 6455 §5.2). Default false.
   */
  compression?: boolean;
}
