/**
 * The incremental HTTP/1.x request parser (RFC 9112), sans-IO.
 *
 * Theory of operation: `push()` only appends to a {@linkcode ByteBuffer};
 * `next()` runs the state machine as far as the buffered bytes allow and
 * returns one event. Phases: `idle` (skipping stray CRLFs, §2.2),
 * `request-line`, `fields`, then one body phase per framing. Head lines are
 * found with a native `indexOf(LF)` that resumes where the last search
 * stopped, so a head trickling in byte by byte is still linear; every line
 * is validated once, when its LF arrives. Limits on a line whose LF has not
 * arrived are checked against the bytes seen so far, and a complete line
 * checks its length first, so an input gives the same error however the
 * network splits it.
 *
 * @module
 */

import type { BodyFraming, RequestEnd, RequestEvent, RequestHead } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_LEADING_EMPTY_LINES,
  DEFAULT_MAX_REQUEST_LINE_SIZE,
  type RequestParserOptions,
} from "./limits.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import { chunkedLimits, ChunkedReader, incompleteMessage } from "./_chunked_reader.ts";
import { FieldSpan, parseFieldLine } from "./_field_line.ts";
import { HeadFields } from "./_head_fields.ts";
import { parseRequestLine, RequestLine } from "./_request_line.ts";
import { bareLf, CR, LF, NO_FIELDS, unexpectedByte } from "./_syntax.ts";

type Phase = "idle" | "request-line" | "fields" | "body-none" | "body-length" | "body-chunked";

/**
 * Parses a stream of HTTP/1.x requests, pipelined or not, into `head`,
 * `data` and `end` events (see {@linkcode RequestEvent}).
 *
 * Strict by design: bare LF and bare CR are refused everywhere, as are
 * obs-fold, whitespace before a colon, Content-Length with
 * Transfer-Encoding, conflicting lengths, and a Host that is missing,
 * repeated, malformed or disagrees with an absolute-form target. Every
 * rejection is a {@linkcode ProtocolError} carrying the status to answer;
 * after one, the parser is dead and every call throws that same error.
 *
 * @example Parse two pipelined requests
 * ```ts
 * import { RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode(
 *   "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi" +
 *     "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
 * ));
 * const types: string[] = [];
 * for (let event = parser.next(); event !== null; event = parser.next()) types.push(event.type);
 * assert.deepEqual(types, ["head", "data", "end", "head", "end"]);
 * assert.equal(parser.state, "idle");
 * ```
 *
 * @example A rejection carries the status to answer
 * ```ts
 * import { ProtocolError, RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("GET / HTTP/1.1\nHost: a\n\n"));
 * assert.throws(() => parser.next(), (error: unknown) =>
 *   error instanceof ProtocolError && error.status === 400 && error.code === "bare-lf");
 * assert.equal(parser.state, "error");
 * ```
 */
export class RequestParser {
  #buffer = new ByteBuffer();
  #phase: Phase = "idle";
  #eof = false;
  #error: ProtocolError | null = null;

  #maxRequestLineSize: number;
  #maxHeaderSize: number;
  #maxHeaderCount: number;
  #maxBodySize: number;
  #maxLeadingEmptyLines: number;

  // Per request. Offsets are relative to buffer.start, which stays at the
  // start of the request-line until the head event is returned.
  #emptyLines = 0;
  #scan = 0;
  #lineStart = 0;
  #headerBytes = 0;
  #fieldCount = 0;
  #remaining = 0;
  #line = new RequestLine();
  #fields = new HeadFields();
  #span = new FieldSpan();
  #chunked: ChunkedReader;

  /**
   * Creates a parser for one connection's byte stream.
   *
   * @param options limits; see {@linkcode RequestParserOptions} for defaults
   */
  constructor(options: RequestParserOptions = {}) {
    this.#maxRequestLineSize = options.maxRequestLineSize ?? DEFAULT_MAX_REQUEST_LINE_SIZE;
    this.#maxHeaderSize = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
    this.#maxHeaderCount = options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
    this.#maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    this.#maxLeadingEmptyLines = options.maxLeadingEmptyLines ?? DEFAULT_MAX_LEADING_EMPTY_LINES;
    this.#chunked = new ChunkedReader(chunkedLimits(options));
  }

  /**
   * Appends bytes from the peer. Never parses; cheap. The chunk must not be
   * mutated afterwards: data events may be views into it.
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#eof) throw new TypeError("push() after finish()");
    this.#buffer.push(chunk);
  }

  /**
   * The next event, or null when more input is needed. Throws
   * {@linkcode ProtocolError} on invalid input; after that the parser is
   * dead and every call throws the same error.
   */
  next(): RequestEvent | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#step();
    } catch (error) {
      this.#error = error as ProtocolError;
      throw error;
    }
  }

  /**
   * The peer sent EOF. Afterwards `next()` drains what is buffered; EOF
   * inside a request (head or body) makes `next()` throw
   * `ProtocolError(400, "incomplete-message")`: a body cut short is never
   * reported as a complete short body.
   */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    this.#eof = true;
  }

  /**
   * `"idle"` between requests (nothing but skipped CRLFs seen), `"head"`
   * while a head is partly buffered, `"body"` from the head event until the
   * end event, `"closed"` after `finish()` once drained while idle,
   * `"error"` after a {@linkcode ProtocolError}.
   */
  get state(): "idle" | "head" | "body" | "closed" | "error" {
    if (this.#error !== null) return "error";
    const phase = this.#phase;
    if (phase === "request-line" || phase === "fields") return "head";
    if (phase !== "idle") return "body";
    // push() never parses, so look at what is buffered: any byte besides
    // the CR/LF of stray empty lines starts a head.
    const { bytes, start, end } = this.#buffer;
    for (let i = start; i < end; i++) {
      if (bytes[i] !== CR && bytes[i] !== LF) return "head";
    }
    return this.#eof && start === end ? "closed" : "idle";
  }

  /** Bytes pushed but not yet consumed by events. */
  get buffered(): number {
    return this.#buffer.size;
  }

  #step(): RequestEvent | null {
    if (this.#phase === "idle" && !this.#skipEmptyLines()) return null;
    if (this.#phase === "request-line" && !this.#readRequestLine()) return this.#needMore();
    if (this.#phase === "fields") return this.#readFields();
    if (this.#phase === "body-length") return this.#readLengthBody();
    if (this.#phase === "body-chunked") {
      const event = this.#chunked.read(this.#buffer, this.#eof);
      if (event !== null && event.type === "end") this.#startNextRequest();
      return event;
    }
    return this.#endMessage(NO_FIELDS);
  }

  #needMore(): null {
    if (this.#eof) throw incompleteMessage();
    return null;
  }

  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received
  // before the request-line; old clients send one after a POST body.
  #skipEmptyLines(): boolean {
    const buffer = this.#buffer;
    for (;;) {
      const available = buffer.end - buffer.start;
      if (available === 0) return false;
      const byte = buffer.bytes[buffer.start];
      if (byte === LF) throw bareLf();
      if (byte !== CR) {
        this.#phase = "request-line";
        this.#scan = 0;
        return true;
      }
      if (available === 1) {
        // A lone CR at EOF is a stray, not a request: drop it and close.
        if (this.#eof) buffer.advance(1);
        return false;
      }
      if (buffer.bytes[buffer.start + 1] !== LF) throw unexpectedByte(CR, "", "");
      if (++this.#emptyLines > this.#maxLeadingEmptyLines) {
        throw new ProtocolError(
          400,
          "too-many-empty-lines",
          "too many empty lines before a request-line",
        );
      }
      buffer.advance(2);
    }
  }

  #readRequestLine(): boolean {
    const { bytes, start, end } = this.#buffer;
    const max = this.#maxRequestLineSize;
    const lf = bytes.indexOf(LF, start + this.#scan);
    if (lf === -1 || lf >= end) {
      // A trailing CR may be the first half of the CRLF, so it does not count yet.
      if (end - start - (bytes[end - 1] === CR ? 1 : 0) > max) throw requestLineTooLong();
      this.#scan = end - start;
      return false;
    }
    const crlf = bytes[lf - 1] === CR;
    const contentEnd = crlf ? lf - 1 : lf;
    if (contentEnd - start > max) throw requestLineTooLong();
    if (!crlf) throw bareLf();
    parseRequestLine(bytes, start, contentEnd, this.#line);
    this.#lineStart = this.#scan = lf + 1 - start;
    this.#phase = "fields";
    return true;
  }

  #readFields(): RequestHead | null {
    const buffer = this.#buffer;
    const maxSize = this.#maxHeaderSize;
    for (;;) {
      const { bytes, start, end } = buffer;
      const lineStart = start + this.#lineStart;
      const lf = bytes.indexOf(LF, start + this.#scan);
      if (lf === -1 || lf >= end) {
        if (this.#headerBytes + (end - lineStart) > maxSize) throw headerSectionTooLarge();
        this.#scan = end - start;
        return this.#needMore();
      }
      this.#headerBytes += lf + 1 - lineStart;
      if (this.#headerBytes > maxSize) throw headerSectionTooLarge();
      if (lf === lineStart || bytes[lf - 1] !== CR) throw bareLf();
      const contentEnd = lf - 1;
      if (contentEnd === lineStart) return this.#completeHead(lf + 1);
      if (++this.#fieldCount > this.#maxHeaderCount) {
        throw new ProtocolError(431, "too-many-headers", "more header fields than the limit");
      }
      parseFieldLine(bytes, lineStart, contentEnd, this.#span);
      this.#fields.add(bytes, lineStart, this.#span);
      this.#lineStart = this.#scan = lf + 1 - start;
    }
  }

  #completeHead(headEnd: number): RequestHead {
    const line = this.#line;
    const fields = this.#fields;
    const framing: BodyFraming = fields.framing(line, this.#maxBodySize);
    this.#buffer.advance(headEnd - this.#buffer.start);
    const contentLength = framing === "length" ? fields.contentLength : 0;
    this.#remaining = contentLength;
    if (framing === "chunked") this.#chunked.reset();
    this.#phase = framing === "none"
      ? "body-none"
      : framing === "length"
      ? "body-length"
      : "body-chunked";
    return {
      type: "head",
      method: line.method,
      target: line.target,
      version: line.version,
      headers: fields.headers,
      framing,
      contentLength,
      connection: fields.connection,
      host: fields.host,
      expectContinue: fields.expectContinue,
    };
  }

  #readLengthBody(): RequestEvent | null {
    if (this.#remaining === 0) return this.#endMessage(NO_FIELDS);
    const buffer = this.#buffer;
    const available = buffer.end - buffer.start;
    if (available === 0) return this.#needMore();
    const count = available < this.#remaining ? available : this.#remaining;
    this.#remaining -= count;
    return { type: "data", bytes: buffer.take(count) };
  }

  #endMessage(trailers: readonly string[]): RequestEnd {
    this.#startNextRequest();
    return { type: "end", trailers };
  }

  #startNextRequest(): void {
    this.#phase = "idle";
    this.#emptyLines = 0;
    this.#scan = 0;
    this.#lineStart = 0;
    this.#headerBytes = 0;
    this.#fieldCount = 0;
    this.#remaining = 0;
    this.#fields.reset();
  }
}

function requestLineTooLong(): ProtocolError {
  return new ProtocolError(414, "request-line-too-long", "request-line exceeds the size limit");
}

function headerSectionTooLarge(): ProtocolError {
  return new ProtocolError(
    431,
    "header-section-too-large",
    "header section exceeds the size limit",
  );
}
