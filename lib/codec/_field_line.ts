/**
 * One field line (RFC 9112 §5, RFC 9110 §5): `field-name ":" OWS
 * field-value OWS`, shared by the header section and chunked trailers.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { FIELD_VALUE_CHAR, HTAB, SP, TCHAR, unexpectedByte } from "./_syntax.ts";

/** Where the parts of a validated field line lie; reused to avoid an allocation per line. */
export class FieldSpan {
  /** Index of the colon; the name is `[lineStart, colon)`. */
  colon = 0;
  /** Index of the first value byte after leading whitespace. */
  valueStart = 0;
  /** Index just past the last value byte before trailing whitespace. */
  valueEnd = 0;
}

/**
 * Validates the field line `bytes[start, end)` (CRLF excluded) and records
 * its parts in `span`. Throws ProtocolError(400) on any violation.
 */
export function parseFieldLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  span: FieldSpan,
): void {
  const first = bytes[start];
  // RFC 9112 §5.2: obs-fold is deprecated; a server MUST reject it (or
  // unfold). A leading space right after the request-line (§2.2) is
  // rejected the same way: both hide a line from a lenient intermediary.
  if (first === SP || first === HTAB) {
    throw new ProtocolError(
      400,
      "obs-fold",
      "field line starts with whitespace (obsolete line folding)",
    );
  }
  let i = start;
  while (i < end && TCHAR[bytes[i]] === 1) i++;
  if (i === end) {
    throw new ProtocolError(400, "invalid-header-name", "field line has no colon");
  }
  const stop = bytes[i];
  if (stop !== 0x3a) {
    // RFC 9112 §5.1: no whitespace is allowed between name and colon; a
    // server MUST reject it (request smuggling via "Transfer-Encoding :").
    if (stop === SP || stop === HTAB) {
      throw new ProtocolError(
        400,
        "whitespace-before-colon",
        "whitespace between field name and colon",
      );
    }
    throw unexpectedByte(stop, "invalid-header-name", "invalid byte in field name");
  }
  if (i === start) {
    throw new ProtocolError(400, "invalid-header-name", "empty field name");
  }
  span.colon = i;
  i++;
  while (i < end && (bytes[i] === SP || bytes[i] === HTAB)) i++;
  span.valueStart = i;
  let valueEnd = i;
  for (; i < end; i++) {
    const byte = bytes[i];
    if (FIELD_VALUE_CHAR[byte] === 0) {
      throw unexpectedByte(byte, "invalid-header-value", "control character in field value");
    }
    if (byte !== SP && byte !== HTAB) valueEnd = i + 1;
  }
  span.valueEnd = valueEnd;
}
