/**
 * The vocabulary of the response codec: what {@linkcode ResponseParser}
 * emits and the limits it takes.
 *
 * A response is zero or more `interim` heads (1xx), one `head`, zero or
 * more `data`, then `end`; the next response on the connection starts after
 * `end`. Nothing here does I/O.
 *
 * @module
 */

import type { Framing, HttpVersion, RequestData, RequestEnd } from "./events.ts";
import type { RequestParserOptions } from "./limits.ts";

/**
 * The framing kinds of a response body: {@linkcode Framing}'s kinds.
 *
 * @deprecated Use `Framing["kind"]`.
 *
 * @example
 * ```ts
 * import type { ResponseBodyFraming } from "@keepwire/keepwire";
 *
 * const reusable = (framing: ResponseBodyFraming) => framing !== "close";
 * ```
 */
export type ResponseBodyFraming = Framing["kind"];

/**
 * The status-line and header section of a final (non-1xx) response.
 *
 * @example
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
 * const head = parser.next();
 * assert.equal(head?.type, "head");
 * if (head?.type === "head") assert.equal(head.status, 200);
 * ```
 */
export interface ResponseHead {
  /** Discriminant. */
  readonly type: "head";
  /** The status code, 200..999 (1xx arrive as {@linkcode ResponseInterim}). */
  readonly status: number;
  /** The reason phrase as sent (may be empty; never interpreted). */
  readonly statusText: string;
  /** The protocol version of the response. */
  readonly version: HttpVersion;
  /** Header fields in arrival order, flat: `[name0, value0, …]`, Latin-1 decoded. */
  readonly headers: readonly string[];
  /**
   * How the body is framed: `"none"` for HEAD, 204 and 304 whatever the
   * fields say (RFC 9112 §6.3 item 1), `"close"` when neither
   * Content-Length nor chunked frames it.
   */
  readonly framing: Framing["kind"];
  /** The body length when `framing` is `"length"`, else 0. */
  readonly contentLength: number;
  /** Every `Connection` value joined with `", "`, or `""`. */
  readonly connection: string;
  /** Every `Keep-Alive` value joined with `", "`, or `""` (the server's timeout/max hint). */
  readonly keepAlive: string;
  /** The method of the request this response answers, as given to `expect()`. */
  readonly method: string;
}

/**
 * An interim 1xx response (RFC 9110 §15.2), e.g. `100 Continue` or
 * `103 Early Hints`; the final response to the same request follows.
 *
 * @example
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("POST");
 * parser.push(new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"));
 * assert.deepEqual(parser.next(), { type: "interim", status: 100, statusText: "Continue", headers: [] });
 * ```
 */
export interface ResponseInterim {
  /** Discriminant. */
  readonly type: "interim";
  /** 100 or 102..199 (101 is refused: the client never asks to upgrade). */
  readonly status: number;
  /** The reason phrase as sent. */
  readonly statusText: string;
  /** Header fields, flat like {@linkcode ResponseHead.headers}. */
  readonly headers: readonly string[];
}

/**
 * A slice of the response body (a view; copy it to keep it past the pushed chunk's life).
 *
 * @example
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
 * parser.next(); // the head
 * const data = parser.next();
 * assert.equal(data?.type === "data" && new TextDecoder().decode(data.bytes), "hi");
 * ```
 */
export type ResponseData = RequestData;

/**
 * The end of one response; `trailers` are chunked trailer fields, flat.
 *
 * @example
 * ```ts
 * import { ResponseParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nDigest: x\r\n\r\n",
 * ));
 * parser.next(); // the head
 * assert.deepEqual(parser.next(), { type: "end", trailers: ["Digest", "x"] });
 * ```
 */
export type ResponseEnd = RequestEnd;

/**
 * Anything {@linkcode ResponseParser.next} can return besides "need more input" (`null`).
 *
 * @example
 * ```ts
 * import type { ResponseEvent } from "@keepwire/keepwire";
 *
 * const describe = (event: ResponseEvent) =>
 *   event.type === "head" ? `${event.status}` : event.type;
 * ```
 */
export type ResponseEvent = ResponseInterim | ResponseHead | ResponseData | ResponseEnd;

/**
 * Most interim (1xx) responses accepted before one final response; one
 * more is refused with 400. A server may send several (100 then 103), but
 * an endless stream of them would keep a request waiting forever.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_INTERIM_RESPONSES } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_INTERIM_RESPONSES, 16);
 * ```
 */
export const DEFAULT_MAX_INTERIM_RESPONSES = 16;

/**
 * Limits of {@linkcode ResponseParser}: the request parser's limits with
 * the same defaults (the status-line uses `maxStatusLineSize`, default
 * 8192), except `maxBodySize`, which defaults to unlimited: a client asked
 * for the body it downloads.
 *
 * @example
 * ```ts
 * import { ResponseParser, type ResponseParserOptions } from "@keepwire/keepwire";
 *
 * const options: ResponseParserOptions = { maxHeaderSize: 8192, maxBodySize: 1 << 20 };
 * const parser = new ResponseParser(options);
 * ```
 */
export interface ResponseParserOptions
  extends Omit<RequestParserOptions, "maxRequestLineSize" | "maxBodySize"> {
  /** Longest status-line, CRLF excluded (default 8192); over it: 400 `status-line-too-long`. */
  maxStatusLineSize?: number;
  /** Largest body (default `Number.MAX_SAFE_INTEGER`); over it: 413 `body-too-large`. */
  maxBodySize?: number;
  /** Most 1xx responses before a final one (default 16); over it: 400. */
  maxInterimResponses?: number;
}
