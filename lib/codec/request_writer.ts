/**
 * The request side of the writer: values in, bytes out, for clients. One
 * call writes a request-line and header section; a chunked body is written
 * with {@linkcode encodeChunk} and {@linkcode encodeLastChunk}, which frame
 * request and response bodies alike (RFC 9112 §7.1). Nothing here holds
 * state or does I/O.
 *
 * Theory of operation: one pass validates every char against a 256-entry
 * table and sums the length, a second writes each char as one byte
 * (Latin-1, as Fetch's ByteString header values mean), so a value with
 * obs-text is never turned into UTF-8 and a CR or LF can never start a
 * second, smuggled header.
 *
 * @module
 */

/**
 * How a request body is delimited (RFC 9112 §6.3): `"length"` writes
 * `Content-Length: N`, `"chunked"` writes `Transfer-Encoding: chunked`,
 * `"none"` writes no framing field (a request without content; a request
 * cannot be close-delimited, the client could never read the answer).
 *
 * @example
 * ```ts
 * import type { RequestFraming } from "@keepwire/keepwire";
 *
 * const framing: RequestFraming = { kind: "length", length: 5 };
 * ```
 */
export type RequestFraming =
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "none" };

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
  /** How the body that follows is delimited. */
  framing: RequestFraming;
  /**
   * Send `Expect: 100-continue` (RFC 9110 §10.1.1): the caller then waits
   * for `100 Continue` (or a final status) before writing the body.
   * Only meaningful with a body; default false.
   */
  expectContinue?: boolean;
}

const TOKEN = 1;
const VALUE = 2; // anything but NUL, CR, LF, up to 0xFF
const TARGET = 4; // VCHAR

const CHAR_CLASS: Uint8Array = /* @__PURE__ */ (() => {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) {
    let bits = 0;
    if (code !== 0x00 && code !== 0x0a && code !== 0x0d) bits |= VALUE;
    if (code >= 0x21 && code <= 0x7e) bits |= TARGET;
    table[code] = bits;
  }
  for (const char of "!#$%&'*+-.^_`|~") table[char.charCodeAt(0)] |= TOKEN;
  for (let code = 0x30; code <= 0x39; code++) table[code] |= TOKEN;
  for (let code = 0x41; code <= 0x5a; code++) table[code] |= TOKEN;
  for (let code = 0x61; code <= 0x7a; code++) table[code] |= TOKEN;
  return table;
})();

function check(text: string, bit: number, what: string, allowEmpty: boolean): void {
  if (text.length === 0 && !allowEmpty) throw new TypeError(`${what} must not be empty`);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || (CHAR_CLASS[code] & bit) === 0) {
      throw new TypeError(`invalid char U+${code.toString(16).padStart(4, "0")} in ${what}`);
    }
  }
}

// The fields a caller may not set by hand; see RequestHeadInit.headers.
function isFramingField(lower: string): boolean {
  return lower === "content-length" || lower === "transfer-encoding" || lower === "expect";
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
  check(method, TOKEN, "method", false);
  check(target, TARGET, "target", false);
  if (headers.length % 2 !== 0) throw new TypeError("headers must be [name, value, …] pairs");
  let hosts = 0;
  let text = `${method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    check(name, TOKEN, "field name", false);
    check(value, VALUE, `value of ${name}`, true);
    const lower = name.toLowerCase();
    if (isFramingField(lower)) continue;
    if (lower === "host") hosts++;
    text += `${name}: ${value}\r\n`;
  }
  // RFC 9112 §3.2: a client MUST send exactly one Host in HTTP/1.1.
  if (hosts !== 1) throw new TypeError(`exactly one Host field is required, got ${hosts}`);
  switch (framing.kind) {
    case "length": {
      const length = framing.length;
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new TypeError(`framing length must be a non-negative safe integer, got ${length}`);
      }
      text += `Content-Length: ${length}\r\n`;
      break;
    }
    case "chunked":
      text += "Transfer-Encoding: chunked\r\n";
      break;
    case "none":
      break;
    default:
      throw new TypeError(`unknown framing kind ${(framing as { kind: unknown }).kind}`);
  }
  if (init.expectContinue === true) text += "Expect: 100-continue\r\n";
  text += "\r\n";
  const out = new Uint8Array(text.length);
  // Every char was checked to be <= 0xFF above: one byte each (Latin-1).
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
