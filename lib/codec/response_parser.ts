/**
 * The incremental HTTP/1.x response parser (RFC 9112), sans-IO: the
 * response role of the one message parser (`_message_parser.ts`), the
 * client side's mirror of {@linkcode RequestParser}.
 *
 * Theory of operation: a response cannot be framed from its own bytes
 * alone: the answer to HEAD has no content whatever its headers say
 * (RFC 9112 §6.3 item 1), so the caller tells the parser the method of each
 * request it sends with `expect()`, in order, and every final response
 * consumes one. The role's part is the status-line, that queue, interim
 * (1xx) heads that precede a final one, and the framing of a response
 * without Content-Length or chunked coding: it runs until the server
 * closes. The head reader, the body reader and the push / next / finish
 * shell are the request parser's, so an input gives the same events and
 * the same error however the network splits it.
 *
 * @module
 */

import { DEFAULT_MAX_REQUEST_LINE_SIZE } from "./limits.ts";
import { ProtocolError } from "./errors.ts";
import {
  DEFAULT_MAX_INTERIM_RESPONSES,
  type ResponseHead,
  type ResponseInterim,
  type ResponseParserOptions,
} from "./response_events.ts";
import { chunkedLimits } from "./_chunked_reader.ts";
import type { HeadFields } from "./_head_fields.ts";
import { headLimits } from "./_head_reader.ts";
import { MessageParser } from "./_message_parser.ts";
import { StatusLine } from "./_status_line.ts";

export * from "./response_events.ts";

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
export class ResponseParser extends MessageParser<ResponseHead | ResponseInterim> {
  #line: StatusLine;
  #methods: string[] = [];
  /** Per announced request: it asked for an upgrade, so a 101 is its answer. */
  #upgrades: boolean[] = [];
  #maxInterimResponses: number;
  #interimCount = 0;

  /**
   * Creates a parser for one connection's byte stream.
   *
   * @param options limits; see {@linkcode ResponseParserOptions} for defaults
   */
  constructor(options: ResponseParserOptions = {}) {
    const line = new StatusLine();
    // A client asked for the body it downloads: no size limit unless set.
    const maxBodySize = options.maxBodySize ?? Number.MAX_SAFE_INTEGER;
    const maxLine = options.maxStatusLineSize ?? DEFAULT_MAX_REQUEST_LINE_SIZE;
    super(line, headLimits(options, maxLine), chunkedLimits({ ...options, maxBodySize }));
    this.#line = line;
    this.#maxInterimResponses = options.maxInterimResponses ?? DEFAULT_MAX_INTERIM_RESPONSES;
  }

  /**
   * Announces a request sent on this connection: its response is framed
   * by its method (no content for HEAD). Call once per request, in the
   * order they were written. Throws `TypeError` for CONNECT, whose 2xx
   * turns the connection into a tunnel this parser does not follow.
   *
   * With `upgrade` (the request said `Connection: upgrade`), a `101`
   * answer is that request's final head, with no body; it ends the parse
   * (state `"closed"`), and `takeBuffered()` returns the bytes after it,
   * which are the new protocol's. Without it a `101` is a protocol error.
   *
   * @example A 101 to an upgrade request, and the new protocol's first bytes
   * ```ts
   * import { ResponseParser } from "@keepwire/keepwire";
   * import assert from "node:assert/strict";
   *
   * const parser = new ResponseParser();
   * parser.expect("GET", { upgrade: true });
   * parser.push(new TextEncoder().encode(
   *   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nhi",
   * ));
   * const head = parser.next();
   * assert.equal(head?.type === "head" && head.status, 101);
   * assert.equal(parser.next(), null);
   * assert.equal(new TextDecoder().decode(parser.takeBuffered()), "hi");
   * ```
   */
  expect(method: string, options: { readonly upgrade?: boolean } = {}): void {
    if (method === "CONNECT") throw new TypeError("CONNECT tunnels are not supported");
    this.#methods.push(method);
    this.#upgrades.push(options.upgrade === true);
  }

  /** Responses announced with `expect()` whose final head has not been returned yet. */
  get pending(): number {
    return this.#methods.length;
  }

  /**
   * @ignore Bytes before any request was sent (or after every response)
   * are not a response to anything: a confused or malicious server.
   */
  protected override beginHead(): void {
    if (this.#methods.length === 0) {
      throw new ProtocolError(400, "unexpected-response", "bytes with no request pending");
    }
  }

  /** @ignore The response role's judgement of a complete head: interim, or framed by method and status. */
  protected completeHead(fields: HeadFields): ResponseHead | ResponseInterim {
    const line = this.#line;
    const status = line.status;
    if (status === 101 && this.#upgrades[0]) return this.#switched(fields);
    if (status < 200) return this.#interim(fields);
    const method = this.#methods[0];
    // RFC 9112 §6.3 item 1: HEAD, 204 and 304 responses end with the head.
    const framing = method === "HEAD" || status === 204 || status === 304
      ? "none"
      : fields.framing(line.version, false);
    const contentLength = framing === "length" ? fields.contentLength : 0;
    this.startBody(framing, contentLength);
    this.#methods.shift();
    this.#upgrades.shift();
    this.#interimCount = 0;
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

  // RFC 9110 §15.2.2: the server switched to the protocol the request
  // asked for; HTTP ends after this head, which has no content.
  #switched(fields: HeadFields): ResponseHead {
    const line = this.#line;
    const method = this.#methods.shift()!;
    this.#upgrades.shift();
    this.#interimCount = 0;
    this.endMessages();
    return {
      type: "head",
      status: 101,
      statusText: line.statusText,
      version: line.version,
      headers: fields.headers,
      framing: "none",
      contentLength: 0,
      connection: fields.connection,
      keepAlive: "",
      method,
    };
  }

  #interim(fields: HeadFields): ResponseInterim {
    const line = this.#line;
    // RFC 9110 §15.2.2: 101 answers an Upgrade request; after it the bytes
    // are another protocol, which this parser must not read as HTTP (a
    // request announced with `upgrade` takes it as its final head instead).
    if (line.status === 101) {
      throw new ProtocolError(400, "unexpected-upgrade", "101 Switching Protocols not supported");
    }
    if (++this.#interimCount > this.#maxInterimResponses) {
      throw new ProtocolError(400, "too-many-interim-responses", "too many 1xx responses");
    }
    return {
      type: "interim",
      status: line.status,
      statusText: line.statusText,
      headers: fields.headers,
    };
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
