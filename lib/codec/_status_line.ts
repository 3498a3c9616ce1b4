/**
 * The response role's start line (RFC 9112 §4): `HTTP-version SP status-code SP
 * [ reason-phrase ]`. The SP before an empty reason phrase is required by
 * the grammar but left out by some servers; like llhttp and hyper, a line
 * that ends right after the status code is accepted.
 *
 * @module
 */

import type { HttpVersion } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import { statusText } from "./rules.ts";
import type { StartLine } from "./_head_reader.ts";
import { latin1, SP, TEXT_CHAR, unexpectedByte } from "./_syntax.ts";

/**
 * The response role's start line: the parts of a validated status-line,
 * reused across responses, and how a status-line is judged.
 */
export class StatusLine implements StartLine {
  /** Named in errors. */
  readonly label = "status-line";
  /** The protocol version. */
  version: HttpVersion = "1.1";
  /** The three-digit status code, 100..999. */
  status = 0;
  /** The reason phrase, Latin-1 decoded (often empty, never interpreted). */
  statusText = "";

  /** Validates bytes[start, end) (CRLF excluded) into this object. */
  parse(bytes: Uint8Array, start: number, end: number): void {
    parseStatusLine(bytes, start, end, this);
  }

  /** A status-line over the limit is a server's fault: 400, whatever it holds. */
  tooLong(): ProtocolError {
    return new ProtocolError(400, "status-line-too-long", "status-line exceeds the size limit");
  }
}

// The reason phrase is usually the standard one: compared against it, it
// costs no string allocation.
function reasonText(bytes: Uint8Array, start: number, end: number, status: number): string {
  const standard = statusText(status);
  const length = end - start;
  if (standard.length === length) {
    let i = 0;
    while (i < length && standard.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return standard;
  }
  return latin1(bytes, start, end);
}

function invalidStatusLine(): ProtocolError {
  return new ProtocolError(400, "invalid-status-line", "status-line is not version SP status");
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

// "HTTP/" as bytes.
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];

/**
 * Validates the status-line `bytes[start, end)` (CRLF excluded) into `line`.
 * Throws ProtocolError: 400 on malformed syntax, 505 on a well-formed
 * version other than HTTP/1.0 and HTTP/1.1.
 */
export function parseStatusLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  line: StatusLine,
): void {
  // "HTTP/x.y SP ddd" is 12 bytes at least.
  if (end - start < 12) throw invalidStatusLine();
  for (let i = 0; i < 5; i++) {
    if (bytes[start + i] !== HTTP_SLASH[i]) {
      throw new ProtocolError(400, "invalid-version", "status-line does not start with HTTP/");
    }
  }
  const major = bytes[start + 5];
  const minor = bytes[start + 7];
  if (!isDigit(major) || bytes[start + 6] !== 0x2e || !isDigit(minor)) {
    throw new ProtocolError(400, "invalid-version", "malformed HTTP-version");
  }
  if (major !== 0x31 || (minor !== 0x30 && minor !== 0x31)) {
    throw new ProtocolError(505, "unsupported-version", "HTTP version not supported");
  }
  line.version = minor === 0x31 ? "1.1" : "1.0";
  if (bytes[start + 8] !== SP) throw invalidStatusLine();
  const code = start + 9;
  if (!isDigit(bytes[code]) || !isDigit(bytes[code + 1]) || !isDigit(bytes[code + 2])) {
    throw new ProtocolError(400, "invalid-status", "status code is not three digits");
  }
  const status = (bytes[code] - 0x30) * 100 + (bytes[code + 1] - 0x30) * 10 + bytes[code + 2] -
    0x30;
  if (status < 100) throw new ProtocolError(400, "invalid-status", "status code below 100");
  line.status = status;
  const after = code + 3;
  if (after === end) {
    line.statusText = "";
    return;
  }
  if (bytes[after] !== SP) throw invalidStatusLine();
  // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
  for (let i = after + 1; i < end; i++) {
    const byte = bytes[i];
    if (TEXT_CHAR[byte] === 0) {
      throw unexpectedByte(byte, "invalid-reason", "control character in reason phrase");
    }
  }
  line.statusText = reasonText(bytes, after + 1, end, status);
}
