/**
 * A received message as the WebSocket API hands it over: a compressed one
 * inflated and checked first (RFC 7692 §6.2), then the payload as
 * `MessageEvent.data` — a string, a `Blob` or an `ArrayBuffer`.
 *
 * @module
 */

import { WebSocketError } from "../codec/websocket/errors.ts";
import type { DataMessage } from "../codec/websocket/message_reader.ts";
import type { PerMessageDeflate } from "./deflate.ts";

const decoder = new TextDecoder();
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The payload of a compressed `message`, inflated. Throws a
 * {@linkcode WebSocketError}: 1009 past `maxMessageSize`, 1007 for a text
 * message that is not UTF-8 (the reader leaves a compressed one unchecked).
 */
export function inflateMessage(
  deflate: PerMessageDeflate,
  message: DataMessage,
  maxMessageSize: number,
): Uint8Array {
  const data = deflate.inflate(message.data, maxMessageSize);
  if (data === null) {
    throw new WebSocketError(1009, "message-too-big", "an inflated message over the size limit");
  }
  if (message.kind === "text") {
    try {
      fatalDecoder.decode(data);
    } catch {
      throw new WebSocketError(1007, "invalid-utf8", "a text message is not UTF-8");
    }
  }
  return data;
}

/** `MessageEvent.data` for a message's payload, binary as `binaryType` says (WHATWG). */
export function messageData(
  kind: "text" | "binary",
  data: Uint8Array,
  binaryType: "blob" | "arraybuffer",
): string | Blob | ArrayBuffer {
  if (kind === "text") return decoder.decode(data);
  if (binaryType === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return data.buffer as ArrayBuffer;
  }
  return data.slice().buffer;
}
