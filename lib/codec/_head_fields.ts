/**
 * The header fields that decide how a request is framed and routed
 * (RFC 9112 §6, RFC 9110 §7.2), collected line by line and judged once the
 * header section is complete. Every other field is only recorded.
 *
 * @module
 */

import type { Framing, HttpVersion } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import type { FieldSpan } from "./_field_line.ts";
import { FIELD_NAMES, FIELD_VALUES } from "./_intern.ts";
import { isAuthority, type RequestLine } from "./_request_line.ts";
import { equalsIgnoreCase, latin1, skipParameters, skipToken, skipWhitespace } from "./_syntax.ts";

// More digits than this could exceed Number.MAX_SAFE_INTEGER (2^53-1 has 16).
const MAX_CONTENT_LENGTH_DIGITS = 15;

function bad(code: string, message: string): ProtocolError {
  return new ProtocolError(400, code, message);
}

/**
 * The Host value last decoded. Nearly every request a server reads names
 * the same host; comparing its bytes with the last one costs less than
 * decoding them (a typed-array view and a new string per request on V8),
 * and the connection layer, which checks each new Host's URL once, sees
 * the same string again.
 */
let lastHost = "";

function hostValue(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  const last = lastHost;
  if (length === last.length) {
    let i = 0;
    while (i < length && last.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return last;
  }
  return (lastHost = latin1(bytes, start, end));
}

/** Header fields of the request being parsed, and the facts read from them. */
export class HeadFields {
  /** Flat `[name, value, …]`; a fresh array per request (it is handed out in the head). */
  headers: string[] = [];
  /** Content-Length, or -1 when absent. */
  contentLength = -1;
  /** The Connection values joined with ", ". */
  connection = "";
  /** The Host value. */
  host = "";
  /** True with `Expect: 100-continue`. */
  expectContinue = false;
  #hostCount = 0;
  #transferEncoding = false;
  #chunkedCount = 0;
  #lastIsChunked = false;
  #otherCoding = false;

  /** Forgets the previous request. */
  reset(): void {
    this.headers = [];
    this.contentLength = -1;
    this.connection = "";
    this.host = "";
    this.expectContinue = false;
    this.#hostCount = 0;
    this.#transferEncoding = false;
    this.#chunkedCount = 0;
    this.#lastIsChunked = false;
    this.#otherCoding = false;
  }

  /** Records the validated field line starting at `lineStart` with parts in `span`. */
  add(bytes: Uint8Array, lineStart: number, span: FieldSpan): void {
    const { colon, valueStart, valueEnd } = span;
    const name = FIELD_NAMES.lookup(bytes, lineStart, colon) ?? latin1(bytes, lineStart, colon);
    const isHost = colon - lineStart === 4 && equalsIgnoreCase(bytes, lineStart, colon, "host");
    const value = isHost
      ? hostValue(bytes, valueStart, valueEnd)
      : FIELD_VALUES.lookup(bytes, valueStart, valueEnd) ?? latin1(bytes, valueStart, valueEnd);
    this.headers.push(name, value);
    switch (colon - lineStart) {
      case 4:
        if (isHost) this.#addHost(bytes, valueStart, valueEnd, value);
        break;
      case 6:
        // RFC 9110 §10.1.1: 100-continue is the only expectation defined.
        if (equalsIgnoreCase(bytes, lineStart, colon, "expect")) {
          if (equalsIgnoreCase(bytes, valueStart, valueEnd, "100-continue")) {
            this.expectContinue = true;
          }
        }
        break;
      case 10:
        if (equalsIgnoreCase(bytes, lineStart, colon, "connection")) {
          this.connection = this.connection === "" ? value : `${this.connection}, ${value}`;
        }
        break;
      case 14:
        if (equalsIgnoreCase(bytes, lineStart, colon, "content-length")) {
          this.#addContentLength(bytes, valueStart, valueEnd);
        }
        break;
      case 17:
        if (equalsIgnoreCase(bytes, lineStart, colon, "transfer-encoding")) {
          this.#addTransferEncoding(bytes, valueStart, valueEnd);
        }
        break;
    }
  }

  // RFC 9112 §3.2: exactly one Host, a valid uri-host [":" port] or empty.
  #addHost(bytes: Uint8Array, start: number, end: number, value: string): void {
    if (++this.#hostCount > 1) throw bad("duplicate-host", "more than one Host field");
    if (start !== end && !isAuthority(bytes, start, end, false)) {
      throw bad("invalid-host", "invalid Host value");
    }
    this.host = value;
  }

  // RFC 9112 §6.3 item 5: Content-Length = 1*DIGIT; a list or repeated field
  // is acceptable only when every member is the same number. Empty members
  // are refused too: this field decides framing, so nothing is lenient.
  #addContentLength(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    let length = -1;
    for (;;) {
      const digitsStart = i;
      let value = 0;
      while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
        value = value * 10 + bytes[i++] - 0x30;
      }
      const digits = i - digitsStart;
      if (digits === 0 || digits > MAX_CONTENT_LENGTH_DIGITS) {
        throw bad("invalid-content-length", "Content-Length is not 1 to 15 digits");
      }
      if (length !== -1 && value !== length) throw conflicting();
      length = value;
      i = skipWhitespace(bytes, i, end);
      if (i === end) break;
      if (bytes[i] !== 0x2c) {
        throw bad("invalid-content-length", "Content-Length is not 1 to 15 digits");
      }
      i = skipWhitespace(bytes, i + 1, end);
    }
    if (this.contentLength !== -1 && this.contentLength !== length) throw conflicting();
    this.contentLength = length;
  }

  // RFC 9112 §6.1: a comma list of codings, repeated fields concatenated.
  // Empty members are ignored (RFC 9110 §5.6.1.2); codings are tokens
  // compared case-insensitively; chunked takes no parameters.
  #addTransferEncoding(bytes: Uint8Array, start: number, end: number): void {
    this.#transferEncoding = true;
    let i = start;
    while (i < end) {
      if (bytes[i] === 0x2c) {
        i = skipWhitespace(bytes, i + 1, end);
        continue;
      }
      const tokenStart = i;
      i = skipToken(bytes, i, end);
      if (i === tokenStart) throw invalidCoding();
      const chunked = equalsIgnoreCase(bytes, tokenStart, i, "chunked");
      // "identity" was removed by RFC 7230; a peer still sending it is
      // speaking an older, ambiguous dialect of framing.
      if (equalsIgnoreCase(bytes, tokenStart, i, "identity")) throw invalidCoding();
      const parametersEnd = skipParameters(bytes, i, end);
      if (parametersEnd === -1 || (chunked && parametersEnd !== i)) throw invalidCoding();
      i = skipWhitespace(bytes, parametersEnd, end);
      if (i < end && bytes[i] !== 0x2c) throw invalidCoding();
      if (chunked) this.#chunkedCount++;
      else this.#otherCoding = true;
      this.#lastIsChunked = chunked;
    }
  }

  /**
   * RFC 9112 §3.2's Host rules for a request: one Host is required in
   * HTTP/1.1 (repeats and malformed values were refused line by line).
   */
  checkHost(line: RequestLine): void {
    if (line.version === "1.1" && this.#hostCount === 0) {
      throw bad("missing-host", "HTTP/1.1 request without Host");
    }
    // RFC 9112 §3.2.2: with an absolute-form target the server MUST ignore
    // Host (still required and validated above) and take the target's
    // authority; a Host that differs is not an error.
  }

  /**
   * Judges the framing fields of a complete header section (RFC 9112 §6.3
   * items 3-8) for a message that may have content; the response role has
   * already settled the cases that never do (HEAD, 1xx, 204, 304). Without
   * either field a request has no body and a response runs until the close
   * (`"close"`). The size limit is the body reader's to check. Strict in
   * both directions: both framing fields, a repeated chunked, chunked not
   * last or Transfer-Encoding in HTTP/1.0 are refused.
   */
  framing(version: HttpVersion, request: boolean): Framing["kind"] {
    if (this.#transferEncoding) {
      // RFC 9112 §6.1: a server MUST NOT apply a transfer coding to HTTP/1.0
      // framing; such a message is treated as faulty.
      if (version === "1.0") {
        throw bad("transfer-encoding-http10", "Transfer-Encoding in an HTTP/1.0 message");
      }
      // RFC 9112 §6.3 item 3 lets TE override CL, but a message with both is
      // the classic smuggling vector; like nginx and hyper we reject it.
      if (this.contentLength !== -1) {
        throw bad(
          "content-length-with-transfer-encoding",
          "both Content-Length and Transfer-Encoding",
        );
      }
      if (this.#chunkedCount > 1) throw bad("duplicate-chunked", "chunked applied more than once");
      // §6.3 item 4: without chunked last, a request's length is unknowable
      // (400); a response's coding we cannot undo is not implemented (501).
      if (request && !this.#lastIsChunked) throw chunkedNotFinal();
      // §6.1: a recipient of a coding it does not understand answers 501.
      if (this.#otherCoding) {
        throw new ProtocolError(
          501,
          "unsupported-transfer-coding",
          "transfer coding not implemented",
        );
      }
      if (!this.#lastIsChunked) throw chunkedNotFinal();
      return "chunked";
    }
    if (this.contentLength === -1) return request ? "none" : "close";
    return this.contentLength > 0 ? "length" : "none";
  }
}

function chunkedNotFinal(): ProtocolError {
  return bad("chunked-not-final", "chunked is not the final transfer coding");
}

function conflicting(): ProtocolError {
  return bad("conflicting-content-length", "Content-Length values differ");
}

function invalidCoding(): ProtocolError {
  return bad("invalid-transfer-encoding", "malformed Transfer-Encoding");
}
