/**
 * The vocabulary of the codec: the HTTP version and the one framing type
 * both roles share, and what {@linkcode RequestParser} emits (the response
 * side's events are in `response_events.ts`).
 *
 * A request is always `head`, zero or more `data`, then `end`; the next
 * pipelined request starts after `end`. Nothing here does I/O.
 *
 * @module
 */

/**
 * The HTTP versions keepwire speaks.
 *
 * @example
 * ```ts
 * import { RequestParser, type HttpVersion } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * const head = parser.next();
 * const version: HttpVersion | undefined = head?.type === "head" ? head.version : undefined;
 * assert.equal(version, "1.0");
 * ```
 */
export type HttpVersion = "1.0" | "1.1";

/**
 * How a message body is delimited (RFC 9112 §6.3), in either direction:
 * the one framing type of the codec. Parsers report its `kind` in their
 * head events (with the length beside it); writers take it whole.
 *
 * - `none`: no content (a request without a body; HEAD, 1xx, 204 and 304
 *   responses; `Content-Length: 0`).
 * - `length`: exactly `length` bytes (`Content-Length`).
 * - `chunked`: the chunked transfer coding (§7.1).
 * - `close`: every byte until the connection closes (§6.3 item 8); only a
 *   response can be framed so, since a client could never read the answer
 *   to a request that ends the connection.
 *
 * @example
 * ```ts
 * import { encodeResponseHead, type Framing } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const framing: Framing = { kind: "length", length: 2 };
 * const head = encodeResponseHead({ status: 200, headers: [], framing });
 * assert.match(new TextDecoder().decode(head), /Content-Length: 2\r\n/);
 * ```
 */
export type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

/**
 * The framing kinds a request can have: {@linkcode Framing}'s kinds but
 * `"close"`.
 *
 * @deprecated Use `Framing["kind"]`; kept so code written against the
 * request parser's first vocabulary still compiles.
 *
 * @example
 * ```ts
 * import { type BodyFraming, RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
 * const head = parser.next();
 * const framing: BodyFraming | undefined = head?.type === "head" ? head.framing : undefined;
 * assert.equal(framing, "chunked");
 * ```
 */
export type BodyFraming = Exclude<Framing["kind"], "close">;

/**
 * The request-line and header section of one request.
 *
 * @example
 * ```ts
 * import { RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
 * const head = parser.next();
 * assert.equal(head?.type, "head");
 * if (head?.type === "head") {
 *   assert.equal(head.method, "GET");
 *   assert.equal(head.target, "/a?b=1");
 *   assert.deepEqual(head.headers, ["Host", "x"]);
 * }
 * ```
 */
export interface RequestHead {
  /** Discriminant. */
  readonly type: "head";
  /** The method token, case preserved (methods are case-sensitive). */
  readonly method: string;
  /** The request-target exactly as sent (origin-, absolute-, authority- or asterisk-form). */
  readonly target: string;
  /** The protocol version. */
  readonly version: HttpVersion;
  /**
   * Header fields in arrival order, flat: `[name0, value0, name1, value1, …]`.
   * Names keep their original case; values have surrounding whitespace removed;
   * bytes are decoded as Latin-1 (one char per byte), as Fetch's ByteString.
   */
  readonly headers: readonly string[];
  /** How the body is framed (a request is never close-delimited). */
  readonly framing: Exclude<Framing["kind"], "close">;
  /** The body length when `framing` is `"length"`, else 0. */
  readonly contentLength: number;
  /**
   * The values of every `Connection` field joined with `", "`, or `""` when
   * absent. Tokens are interpreted by the keep-alive rules, not the parser.
   */
  readonly connection: string;
  /** The `Host` field value (validated: at most one; required for HTTP/1.1), or `""`. */
  readonly host: string;
  /** True when the request carries `Expect: 100-continue`. */
  readonly expectContinue: boolean;
}

/**
 * A slice of the request body. `bytes` may be a view into a chunk passed to
 * `push()`: copy it if you keep it after mutating that chunk.
 *
 * @example
 * ```ts
 * import { RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
 * parser.next(); // the head
 * const data = parser.next();
 * assert.equal(data?.type, "data");
 * if (data?.type === "data") assert.equal(new TextDecoder().decode(data.bytes), "hi");
 * ```
 */
export interface RequestData {
  /** Discriminant. */
  readonly type: "data";
  /** Body bytes (never empty). */
  readonly bytes: Uint8Array;
}

/**
 * The end of one request; `trailers` are the chunked trailer fields, flat like `headers`.
 *
 * @example
 * ```ts
 * import { RequestParser } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode(
 *   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nDigest: abc\r\n\r\n",
 * ));
 * parser.next(); // the head
 * const end = parser.next();
 * assert.equal(end?.type, "end");
 * if (end?.type === "end") assert.deepEqual(end.trailers, ["Digest", "abc"]);
 * ```
 */
export interface RequestEnd {
  /** Discriminant. */
  readonly type: "end";
  /** Trailer fields `[name0, value0, …]`; empty unless the body was chunked with trailers. */
  readonly trailers: readonly string[];
}

/**
 * Anything {@linkcode RequestParser.next} can return besides "need more input" (`null`).
 *
 * @example
 * ```ts
 * import { RequestParser, type RequestEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
 * const types: RequestEvent["type"][] = [];
 * for (let event = parser.next(); event !== null; event = parser.next()) types.push(event.type);
 * assert.deepEqual(types, ["head", "end", "head", "end"]);
 * ```
 */
export type RequestEvent = RequestHead | RequestData | RequestEnd;
