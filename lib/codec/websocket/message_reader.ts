/**
 * Messages from frames (RFC 6455 §5.4, §6.2): the fragments of a message
 * joined, control frames passed through as they arrive between them.
 *
 * @module
 */

import type { CloseFrame, PingPongFrame } from "./frame_events.ts";
import { FrameReader } from "./frame_reader.ts";
import type { FrameReaderOptions } from "./limits.ts";

/**
 * A whole data message. `data` is the payload as sent: compressed when
 * `compressed` is true (inflate it, then check text as UTF-8), otherwise
 * already UTF-8-checked when `kind` is `"text"`.
 *
 * @example
 * ```ts
 * import { type DataMessage, MessageReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new MessageReader({ role: "client" });
 * reader.push(new Uint8Array([0x82, 0x01, 0xff]));
 * const message = reader.next() as DataMessage;
 * assert.equal(message.kind, "binary");
 * assert.deepEqual([...message.data], [0xff]);
 * ```
 */
export interface DataMessage {
  /** Discriminant. */
  readonly type: "message";
  /** The opcode of the message's first frame. */
  readonly kind: "text" | "binary";
  /** The payloads of its frames, joined. */
  readonly data: Uint8Array;
  /** RSV1 was set on the first frame (permessage-deflate, RFC 7692 §6). */
  readonly compressed: boolean;
}

/**
 * What {@linkcode MessageReader.next} returns besides `null`.
 *
 * @example
 * ```ts
 * import { MessageReader, type MessageReaderEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new MessageReader({ role: "client" });
 * reader.push(new Uint8Array([0x89, 0x00]));
 * const event: MessageReaderEvent | null = reader.next();
 * assert.equal(event?.type, "ping");
 * ```
 */
export type MessageReaderEvent = DataMessage | PingPongFrame | CloseFrame;

/**
 * Reads whole messages and control frames from a connection's bytes: a
 * {@linkcode FrameReader} (all its checks and limits) whose data frames are
 * joined into messages. Control frames that arrive between the fragments
 * of a message are returned at once, before the message (§5.4).
 *
 * @example A fragmented text message with a ping between its fragments
 * ```ts
 * import { MessageReader } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const reader = new MessageReader({ role: "client" });
 * reader.push(new Uint8Array([
 *   0x01, 0x03, 0x48, 0x65, 0x6c, // text, not final: "Hel"
 *   0x89, 0x00, //                   ping
 *   0x80, 0x02, 0x6c, 0x6f, //       continuation, final: "lo"
 * ]));
 * assert.equal(reader.next()?.type, "ping");
 * const message = reader.next();
 * assert.equal(message?.type === "message" && new TextDecoder().decode(message.data), "Hello");
 * assert.equal(reader.next(), null);
 * ```
 */
export class MessageReader {
  #frames: FrameReader;
  #kind: "text" | "binary" = "binary";
  #compressed = false;
  #pieces: Uint8Array[] = [];
  #size = 0;

  /**
   * Creates a reader for one connection's incoming bytes.
   *
   * @param options as {@linkcode FrameReader}'s
   */
  constructor(options: FrameReaderOptions) {
    this.#frames = new FrameReader(options);
  }

  /** Appends bytes from the peer; see {@linkcode FrameReader.push}. */
  push(chunk: Uint8Array): void {
    this.#frames.push(chunk);
  }

  /**
   * The next message or control frame, or null when more input is needed.
   * Throws {@linkcode WebSocketError} as {@linkcode FrameReader.next} does.
   */
  next(): MessageReaderEvent | null {
    const frames = this.#frames;
    for (let event = frames.next(); event !== null; event = frames.next()) {
      switch (event.type) {
        case "frame":
          if (event.kind !== "continuation") {
            this.#kind = event.kind;
            this.#compressed = event.compressed;
          }
          break;
        case "data":
          this.#pieces.push(event.bytes);
          this.#size += event.bytes.length;
          break;
        case "frame-end":
          if (event.fin) return this.#finishMessage();
          break;
        default:
          return event;
      }
    }
    return null;
  }

  /** As {@linkcode FrameReader.state}. */
  get state(): "idle" | "message" | "frame" | "closed" | "error" {
    return this.#frames.state;
  }

  #finishMessage(): DataMessage {
    const pieces = this.#pieces;
    let data: Uint8Array;
    if (pieces.length === 1) {
      data = pieces[0];
    } else {
      data = new Uint8Array(this.#size);
      let at = 0;
      for (const piece of pieces) {
        data.set(piece, at);
        at += piece.length;
      }
    }
    this.#pieces = [];
    this.#size = 0;
    return { type: "message", kind: this.#kind, data, compressed: this.#compressed };
  }
}
