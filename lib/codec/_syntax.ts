/**
 * Byte-level grammar shared by every reader and writer of the codec: the one
 * home of its character tables (RFC 9110 §5.6 classes, what a writer may
 * send) and of the small scanners over them. Tables beat regexes and range
 * comparisons on the hot path: one indexed load per byte, and V8/JSC keep
 * the loop monomorphic.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** Carriage return. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;
/** Space. */
export const SP = 0x20;
/** Horizontal tab. */
export const HTAB = 0x09;

/** A shared empty byte array (never written). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
/** A shared empty field list for events without trailers. */
export const NO_FIELDS: readonly string[] = Object.freeze([]);

function table(accept: (byte: number) => boolean): Uint8Array {
  const result = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) result[byte] = accept(byte) ? 1 : 0;
  return result;
}

const TCHAR_PUNCTUATION = "!#$%&'*+-.^_`|~";

/** RFC 9110 §5.6.2 tchar: the bytes of a token (methods, field names, codings). */
export const TCHAR: Uint8Array = table((b) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
  TCHAR_PUNCTUATION.includes(String.fromCharCode(b))
);

/**
 * RFC 9110 §5.5 field-vchar plus SP/HTAB: what may appear inside a field
 * value. obs-text (0x80-0xFF) is kept for compatibility; every other CTL,
 * NUL and DEL is refused because intermediaries disagree on them (§5.5).
 */
export const FIELD_VALUE_CHAR: Uint8Array = table((b) =>
  b === HTAB || (b >= 0x20 && b <= 0x7e) || b >= 0x80
);

/**
 * Bytes allowed in a request-target: VCHAR only. Bytes >= 0x80 are refused:
 * browsers percent-encode, and raw UTF-8 in a target is how path
 * normalisation disagreements between proxies and origins start.
 */
export const TARGET_CHAR: Uint8Array = table((b) => b >= 0x21 && b <= 0x7e);

/**
 * RFC 3986 reg-name / IPv4 bytes (unreserved, sub-delims) plus `%` for
 * pct-encoded, which is checked separately.
 */
export const HOST_CHAR: Uint8Array = table((b) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
  "-._~!$&'()*+,;=%".includes(String.fromCharCode(b))
);

/** Hex digit values, -1 for anything else. */
export const HEX_VALUE: Int8Array = (() => {
  const result = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) result[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    result[0x41 + d] = 10 + d;
    result[0x61 + d] = 10 + d;
  }
  return result;
})();

/**
 * HTAB, SP, VCHAR and obs-text: RFC 9112 §4's reason-phrase, and RFC 9110
 * §5.6.4's qdtext and quoted-pair payloads.
 */
export const TEXT_CHAR: Uint8Array = table((b) => b === HTAB || (b >= 0x20 && b !== 0x7f));

/**
 * What a writer lets through in a field value it is given: everything but
 * NUL, CR and LF (Fetch's header-value rule, wider than what the parsers
 * accept). Without CR and LF a value can never end its line early and
 * start a smuggled field.
 */
export const SENDABLE_VALUE_CHAR: Uint8Array = table((b) => b !== 0 && b !== CR && b !== LF);

/** {@linkcode CHAR_CLASS} bit: a token char ({@linkcode TCHAR}). */
export const TOKEN_BIT = 1;
/** {@linkcode CHAR_CLASS} bit: a char a writer may send in a field value ({@linkcode SENDABLE_VALUE_CHAR}). */
export const VALUE_BIT = 2;
/** {@linkcode CHAR_CLASS} bit: a request-target char ({@linkcode TARGET_CHAR}). */
export const TARGET_BIT = 4;
/** {@linkcode CHAR_CLASS} bit: a reason-phrase char ({@linkcode TEXT_CHAR}). */
export const TEXT_BIT = 8;

/**
 * The writers' classes in one table, one bit per class: a writer checks a
 * char against a module constant (the JIT folds it in) instead of a table
 * passed in, measured ~20% faster per head on V8.
 */
export const CHAR_CLASS: Uint8Array = /* @__PURE__ */ (() => {
  const result = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    result[b] = TCHAR[b] * TOKEN_BIT + SENDABLE_VALUE_CHAR[b] * VALUE_BIT +
      TARGET_CHAR[b] * TARGET_BIT + TEXT_CHAR[b] * TEXT_BIT;
  }
  return result;
})();

// String.fromCharCode.apply spreads its argument on the stack; slices longer
// than this are decoded in pieces so a large configured limit cannot overflow it.
const DECODE_SLICE = 4096;

/**
 * Decodes bytes as Latin-1, one char per byte, as Fetch's ByteString does.
 * (TextDecoder("latin1") is windows-1252 per the Encoding Standard, which
 * remaps 0x80-0x9F, so it cannot be used.)
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= DECODE_SLICE) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let result = "";
  for (let from = start; from < end; from += DECODE_SLICE) {
    const to = Math.min(end, from + DECODE_SLICE);
    result += String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  }
  return result;
}

/**
 * True when bytes[start, end) equal `lower` ignoring ASCII case. `lower` is
 * lowercase ASCII letters, digits and `-:/`; OR-ing 0x20 folds A-Z onto a-z,
 * and the only other bytes it maps onto these are control characters,
 * which the callers have already refused. Bytes, not strings, are compared,
 * so no Unicode case folding can sneak in (the Kelvin sign stays foreign).
 */
export function equalsIgnoreCase(
  bytes: Uint8Array,
  start: number,
  end: number,
  lower: string,
): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[start + i] | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Index of the first byte at or after `i` that is not SP or HTAB. */
export function skipWhitespace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && (bytes[i] === SP || bytes[i] === HTAB)) i++;
  return i;
}

/** Index just past the token starting at `i` (equal to `i` when there is none). */
export function skipToken(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && TCHAR[bytes[i]] === 1) i++;
  return i;
}

/**
 * Index just past the quoted-string (RFC 9110 §5.6.4) opening at `i`, or -1
 * when it is malformed or unterminated before `end`.
 */
export function skipQuotedString(bytes: Uint8Array, i: number, end: number): number {
  if (i >= end || bytes[i] !== 0x22) return -1;
  i++;
  while (i < end) {
    const byte = bytes[i];
    if (byte === 0x22) return i + 1;
    if (byte === 0x5c) {
      i++;
      if (i >= end || TEXT_CHAR[bytes[i]] === 0) return -1;
    } else if (TEXT_CHAR[byte] === 0) {
      return -1;
    }
    i++;
  }
  return -1;
}

/**
 * Index just past `*( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] )`
 * starting at `i` (whitespace after the last parameter is not consumed), or
 * -1 when a parameter is malformed. This is the shape of chunk-ext
 * (RFC 9112 §7.1.1) and, with the value optional, of transfer-parameter.
 */
export function skipParameters(bytes: Uint8Array, i: number, end: number): number {
  for (;;) {
    const semicolon = skipWhitespace(bytes, i, end);
    if (semicolon === end || bytes[semicolon] !== 0x3b) return i;
    const nameStart = skipWhitespace(bytes, semicolon + 1, end);
    const nameEnd = skipToken(bytes, nameStart, end);
    if (nameEnd === nameStart) return -1;
    i = nameEnd;
    const equals = skipWhitespace(bytes, nameEnd, end);
    if (equals < end && bytes[equals] === 0x3d) {
      const valueStart = skipWhitespace(bytes, equals + 1, end);
      const valueEnd = valueStart < end && bytes[valueStart] === 0x22
        ? skipQuotedString(bytes, valueStart, end)
        : skipToken(bytes, valueStart, end);
      if (valueEnd <= valueStart) return -1;
      i = valueEnd;
    }
  }
}

/**
 * The error for an unexpected byte: a CR is always reported as `bare-cr`
 * (RFC 9112 §2.2: a CR not followed by LF is invalid), anything else with
 * the caller's code.
 */
export function unexpectedByte(byte: number, code: string, message: string): ProtocolError {
  if (byte === CR) return new ProtocolError(400, "bare-cr", "CR not followed by LF");
  return new ProtocolError(400, code, message);
}

/** The error for a line that ends in LF without CR (RFC 9112 §2.2; we never accept bare LF). */
export function bareLf(): ProtocolError {
  return new ProtocolError(400, "bare-lf", "line ends in LF without CR");
}

/** The error for EOF inside a message: a cut-short body is never a short body. */
export function incompleteMessage(): ProtocolError {
  return new ProtocolError(400, "incomplete-message", "connection closed inside a message");
}
