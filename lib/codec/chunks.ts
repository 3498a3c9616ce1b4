/**
 * The chunked transfer coding's writing half (RFC 9112 §7.1), the same for
 * request and response bodies: one chunk per call, then the last chunk with
 * its trailers. The reading half is the body decoder (`_body_reader.ts`).
 *
 * Every function returns a new region of bytes that the caller owns; small
 * results are views into a shared pooled `ArrayBuffer`, so write or copy
 * them, but never transfer or detach their `.buffer`.
 *
 * @module
 */

import { asciiBytes, fieldsSize, writeFields } from "./_head_writer.ts";
import { allocate } from "./_pool.ts";
import { CR, LF } from "./_syntax.ts";

const LAST_CHUNK_BYTES = asciiBytes("0\r\n\r\n");

/**
 * Frames `data` as one chunk (RFC 9112 §7.1): the size in hex, CRLF, the
 * bytes, CRLF, in one new buffer. Empty `data` yields an empty buffer, never a
 * zero-size chunk: that would be the last-chunk and end the body early.
 *
 * @example
 * ```ts
 * import { encodeChunk } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const chunk = encodeChunk(new TextEncoder().encode("Hello, World!"));
 * assert.equal(new TextDecoder().decode(chunk), "d\r\nHello, World!\r\n");
 * assert.equal(encodeChunk(new Uint8Array()).length, 0);
 * ```
 */
export function encodeChunk(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const size = data.length;
  if (size === 0) return allocate(0);
  // Hex digits of size: a quarter of its bit length, rounded up.
  let digits = size <= 0xffffffff ? (35 - Math.clz32(size)) >> 2 : 9;
  while (size >= 16 ** digits) digits++;
  const out = allocate(digits + 2 + size + 2);
  writeHex(out, size, digits);
  out[digits] = CR;
  out[digits + 1] = LF;
  out.set(data, digits + 2);
  out[out.length - 2] = CR;
  out[out.length - 1] = LF;
  return out;
}

/**
 * The end of a chunked body (RFC 9112 §7.1): `0` CRLF, the trailer fields,
 * CRLF. Trailers are validated like header fields; `Content-Length` and
 * `Transfer-Encoding` are skipped because framing fields must not be sent as
 * trailers (RFC 9110 §6.5.1).
 *
 * @example
 * ```ts
 * import { encodeLastChunk } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TextDecoder().decode(encodeLastChunk()), "0\r\n\r\n");
 * assert.equal(
 *   new TextDecoder().decode(encodeLastChunk(["Digest", "sha-256=:abc=:"])),
 *   "0\r\nDigest: sha-256=:abc=:\r\n\r\n",
 * );
 * ```
 */
export function encodeLastChunk(trailers?: readonly string[]): Uint8Array<ArrayBuffer> {
  const fieldBytes = trailers === undefined ? 0 : fieldsSize(trailers, "trailer", false);
  const out = allocate(3 + fieldBytes + 2);
  if (fieldBytes === 0) {
    out.set(LAST_CHUNK_BYTES);
    return out;
  }
  out[0] = 0x30; // "0", the last-chunk's size
  out[1] = CR;
  out[2] = LF;
  const at = writeFields(out, 3, trailers!, "trailer name", "trailer value", false);
  out[at] = CR;
  out[at + 1] = LF;
  return out;
}

function writeHex(out: Uint8Array, value: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    const nibble = value % 16;
    out[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble; // '0'..'9', 'a'..'f'
    value = Math.floor(value / 16);
  }
}
