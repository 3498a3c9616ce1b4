/**
 * The incremental HTTP/1.x response parser (RFC 9112), sans-IO: the client
 * side's mirror of {@linkcode RequestParser}, on the same helpers.
 *
 * Theory of operation: a response cannot be framed from its own bytes
 * alone: the answer to HEAD has no content whatever its headers say
 * (RFC 9112 §6.3 item 1), so the caller tells the parser the method of each
 * request it sends with `expect()`, in order, and every final response
 * consumes one. `push()` only appends; `next()` runs the state machine as
 * far as the buffered bytes allow and returns one event. Phases: `idle`
 * (skipping stray CRLFs), `status-line`, `fields`, then one body phase per
 * framing. Lines are found with a resuming `indexOf(LF)`, so a head
 * trickling in byte by byte is still linear, and limits on a line whose LF
 * has not arrived are checked against the bytes seen so far: an input gives
 * the same events and the same error however the network splits it.
 *
 * @module
 */

import type { RequestEnd } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import {
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_LEADING_EMPTY_LINES,
  DEFAULT_MAX_REQUEST_LINE_SIZE,
} from "./limits.ts";
import {
  DEFAULT_MAX_INTERIM_RESPONSES,
  type ResponseBodyFraming,
  type ResponseEvent,
  type ResponseHead,
  type ResponseInterim,
  type ResponseParserOptions,
} from "./response_events.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import { chunkedLimits, ChunkedReader, incompleteMessage } from "./_chunked_reader.ts";
import { FieldSpan, parseFieldLine } from "./_field_line.ts";
import { HeadFields } from "./_head_fields.ts";
import { parseStatusLine, StatusLine } from "./_status_line.ts";
import { bareLf, CR, LF, NO_FIELDS, unexpectedByte } from "./_syntax.ts";

export * from "./response_events.ts";

type Phase =
  | "idle"
  | "status-line"
  | "fields"
  | "body-none"
  | "body-length"
  | "body-chunked"
  | "body-close"
  | "done";

/**
 * Parses the responses on one client connection into `interim`, `head`,
 * `data` and `end` events (see {@linkcode ResponseEvent}).
 *
 * Strict like the request side: bare LF and bare CR, obs-fold, whitespace
 * before a colon, Content-Length with Transfer-Encoding, conflicting
 * lengths, unknown transfer codings and a response nobody asked for are
 * refused with one {@linkcode ProtocolError}; after one the parser is dead
 * and every call throws that same error. A response without
 * Content-Length or chunked coding is delimited by the close of the
 * connection: its `end` comes after `finish()`.
 *
 * @example Two pipelined responses, the second to HEAD
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.expect("HEAD");
 * parser.push(new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" +
 *     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
 * ));
 * const types: string[] = [];
 * for (let event = parser.next(); event !== null; event = parser.next()) types.push(event.type);
 * assert.deepEqual(types, ["head", "data", "end", "head", "end"]);
 * ```
 *
 * @example A close-delimited body ends at EOF
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\nall of it"));
 * assert.equal(parser.next()?.type, "head");
 * assert.equal(parser.next()?.type, "data");
 * assert.equal(parser.next(), null);
 * parser.finish();
 * assert.equal(parser.next()?.type, "end");
 * assert.equal(parser.state, "closed");
 * ```
 */
export class ResponseParser {
  #buffer = new ByteBuffer();
  #phase: Phase = "idle";
  #eof = false;
  #error: ProtocolError | null = null;
  #methods: string[] = [];

  #maxStatusLineSize: number;
  #maxHeaderSize: number;
  #maxHeaderCount: number;
  #maxBodySize: number;
  #maxLeadingEmptyLines: number;
  #maxInterimResponses: number;

  // Per head. Offsets are relative to buffer.start, which stays at the
  // start of the status-line until the head event is returned.
  #emptyLines = 0;
  #interimCount = 0;
  #scan = 0;
  #lineStart = 0;
  #headerBytes = 0;
  #fieldCount = 0;
  #remaining = 0;
  #received = 0;
  #line = new StatusLine();
  #fields = new HeadFields();
  #span = new FieldSpan();
  #chunked: ChunkedReader;

  /**
   * Creates a parser for one connection's byte stream.
   *
   * @param options limits; see {@linkcode ResponseParserOptions} for defaults
   */
  constructor(options: ResponseParserOptions = {}) {
    this.#maxStatusLineSize = options.maxStatusLineSize ?? DEFAULT_MAX_REQUEST_LINE_SIZE;
    this.#maxHeaderSize = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
    this.#maxHeaderCount = options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
    this.#maxBodySize = options.maxBodySize ?? Number.MAX_SAFE_INTEGER;
    this.#maxLeadingEmptyLines = options.maxLeadingEmptyLines ?? DEFAULT_MAX_LEADING_EMPTY_LINES;
    this.#maxInterimResponses = options.maxInterimResponses ?? DEFAULT_MAX_INTERIM_RESPONSES;
    this.#chunked = new ChunkedReader(
      chunkedLimits({ ...options, maxBodySize: this.#maxBodySize }),
    );
  }

  /**
   * Announces a request sent on this connection: its response is framed
   * by its method (no content for HEAD). Call once per request, in the
   * order they were written. Throws `TypeError` for CONNECT, whose 2xx
   * turns the connection into a tunnel this parser does not follow.
   */
  expect(method: string): void {
    if (method === "CONNECT") throw new TypeError("CONNECT tunnels are not supported");
    this.#methods.push(method);
  }

  /** Responses announced with `expect()` whose final head has not been returned yet. */
  get pending(): number {
    return this.#methods.length;
  }

  /**
   * Appends bytes from the server. Never parses; cheap. The chunk must not
   * be mutated afterwards: data events may be views into it.
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
  next(): ResponseEvent | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#step();
    } catch (error) {
      this.#error = error as ProtocolError;
      throw error;
    }
  }

  /**
   * The server sent EOF. Afterwards `next()` drains what is buffered and
   * ends a close-delimited body; EOF inside a head or a framed body makes
   * `next()` throw `ProtocolError(400, "incomplete-message")`. EOF between
   * responses is not an error here, even with responses pending: whether
   * to retry is the caller's decision (see `pending`).
   */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    this.#eof = true;
  }

  /**
   * `"idle"` between responses, `"head"` while a head is partly buffered,
   * `"body"` from the head event until the end event, `"closed"` after
   * `finish()` once drained, `"error"` after a {@linkcode ProtocolError}.
   */
  get state(): "idle" | "head" | "body" | "closed" | "error" {
    if (this.#error !== null) return "error";
    const phase = this.#phase;
    if (phase === "done") return "closed";
    if (phase === "status-line" || phase === "fields") return "head";
    if (phase !== "idle") return "body";
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

  #step(): ResponseEvent | null {
    if (this.#phase === "idle" && !this.#skipEmptyLines()) return null;
    if (this.#phase === "status-line" && !this.#readStatusLine()) return this.#needMore();
    if (this.#phase === "fields") return this.#readFields();
    switch (this.#phase) {
      case "body-length":
        return this.#readLengthBody();
      case "body-chunked": {
        const event = this.#chunked.read(this.#buffer, this.#eof);
        if (event !== null && event.type === "end") this.#startNextResponse();
        return event;
      }
      case "body-close":
        return this.#readCloseBody();
      case "done":
        return null;
      default:
        return this.#endMessage(NO_FIELDS);
    }
  }

  #needMore(): null {
    if (this.#eof) throw incompleteMessage();
    return null;
  }

  // Servers have sent a stray CRLF after a body (the mirror of old clients
  // after a POST, RFC 9112 §2.2); a bounded number is skipped.
  #skipEmptyLines(): boolean {
    const buffer = this.#buffer;
    for (;;) {
      const available = buffer.end - buffer.start;
      if (available === 0) return false;
      const byte = buffer.bytes[buffer.start];
      if (byte === LF) throw bareLf();
      if (byte !== CR) {
        // Bytes before any request was sent (or after every response) are
        // not a response to anything: a confused or malicious server.
        if (this.#methods.length === 0) {
          throw new ProtocolError(400, "unexpected-response", "bytes with no request pending");
        }
        this.#phase = "status-line";
        this.#scan = 0;
        return true;
      }
      if (available === 1) {
        if (this.#eof) buffer.advance(1);
        return false;
      }
      if (buffer.bytes[buffer.start + 1] !== LF) throw unexpectedByte(CR, "", "");
      if (++this.#emptyLines > this.#maxLeadingEmptyLines) {
        throw new ProtocolError(
          400,
          "too-many-empty-lines",
          "too many empty lines before a status-line",
        );
      }
      buffer.advance(2);
    }
  }

  #readStatusLine(): boolean {
    const { bytes, start, end } = this.#buffer;
    const max = this.#maxStatusLineSize;
    const lf = bytes.indexOf(LF, start + this.#scan);
    if (lf === -1 || lf >= end) {
      if (end - start - (bytes[end - 1] === CR ? 1 : 0) > max) throw statusLineTooLong();
      this.#scan = end - start;
      return false;
    }
    const crlf = bytes[lf - 1] === CR;
    const contentEnd = crlf ? lf - 1 : lf;
    if (contentEnd - start > max) throw statusLineTooLong();
    if (!crlf) throw bareLf();
    parseStatusLine(bytes, start, contentEnd, this.#line);
    this.#lineStart = this.#scan = lf + 1 - start;
    this.#phase = "fields";
    return true;
  }

  #readFields(): ResponseHead | ResponseInterim | null {
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

  #completeHead(headEnd: number): ResponseHead | ResponseInterim {
    const line = this.#line;
    const fields = this.#fields;
    const status = line.status;
    if (status < 200) return this.#completeInterim(headEnd);
    const method = this.#methods[0];
    // RFC 9112 §6.3 item 1: HEAD, 204 and 304 responses end with the head.
    const framing: ResponseBodyFraming = method === "HEAD" || status === 204 || status === 304
      ? "none"
      : fields.responseFraming(line.version, this.#maxBodySize);
    this.#methods.shift();
    this.#buffer.advance(headEnd - this.#buffer.start);
    const contentLength = framing === "length" ? fields.contentLength : 0;
    this.#remaining = contentLength;
    this.#received = 0;
    if (framing === "chunked") this.#chunked.reset();
    this.#phase = framing === "none"
      ? "body-none"
      : framing === "length"
      ? "body-length"
      : framing === "chunked"
      ? "body-chunked"
      : "body-close";
    return {
      type: "head",
      status,
      statusText: line.statusText,
      version: line.version,
      headers: fields.headers,
      framing,
      contentLength,
      connection: fields.connection,
      keepAlive: keepAliveValue(fields.headers),
      method,
    };
  }

  #completeInterim(headEnd: number): ResponseInterim {
    const line = this.#line;
    // RFC 9110 §15.2.2: 101 answers an Upgrade request; after it the bytes
    // are another protocol, which this parser must not read as HTTP.
    if (line.status === 101) {
      throw new ProtocolError(400, "unexpected-upgrade", "101 Switching Protocols not supported");
    }
    if (++this.#interimCount > this.#maxInterimResponses) {
      throw new ProtocolError(400, "too-many-interim-responses", "too many 1xx responses");
    }
    this.#buffer.advance(headEnd - this.#buffer.start);
    const event: ResponseInterim = {
      type: "interim",
      status: line.status,
      statusText: line.statusText,
      headers: this.#fields.headers,
    };
    this.#resetHead();
    return event;
  }

  #readLengthBody(): ResponseEvent | null {
    if (this.#remaining === 0) return this.#endMessage(NO_FIELDS);
    const buffer = this.#buffer;
    const available = buffer.end - buffer.start;
    if (available === 0) return this.#needMore();
    const count = available < this.#remaining ? available : this.#remaining;
    this.#remaining -= count;
    return { type: "data", bytes: buffer.take(count) };
  }

  // RFC 9112 §6.3 item 8: the body is every byte until the server closes.
  #readCloseBody(): ResponseEvent | null {
    const buffer = this.#buffer;
    const available = buffer.end - buffer.start;
    if (available > 0) {
      this.#received += available;
      if (this.#received > this.#maxBodySize) {
        throw new ProtocolError(413, "body-too-large", "body exceeds the size limit");
      }
      return { type: "data", bytes: buffer.takeAll() };
    }
    if (!this.#eof) return null;
    this.#phase = "done";
    return { type: "end", trailers: NO_FIELDS };
  }

  #endMessage(trailers: readonly string[]): RequestEnd {
    this.#startNextResponse();
    return { type: "end", trailers };
  }

  #startNextResponse(): void {
    this.#interimCount = 0;
    this.#remaining = 0;
    this.#resetHead();
  }

  #resetHead(): void {
    this.#phase = "idle";
    this.#emptyLines = 0;
    this.#scan = 0;
    this.#lineStart = 0;
    this.#headerBytes = 0;
    this.#fieldCount = 0;
    this.#fields.reset();
  }
}

// The Keep-Alive hint is read from the flat list rather than in HeadFields:
// only responses carry one, and a head rarely has more than a dozen fields.
function keepAliveValue(headers: readonly string[]): string {
  let value = "";
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === 10 && name.toLowerCase() === "keep-alive") {
      value = value === "" ? headers[i + 1] : `${value}, ${headers[i + 1]}`;
    }
  }
  return value;
}

function statusLineTooLong(): ProtocolError {
  return new ProtocolError(400, "status-line-too-long", "status-line exceeds the size limit");
}

function headerSectionTooLarge(): ProtocolError {
  return new ProtocolError(
    431,
    "header-section-too-large",
    "header section exceeds the size limit",
  );
}
