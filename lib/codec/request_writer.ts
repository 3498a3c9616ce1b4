/**
 * The request side of the writer: values in, bytes out, for clients. One
 * call writes a request-line and header section; a chunked body is written
 * with {@linkcode encodeChunk} and {@linkcode encodeLastChunk}, which frame
 * request and response bodies alike (RFC 9112 §7.1). Nothing here holds
 * state or does I/O.
 *
 * Theory of operation: the request-line is the role's only part; the field
 * section is written by `_head_writer.ts` exactly as for a response, one
 * pass measuring and one copying each char as one byte after a table check
 * (Latin-1, as Fetch's ByteString header values mean), so a value with
 * obs-text is never turned into UTF-8 and a CR or LF can never start a
 * second, smuggled header. The result is a view into a pooled slab: write
 * or copy it, never transfer its `.buffer`.
 *
 * @module
 */

import type { Framing } from "./events.ts";
import { asciiBytes, encodeHead, writeChars } from "./_head_writer.ts";
import { SP, TARGET_BIT, TOKEN_BIT } from "./_syntax.ts";

/**
 * How a request body is delimited: the codec's one {@linkcode Framing}
 * but `"close"` (a request cannot be close-delimited, the client could
 * never read the answer). `"length"` writes `Content-Length: N`,
 * `"chunked"` writes `Transfer-Encoding: chunked`, `"none"` writes no
 * framing field.
 *
 * @deprecated Use {@linkcode Framing}.
 *
 * @example
 * ```ts
 * import type { RequestFraming } from "@keepwire/keepwire";
 *
 * const framing: RequestFraming = { kind: "length", length: 5 };
 * ```
 */
export type RequestFraming = Exclude<Framing, { kind: "close" }>;

/**
 * Everything {@linkcode encodeRequestHead} needs.
 *
 * @example
 * ```ts
 * import type { RequestHeadInit } from "@keepwire/keepwire";
 *
 * const init: RequestHeadInit = {
 *   method: "POST",
 *   target: "/upload",
 *   headers: ["Host", "example.com", "Content-Type", "text/plain"],
 *   framing: { kind: "chunked" },
 *   expectContinue: true,
 * };
 * ```
 */
export interface RequestHeadInit {
  /** A token (RFC 9110 §9.1); case is kept, methods are case-sensitive. */
  method: string;
  /** The request-target, VCHAR only: origin-form (`/path?q`), absolute-form or `*`. */
  target: string;
  /**
   * Fields, flat: `[name0, value0, …]`. Exactly one `Host` is required
   * (RFC 9112 §3.2). `Content-Length`, `Transfer-Encoding` and `Expect`
   * are skipped: `framing` and `expectContinue` decide them, so the head
   * can never carry two disagreeing framings.
   */
  headers: readonly string[];
  /** How the body that follows is delimited (never `"close"`). */
  framing: Exclude<Framing, { kind: "close" }>;
  /**
   * Send `Expect: 100-continue` (RFC 9110 §10.1.1): the caller then waits
   * for `100 Continue` (or a final status) before writing the body.
   * Only meaningful with a body; default false.
   */
  expectContinue?: boolean;
}

/**
 * Serializes a request-line, the header fields and the framing field into
 * one buffer ending with the empty line (RFC 9112 §2.1).
 *
 * Throws `TypeError` on a method that is not a token, a target with a char
 * outside VCHAR, a field name that is not a token, a value holding NUL,
 * CR, LF or a char above 0xFF, an odd-length `headers`, a missing or
 * repeated `Host`, or a length that is not a non-negative safe integer.
 *
 * @example A POST with a known length
 * ```ts
 * import { encodeRequestHead } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const head = encodeRequestHead({
 *   method: "POST",
 *   target: "/echo",
 *   headers: ["Host", "127.0.0.1:8080"],
 *   framing: { kind: "length", length: 2 },
 * });
 * assert.equal(
 *   new TextDecoder().decode(head),
 *   "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 2\r\n\r\n",
 * );
 * ```
 *
 * @example A streamed body, chunked, waiting for 100 Continue
 * ```ts
 * import { encodeChunk, encodeLastChunk, encodeRequestHead } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const head = encodeRequestHead({
 *   method: "PUT",
 *   target: "/f",
 *   headers: ["Host", "a"],
 *   framing: { kind: "chunked" },
 *   expectContinue: true,
 * });
 * assert.match(new TextDecoder().decode(head), /Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n$/);
 * const body = [encodeChunk(new TextEncoder().encode("hi")), encodeLastChunk()];
 * assert.equal(body.map((part) => new TextDecoder().decode(part)).join(""), "2\r\nhi\r\n0\r\n\r\n");
 * ```
 */
export function encodeRequestHead(init: RequestHeadInit): Uint8Array {
  const { method, target, headers, framing } = init;
  if (method.length === 0) throw new TypeError("method must not be empty");
  if (target.length === 0) throw new TypeError("target must not be empty");
  if ((framing.kind as string) === "close") {
    throw new TypeError("a request cannot be close-delimited");
  }
  // RFC 9112 §3.2: a client MUST send exactly one Host in HTTP/1.1.
  const hosts = countHosts(headers);
  if (hosts !== 1) throw new TypeError(`exactly one Host field is required, got ${hosts}`);
  return encodeHead(
    requestLine(method, target),
    headers,
    framing,
    true,
    init.expectContinue === true,
  );
}

/** `method SP request-target SP HTTP/1.1 CRLF` (RFC 9112 §3), each char checked. */
function requestLine(method: string, target: string): Uint8Array {
  const line = new Uint8Array(method.length + 1 + target.length + HTTP_11_CRLF.length);
  let at = writeChars(line, 0, method, TOKEN_BIT, "method");
  line[at++] = SP;
  at = writeChars(line, at, target, TARGET_BIT, "target");
  line.set(HTTP_11_CRLF, at);
  return line;
}

const HTTP_11_CRLF = asciiBytes(" HTTP/1.1\r\n");

function countHosts(headers: readonly string[]): number {
  let hosts = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === 4 && name.toLowerCase() === "host") hosts++;
  }
  return hosts;
}
