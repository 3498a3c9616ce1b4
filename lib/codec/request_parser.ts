/**
 * The incremental HTTP/1.x request parser (RFC 9112), sans-IO: the request
 * role of the one message parser (`_message_parser.ts`).
 *
 * Theory of operation: a role names its start line and judges a complete
 * head; the head reader, the body reader and the push / next / finish
 * shell are shared with the response parser. For a request that judgement
 * is RFC 9112 §3.2's Host rules and §6.3's framing: a request without
 * Content-Length or chunked coding has no body. The request-line is parsed
 * once, when its LF arrives, with the common methods and the `/` target
 * interned, so a plain GET allocates no string for either; the measured
 * fast paths (resuming `indexOf(LF)`, interned field names and values,
 * heads cut from the caller's chunk in place) live in the shared readers.
 *
 * @module
 */

import type { RequestHead } from "./events.ts";
import { DEFAULT_MAX_REQUEST_LINE_SIZE, type RequestParserOptions } from "./limits.ts";
import { chunkedLimits } from "./_chunked_reader.ts";
import type { HeadFields } from "./_head_fields.ts";
import { headLimits } from "./_head_reader.ts";
import { MessageParser } from "./_message_parser.ts";
import { RequestLine } from "./_request_line.ts";

/**
 * Parses a stream of HTTP/1.x requests, pipelined or not, into `head`,
 * `data` and `end` events (see {@linkcode RequestEvent}).
 *
 * Strict by design: bare LF and bare CR are refused everywhere, as are
 * obs-fold, whitespace before a colon, Content-Length with
 * Transfer-Encoding, conflicting lengths, and a Host that is missing,
 * repeated or malformed (with an absolute-form target, a valid Host that
 * names another authority is ignored, RFC 9112 §3.2.2). Every
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
export class RequestParser extends MessageParser<RequestHead> {
  #line: RequestLine;

  /**
   * Creates a parser for one connection's byte stream.
   *
   * @param options limits; see {@linkcode RequestParserOptions} for defaults
   */
  constructor(options: RequestParserOptions = {}) {
    const line = new RequestLine();
    const maxLine = options.maxRequestLineSize ?? DEFAULT_MAX_REQUEST_LINE_SIZE;
    super(line, headLimits(options, maxLine), chunkedLimits(options));
    this.#line = line;
  }

  /** @ignore The request role's judgement of a complete head: Host, then framing. */
  protected completeHead(fields: HeadFields): RequestHead {
    const line = this.#line;
    fields.checkHost(line);
    const framing = fields.framing(line.version, true) as RequestHead["framing"];
    const contentLength = framing === "length" ? fields.contentLength : 0;
    this.startBody(framing, contentLength);
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
}
