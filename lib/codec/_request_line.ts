/**
 * The request role's start line (RFC 9112 §3): `method SP request-target SP
 * HTTP-version`, exactly one SP between parts, and the four target forms
 * (§3.2) each allowed only where the RFC allows it. The head reader calls
 * it through {@linkcode StartLine}; it is the request role's only part of
 * reading a head.
 *
 * @module
 */

import type { HttpVersion } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import type { StartLine } from "./_head_reader.ts";
import {
  equalsIgnoreCase,
  HEX_VALUE,
  HOST_CHAR,
  latin1,
  SP,
  TARGET_CHAR,
  TCHAR,
  unexpectedByte,
} from "./_syntax.ts";

/**
 * The request role's start line: the parts of a validated request-line,
 * reused across requests, and how a request-line is judged.
 */
export class RequestLine implements StartLine {
  /** Named in errors. */
  readonly label = "request-line";
  /** The method token. */
  method = "";
  /** The request-target as sent. */
  target = "";
  /** The protocol version. */
  version: HttpVersion = "1.1";
  /** The authority of an absolute-form target (it wins over Host, RFC 9112 §3.2.2), else null. */
  authority: string | null = null;

  /** Validates bytes[start, end) (CRLF excluded) into this object. */
  parse(bytes: Uint8Array, start: number, end: number): void {
    parseRequestLine(bytes, start, end, this);
  }

  /**
   * The error for a request-line over `max` bytes, judged on its first
   * `max` bytes so that every split of the input gets the same one.
   * RFC 9112 §3: 414 is for a request-target longer than the server will
   * parse; a method with no SP within the limit is "longer than any it
   * implements" (501), and a line whose method is malformed before any SP
   * gets the 400 a short line would.
   */
  tooLong(bytes: Uint8Array, start: number, max: number): ProtocolError {
    const end = start + max;
    let i = start;
    while (i < end && TCHAR[bytes[i]] === 1) i++;
    if (i === end) {
      return new ProtocolError(501, "method-too-long", "method exceeds the request-line limit");
    }
    if (bytes[i] !== SP) {
      return unexpectedByte(bytes[i], "invalid-method", "invalid byte in method");
    }
    if (i === start) return invalidLine();
    return new ProtocolError(414, "request-line-too-long", "request-line exceeds the size limit");
  }
}

// Methods interned so the common ones cost no string allocation.
const COMMON_METHODS = ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT"];

function methodName(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  for (const method of COMMON_METHODS) {
    if (method.length !== length || method.charCodeAt(0) !== bytes[start]) continue;
    let i = 1;
    while (i < length && method.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return method;
  }
  return latin1(bytes, start, end);
}

function invalidLine(): ProtocolError {
  return new ProtocolError(
    400,
    "invalid-request-line",
    "request-line is not method SP target SP version",
  );
}

function invalidTarget(): ProtocolError {
  return new ProtocolError(400, "invalid-target", "request-target is not valid for this method");
}

/**
 * Parses bytes[start, end) (CRLF excluded) into `line`. The whole line is
 * checked for shape first, then the version (so an HTTP/2 preface answers
 * 505, not "bad target"), then the target's form.
 */
export function parseRequestLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  line: RequestLine,
): void {
  let i = start;
  while (i < end && TCHAR[bytes[i]] === 1) i++;
  if (i === end) throw invalidLine();
  if (bytes[i] !== SP) throw unexpectedByte(bytes[i], "invalid-method", "invalid byte in method");
  if (i === start) throw invalidLine();
  const methodEnd = i;
  const targetStart = i + 1;
  i = targetStart;
  while (i < end && TARGET_CHAR[bytes[i]] === 1) i++;
  if (i === end || i === targetStart) {
    // "GET /" (HTTP/0.9) and "GET  / HTTP/1.1" (two spaces) land here.
    if (i < end && bytes[i] !== SP) {
      throw unexpectedByte(bytes[i], "invalid-target", "invalid byte in target");
    }
    throw invalidLine();
  }
  if (bytes[i] !== SP) throw unexpectedByte(bytes[i], "invalid-target", "invalid byte in target");
  const targetEnd = i;
  line.version = parseVersion(bytes, targetEnd + 1, end);
  line.method = methodName(bytes, start, methodEnd);
  line.authority = checkTargetForm(bytes, targetStart, targetEnd, line.method);
  line.target = targetEnd - targetStart === 1 && bytes[targetStart] === 0x2f
    ? "/"
    : latin1(bytes, targetStart, targetEnd);
}

// RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
function parseVersion(bytes: Uint8Array, start: number, end: number): HttpVersion {
  if (
    end - start !== 8 || bytes[start] !== 0x48 || bytes[start + 1] !== 0x54 ||
    bytes[start + 2] !== 0x54 || bytes[start + 3] !== 0x50 || bytes[start + 4] !== 0x2f ||
    bytes[start + 6] !== 0x2e || !isDigit(bytes[start + 5]) || !isDigit(bytes[start + 7])
  ) {
    for (let i = start; i < end; i++) {
      if (bytes[i] === 0x0d) throw unexpectedByte(0x0d, "", "");
    }
    throw new ProtocolError(400, "invalid-version", "malformed HTTP-version");
  }
  const major = bytes[start + 5];
  const minor = bytes[start + 7];
  if (major === 0x31 && minor === 0x31) return "1.1";
  if (major === 0x31 && minor === 0x30) return "1.0";
  // RFC 9110 §15.6.6: a well-formed version we do not speak.
  throw new ProtocolError(505, "unsupported-version", "HTTP version not supported");
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** Checks RFC 9112 §3.2's form rules; returns the authority of an absolute-form target. */
function checkTargetForm(
  bytes: Uint8Array,
  start: number,
  end: number,
  method: string,
): string | null {
  const first = bytes[start];
  // §3.2.3: authority-form is for CONNECT only, and CONNECT takes nothing else.
  if (method === "CONNECT") {
    if (!isAuthority(bytes, start, end, true)) throw invalidTarget();
    return null;
  }
  if (first === 0x2f) return null;
  // §3.2.4: asterisk-form is for a server-wide OPTIONS only.
  if (first === 0x2a && end - start === 1) {
    if (method !== "OPTIONS") throw invalidTarget();
    return null;
  }
  // §3.2.2: absolute-form; we serve http and https only.
  let authorityStart = -1;
  if (equalsIgnoreCase(bytes, start, Math.min(end, start + 7), "http://")) {
    authorityStart = start + 7;
  } else if (equalsIgnoreCase(bytes, start, Math.min(end, start + 8), "https://")) {
    authorityStart = start + 8;
  }
  if (authorityStart === -1) throw invalidTarget();
  let authorityEnd = authorityStart;
  while (authorityEnd < end) {
    const byte = bytes[authorityEnd];
    if (byte === 0x2f || byte === 0x3f || byte === 0x23) break;
    authorityEnd++;
  }
  // RFC 9110 §4.2.1: an http(s) URI has a non-empty host and no userinfo
  // (§4.2.4: userinfo is to be treated as an error).
  if (!isAuthority(bytes, authorityStart, authorityEnd, false)) throw invalidTarget();
  return latin1(bytes, authorityStart, authorityEnd);
}

/**
 * True when bytes[start, end) is `uri-host [ ":" port ]` (RFC 3986 §3.2.2)
 * with a non-empty host: an IP-literal in brackets, or reg-name / IPv4
 * characters with valid pct-encoding. `requirePort` for authority-form.
 */
export function isAuthority(
  bytes: Uint8Array,
  start: number,
  end: number,
  requirePort: boolean,
): boolean {
  let i = start;
  if (i < end && bytes[i] === 0x5b) {
    i++;
    const literalStart = i;
    while (i < end && bytes[i] !== 0x5d) {
      const byte = bytes[i];
      if (byte !== 0x3a && (HOST_CHAR[byte] === 0 || byte === 0x25)) return false;
      i++;
    }
    if (i === end || i === literalStart) return false;
    i++;
  } else {
    while (i < end && HOST_CHAR[bytes[i]] === 1) {
      if (bytes[i] === 0x25) {
        if (i + 2 >= end || HEX_VALUE[bytes[i + 1]] < 0 || HEX_VALUE[bytes[i + 2]] < 0) {
          return false;
        }
        i += 2;
      }
      i++;
    }
    if (i === start) return false;
  }
  if (i === end) return !requirePort;
  if (bytes[i] !== 0x3a) return false;
  const portStart = ++i;
  while (i < end && isDigit(bytes[i])) i++;
  return i === end && (!requirePort || i > portStart);
}
