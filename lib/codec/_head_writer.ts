/**
 * What the request and response writers share: the field section (the
 * caller's fields, the one framing field, the empty line) measured in one
 * pass and written in a second, each char checked against a table from
 * `_syntax.ts` as it is copied. The two roles differ only in their start
 * line; chunked trailers (`chunks.ts`) are written by the same field code.
 *
 * One char per byte is Latin-1, which is what Fetch's ByteString header
 * values mean, so obs-text (0x80–0xFF) is never turned into UTF-8, and no
 * CR or LF can ever start a second, smuggled field.
 *
 * @module
 */

import type { Framing } from "./events.ts";
import { allocate } from "./_pool.ts";
import { CHAR_CLASS, CR, LF, TOKEN_BIT, VALUE_BIT } from "./_syntax.ts";

/** The bytes of an ASCII string. */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const CONTENT_LENGTH_PREFIX = asciiBytes("Content-Length: ");
const CHUNKED_FIELD = asciiBytes("Transfer-Encoding: chunked\r\n");
const EXPECT_CONTINUE_FIELD = asciiBytes("Expect: 100-continue\r\n");

/**
 * Fields a writer never copies from the caller: the framing fields, which
 * `framing` alone decides (a second, disagreeing length is how messages
 * get smuggled, RFC 9112 §6.3, §11.2), and for requests `Expect`, which
 * `expectContinue` decides. Lengths and first chars reject nearly every
 * other name before any lowercasing ("content-length" 14, "transfer-encoding"
 * 17, "expect" 6).
 */
function isWriterOwnedField(name: string, request: boolean): boolean {
  const length = name.length;
  if (length === 14) {
    return (name.charCodeAt(0) | 0x20) === 0x63 && name.toLowerCase() === "content-length";
  }
  if (length === 17) {
    return (name.charCodeAt(0) | 0x20) === 0x74 && name.toLowerCase() === "transfer-encoding";
  }
  return request && length === 6 && name.toLowerCase() === "expect";
}

/**
 * The decimal `Content-Length` that `framing` writes, or undefined when it
 * writes none. Throws `TypeError` on a length that is not a non-negative
 * safe integer or an unknown kind.
 */
function framingLengthText(framing: Framing): string | undefined {
  switch (framing.kind) {
    case "length": {
      const length = framing.length;
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new TypeError(`framing length must be a non-negative safe integer, got ${length}`);
      }
      return "" + length;
    }
    case "chunked":
    case "close":
    case "none":
      return undefined;
    default:
      throw new TypeError(`unknown framing kind ${(framing as { kind: unknown }).kind}`);
  }
}

/**
 * A whole head in one new buffer (a view into the pooled slab when small):
 * the role's start line (CRLF included), the caller's fields, the one
 * framing field, `Expect: 100-continue` when a request asks for it, and
 * the empty line; then `tail`, when given (a small body sent with its
 * head). A request also reserves `Expect` from the caller.
 */
export function encodeHead(
  line: Uint8Array,
  fields: readonly string[],
  framing: Framing,
  request: boolean,
  expectContinue: boolean,
  tail?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const lengthText = framingLengthText(framing);
  const chunked = framing.kind === "chunked";
  let size = line.length + fieldsSize(fields, "header", request) + 2;
  if (lengthText !== undefined) size += CONTENT_LENGTH_PREFIX.length + lengthText.length + 2;
  else if (chunked) size += CHUNKED_FIELD.length;
  if (expectContinue) size += EXPECT_CONTINUE_FIELD.length;
  const out = allocate(tail === undefined ? size : size + tail.byteLength);
  out.set(line);
  let at = writeFields(out, line.length, fields, "header name", "header value", request);
  if (lengthText !== undefined) {
    out.set(CONTENT_LENGTH_PREFIX, at);
    at = writeChars(out, at + CONTENT_LENGTH_PREFIX.length, lengthText, TOKEN_BIT, "length");
    out[at++] = CR;
    out[at++] = LF;
  } else if (chunked) {
    out.set(CHUNKED_FIELD, at);
    at += CHUNKED_FIELD.length;
  }
  if (expectContinue) {
    out.set(EXPECT_CONTINUE_FIELD, at);
    at += EXPECT_CONTINUE_FIELD.length;
  }
  out[at++] = CR;
  out[at++] = LF;
  if (tail !== undefined) out.set(tail, at);
  return out;
}

/**
 * Bytes the fields take as `name: value\r\n`, writer-owned fields excluded
 * (those are still checked, so a bad one is an error and not a silent drop).
 */
export function fieldsSize(fields: readonly string[], what: string, request: boolean): number {
  const count = fields.length;
  if ((count & 1) !== 0) {
    throw new TypeError(`${what}s must be a flat [name, value, ...] list of even length`);
  }
  let size = 0;
  for (let i = 0; i < count; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (typeof name !== "string" || typeof value !== "string") {
      throw new TypeError(`${what} names and values must be strings`);
    }
    if (name.length === 0) throw new TypeError(`${what} name must not be empty`);
    if (!isWriterOwnedField(name, request)) size += name.length + value.length + 4;
    else {
      checkChars(name, TOKEN_BIT, `${what} name`);
      checkChars(value, VALUE_BIT, `${what} value`);
    }
  }
  return size;
}

/**
 * Writes the fields measured by {@linkcode fieldsSize}. The labels are
 * passed whole, not built from a prefix: a template string per field
 * showed up as a fifth of the head's cost on V8.
 */
export function writeFields(
  out: Uint8Array,
  at: number,
  fields: readonly string[],
  nameLabel: string,
  valueLabel: string,
  request: boolean,
): number {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    if (isWriterOwnedField(name, request)) continue;
    at = writeChars(out, at, name, TOKEN_BIT, nameLabel);
    out[at++] = 0x3a; // ":"
    out[at++] = 0x20; // SP
    at = writeChars(out, at, fields[i + 1], VALUE_BIT, valueLabel);
    out[at++] = CR;
    out[at++] = LF;
  }
  return at;
}

/**
 * Copies `text` one byte per char after checking each against the class
 * `bit` of `CHAR_CLASS`: chars above 0xFF have no single-byte form and are
 * refused with the rest.
 */
export function writeChars(
  out: Uint8Array,
  at: number,
  text: string,
  bit: number,
  what: string,
): number {
  const classes = CHAR_CLASS;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || (classes[code] & bit) === 0) {
      // Thrown here rather than built by invalidChar(): the call in this
      // loop cost ~20 ns per head on Deno's V8 (measured).
      throw new TypeError(`invalid char 0x${code.toString(16)} at ${i} in ${what}`);
    }
    out[at++] = code;
  }
  return at;
}

/** Checks `text` as {@linkcode writeChars} would, writing nothing. */
export function checkChars(text: string, bit: number, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || (CHAR_CLASS[code] & bit) === 0) throw invalidChar(code, i, what);
  }
}

function invalidChar(code: number, at: number, what: string): TypeError {
  return new TypeError(`invalid char 0x${code.toString(16)} at ${at} in ${what}`);
}
