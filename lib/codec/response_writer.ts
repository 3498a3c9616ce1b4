/**
 * The response side of the writer: values in, bytes out. The connection
 * layer calls {@linkcode encodeResponseHead} once per response (chunked
 * bodies are framed by `chunks.ts`, the same for both roles); nothing here
 * holds state or does I/O.
 *
 * Every function returns a new region of bytes that the caller owns; small
 * results are views into a shared pooled `ArrayBuffer` (as Node's
 * `Buffer.allocUnsafe`), so write or copy them, but never transfer or detach
 * their `.buffer`.
 *
 * Theory of operation: the status line is the role's only part; the field
 * section is written by `_head_writer.ts` for both roles, one pass summing
 * the field lengths and one writing every char as one byte while a
 * 256-entry table checks it. Measured against building a string and
 * `TextEncoder.encodeInto`, the fused check-and-copy is 1.5–2× faster on V8
 * and on par on JSC; status lines with the standard phrase are encoded once
 * and reused.
 *
 * @module
 */

import type { Framing } from "./events.ts";
import { asciiBytes } from "./_head_writer.ts";
import { allocate } from "./_pool.ts";
import { encodeResponseHeadWith } from "./_response_head.ts";

/**
 * How a response body is delimited: the codec's one {@linkcode Framing}.
 * `"length"` writes `Content-Length: N` (also for a HEAD answer: the head
 * only, no body follows); `"chunked"` writes `Transfer-Encoding: chunked`;
 * `"close"` writes no framing field (the body ends when the connection
 * closes, so the caller adds `Connection: close`); `"none"` writes no
 * framing field for responses that never have content (1xx, 204, 304).
 *
 * @deprecated Use {@linkcode Framing}.
 *
 * @example
 * ```ts
 * import type { ResponseFraming } from "@keepwire/keepwire";
 *
 * const framing: ResponseFraming = { kind: "length", length: 13 };
 * ```
 */
export type ResponseFraming = Framing;

/**
 * Everything {@linkcode encodeResponseHead} needs to write a status line and
 * header section.
 *
 * @example
 * ```ts
 * import type { ResponseHeadInit } from "@keepwire/keepwire";
 *
 * const init: ResponseHeadInit = {
 *   status: 200,
 *   headers: ["Content-Type", "text/plain"],
 *   framing: { kind: "length", length: 2 },
 * };
 * ```
 */
export interface ResponseHeadInit {
  /** An integer 100..999 (RFC 9110 §15: three digits); anything else throws `TypeError`. */
  status: number;
  /**
   * The reason phrase. Default: the standard phrase for `status`, or `""` when
   * the status is unknown. Only HTAB, SP, VCHAR and obs-text (RFC 9112 §4).
   */
  statusText?: string;
  /**
   * Fields from the handler, flat: `[name0, value0, name1, value1, …]`. Names
   * must be tokens, values must not hold CR, LF or NUL or chars above 0xFF.
   * `Content-Length` and `Transfer-Encoding` are skipped: framing is decided
   * by `framing`, and a second, disagreeing length is how responses get
   * smuggled (RFC 9112 §6.3, §11.2).
   */
  headers: readonly string[];
  /** How the body that follows is delimited. */
  framing: Framing;
}

const CONTINUE_BYTES = asciiBytes("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * Serializes a status line, the handler's header fields and the framing field
 * into one buffer, ending with the empty line (RFC 9112 §2.1).
 *
 * Throws `TypeError` on a status outside 100..999, a reason phrase, field name
 * or field value with a forbidden char, an odd-length `headers`, a length that
 * is not a non-negative safe integer, or framing that RFC 9110 forbids for the
 * status (a length or chunked framing on 1xx and 204, chunked on 304).
 *
 * @example A fixed-length response
 * ```ts
 * import { encodeResponseHead } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const head = encodeResponseHead({
 *   status: 200,
 *   headers: ["Content-Type", "text/plain"],
 *   framing: { kind: "length", length: 5 },
 * });
 * assert.equal(
 *   new TextDecoder().decode(head),
 *   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
 * );
 * ```
 */
export function encodeResponseHead(init: ResponseHeadInit): Uint8Array<ArrayBuffer> {
  return encodeResponseHeadWith(init, undefined);
}

/**
 * The interim `100 Continue` response (RFC 9110 §10.1.1), sent before reading
 * the body of a request that carries `Expect: 100-continue`.
 *
 * @example
 * ```ts
 * import { encodeContinue } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TextDecoder().decode(encodeContinue()), "HTTP/1.1 100 Continue\r\n\r\n");
 * ```
 */
export function encodeContinue(): Uint8Array<ArrayBuffer> {
  // A copy, so a caller that mutates the buffer cannot corrupt every later
  // interim response.
  const out = allocate(CONTINUE_BYTES.length);
  out.set(CONTINUE_BYTES);
  return out;
}
