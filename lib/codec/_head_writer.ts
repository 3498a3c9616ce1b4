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
import { CR, LF, SENDABLE_VALUE_CHAR, TCHAR } from "./_syntax.ts";

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
export function framingLengthText(framing: Framing): string | undefined {
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
 * What the field section of a head framed as `framing` writes besides the
 * caller's fields; validates the framing's length.
 */
export function headExtras(
  framing: Framing,
  request: boolean,
  expectContinue: boolean,
): SectionExtras {
  return {
    lengthText: framingLengthText(framing),
    chunked: framing.kind === "chunked",
    expectContinue,
    request,
  };
}

/**
 * A whole head: the role's start line (CRLF included), then the field
 * section, in one new buffer (a view into the pooled slab when small).
 */
export function encodeHead(
  line: Uint8Array,
  fields: readonly string[],
  extras: SectionExtras,
): Uint8Array<ArrayBuffer> {
  const out = allocate(line.length + fieldSectionSize(fields, extras));
  out.set(line);
  writeFieldSection(out, line.length, fields, extras);
  return out;
}

/** What a field section writes besides the caller's fields. */
export interface SectionExtras {
  /** The decimal Content-Length from {@linkcode framingLengthText}, if any. */
  readonly lengthText: string | undefined;
  /** The body is chunked: write `Transfer-Encoding: chunked`. */
  readonly chunked: boolean;
  /** A request that waits for `100 Continue` (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** Whose fields these are: a request also reserves `Expect`. */
  readonly request: boolean;
}

/** Bytes the field section takes: fields, framing field, Expect, empty line. */
function fieldSectionSize(fields: readonly string[], extras: SectionExtras): number {
  let size = fieldsSize(fields, "header", extras.request) + 2;
  if (extras.lengthText !== undefined) {
    size += CONTENT_LENGTH_PREFIX.length + extras.lengthText.length + 2;
  } else if (extras.chunked) size += CHUNKED_FIELD.length;
  if (extras.expectContinue) size += EXPECT_CONTINUE_FIELD.length;
  return size;
}

/** Writes the section measured by {@linkcode fieldSectionSize} at `at`; returns the end. */
function writeFieldSection(
  out: Uint8Array,
  at: number,
  fields: readonly string[],
  extras: SectionExtras,
): number {
  at = writeFields(out, at, fields, "header name", "header value", extras.request);
  if (extras.lengthText !== undefined) {
    out.set(CONTENT_LENGTH_PREFIX, at);
    at = writeChars(out, at + CONTENT_LENGTH_PREFIX.length, extras.lengthText, TCHAR, "length");
    out[at++] = CR;
    out[at++] = LF;
  } else if (extras.chunked) {
    out.set(CHUNKED_FIELD, at);
    at += CHUNKED_FIELD.length;
  }
  if (extras.expectContinue) {
    out.set(EXPECT_CONTINUE_FIELD, at);
    at += EXPECT_CONTINUE_FIELD.length;
  }
  out[at++] = CR;
  out[at++] = LF;
  return at;
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
      checkChars(name, TCHAR, `${what} name`);
      checkChars(value, SENDABLE_VALUE_CHAR, `${what} value`);
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
    at = writeChars(out, at, name, TCHAR, nameLabel);
    out[at++] = 0x3a; // ":"
    out[at++] = 0x20; // SP
    at = writeChars(out, at, fields[i + 1], SENDABLE_VALUE_CHAR, valueLabel);
    out[at++] = CR;
    out[at++] = LF;
  }
  return at;
}

/**
 * Copies `text` one byte per char after checking each against `table`:
 * chars above 0xFF have no single-byte form and are refused with the rest.
 */
export function writeChars(
  out: Uint8Array,
  at: number,
  text: string,
  table: Uint8Array,
  what: string,
): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || table[code] === 0) throw invalidChar(code, i, what);
    out[at++] = code;
  }
  return at;
}

/** Checks `text` as {@linkcode writeChars} would, writing nothing. */
export function checkChars(text: string, table: Uint8Array, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || table[code] === 0) throw invalidChar(code, i, what);
  }
}

function invalidChar(code: number, at: number, what: string): TypeError {
  return new TypeError(`invalid char 0x${code.toString(16)} at ${at} in ${what}`);
}
