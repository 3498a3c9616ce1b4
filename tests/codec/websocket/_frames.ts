/**
 * Test helpers for the WebSocket codec: raw frames built bit by bit
 * (independently of the writer under test, so non-minimal lengths and
 * reserved bits can be made too), and drivers that feed a reader whole,
 * byte by byte and at every split.
 *
 * @module
 */

import assert from "node:assert/strict";
import { WebSocketError } from "../../../lib/codec/websocket/errors.ts";
import type { FrameEvent } from "../../../lib/codec/websocket/frame_events.ts";
import { FrameReader } from "../../../lib/codec/websocket/frame_reader.ts";
import type { FrameReaderOptions } from "../../../lib/codec/websocket/limits.ts";
import { feedings } from "../_drive.ts";

/** A frame to build; every field a raw bit or byte. */
export interface RawFrame {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv?: number; // bits 0b100 RSV1, 0b010 RSV2, 0b001 RSV3
  mask?: number[] | null;
  /** Force the length encoding: 7, 16 or 64 bits (may be non-minimal). */
  lengthBits?: 7 | 16 | 64;
  /** Write this length instead of the payload's (for lying headers). */
  declaredLength?: number;
  /** Set the most significant bit of a 64-bit length. */
  highBit?: boolean;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The mask RFC 6455 §5.7 uses in its examples. */
export const EXAMPLE_MASK: number[] = [0x37, 0xfa, 0x21, 0x3d];

/** Builds one frame's bytes. */
export function raw(frame: RawFrame): Uint8Array {
  const payload = typeof frame.payload === "string"
    ? utf8(frame.payload)
    : frame.payload ?? new Uint8Array(0);
  const length = frame.declaredLength ?? payload.length;
  const bits = frame.lengthBits ?? (length < 126 ? 7 : length <= 0xffff ? 16 : 64);
  const header: number[] = [
    ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode,
  ];
  const maskBit = frame.mask ? 0x80 : 0;
  if (bits === 7) header.push(maskBit | length);
  else if (bits === 16) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    const high = Math.floor(length / 2 ** 32) | (frame.highBit ? 0x80000000 : 0);
    header.push(maskBit | 127);
    for (const word of [high >>> 0, length >>> 0]) {
      header.push(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
    }
  }
  if (frame.mask) header.push(...frame.mask);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  for (let i = 0; i < payload.length; i++) {
    out[header.length + i] = frame.mask ? payload[i] ^ frame.mask[i & 3] : payload[i];
  }
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Latin-1 text of bytes (one char per byte), for cheap comparisons. */
export function latin1(bytes: Uint8Array): string {
  let result = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    result += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return result;
}

/** One collected event: data merged per frame, payloads as Latin-1 text. */
export type Collected =
  | { type: "frame"; kind: string; fin: boolean; compressed: boolean; length: number }
  | { type: "data"; latin1: string }
  | { type: "frame-end"; fin: boolean }
  | { type: "ping" | "pong"; latin1: string }
  | { type: "close"; code: number; reason: string };

/** Everything a reader produced: events, then the error if any. */
export interface Outcome {
  events: Collected[];
  error?: { closeCode: number; code: string };
}

function record(events: Collected[], event: FrameEvent): void {
  if (event.type === "data") {
    assert.ok(event.bytes.length > 0, "data events are never empty");
    const last = events.at(-1);
    if (last?.type === "data") last.latin1 += latin1(event.bytes);
    else events.push({ type: "data", latin1: latin1(event.bytes) });
  } else if (event.type === "ping" || event.type === "pong") {
    events.push({ type: event.type, latin1: latin1(event.payload) });
  } else {
    events.push({ ...event } as Collected);
  }
}

/** Feeds `pieces` to a new reader, draining after each. */
export function drive(pieces: readonly Uint8Array[], options: FrameReaderOptions): Outcome {
  const reader = new FrameReader(options);
  const events: Collected[] = [];
  let count = 0;
  try {
    for (const piece of pieces) {
      reader.push(piece);
      for (let event = reader.next(); event !== null; event = reader.next()) {
        record(events, event);
        if (++count > 10_000_000) throw new Error("next() does not terminate");
      }
    }
    return { events };
  } catch (error) {
    if (!(error instanceof WebSocketError)) throw error;
    assert.equal(reader.state, "error");
    assert.throws(() => reader.next(), (again: unknown) => again === error, "the error is sticky");
    return { events, error: { closeCode: error.closeCode, code: error.code } };
  }
}

/** Asserts every feeding of `input` gives `expected`. */
export function assertFeedings(
  input: Uint8Array,
  expected: Outcome,
  options: FrameReaderOptions,
): void {
  for (const [how, pieces] of feedings(input, 200)) {
    assert.deepStrictEqual(drive(pieces, options), expected, how);
  }
}

/** Event builders. */
export const frame = (
  kind: string,
  length: number,
  fin = true,
  compressed = false,
): Collected => ({ type: "frame", kind, fin, compressed, length });
export const data = (text: string): Collected => ({ type: "data", latin1: text });
export const frameEnd = (fin = true): Collected => ({ type: "frame-end", fin });
export const ping = (text = ""): Collected => ({ type: "ping", latin1: text });
export const pong = (text = ""): Collected => ({ type: "pong", latin1: text });
export const close = (code: number, reason = ""): Collected => ({ type: "close", code, reason });
/** A whole single-frame message's events. */
export function message(kind: string, text: string, compressed = false): Collected[] {
  const payload = latin1(utf8(text));
  return payload.length === 0
    ? [frame(kind, 0, true, compressed), frameEnd()]
    : [frame(kind, payload.length, true, compressed), data(payload), frameEnd()];
}
