/**
 * HTTP/1.x rules that hold the same for a server and a client: how the
 * `Connection` field is read, whether a connection persists after an
 * exchange, and the standard reason phrases. Pure functions over values;
 * the server's keep-alive policy (its `Keep-Alive` hint, the request
 * countdown) and the client's reuse policy (idle time, the server's hint)
 * are built on these, each in its own layer.
 *
 * Sources: RFC 9112 §9.3 (persistence), §9.6 (tear-down), §6.3 item 8
 * (close-delimited bodies), RFC 9110 §7.6.1 (Connection), §15 (status codes).
 *
 * @module
 */

import type { Framing, HttpVersion } from "./events.ts";

/**
 * What a `Connection` field value asks for. Tokens are a case-insensitive,
 * comma-separated list (RFC 9110 §7.6.1); other tokens name hop-by-hop fields.
 *
 * @example
 * ```ts
 * import { parseConnectionTokens } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseConnectionTokens("Keep-Alive, Upgrade"), { close: false, keepAlive: true });
 * assert.deepEqual(parseConnectionTokens("upgrade,CLOSE"), { close: true, keepAlive: false });
 * ```
 */
export interface ConnectionTokens {
  /** The list holds `close`. */
  readonly close: boolean;
  /** The list holds `keep-alive`. */
  readonly keepAlive: boolean;
}

const NO_TOKENS: ConnectionTokens = Object.freeze({ close: false, keepAlive: false });

/**
 * Reads `close` and `keep-alive` out of a `Connection` value. Compares ASCII
 * bytes only, so no Unicode case folding (the Kelvin sign `K` is not `k`)
 * can smuggle a token in.
 *
 * @param value the field value(s), several fields joined with `", "`
 * @returns which of the two tokens the list holds
 *
 * @example
 * ```ts
 * import { parseConnectionTokens } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseConnectionTokens(" close ").close, true);
 * assert.equal(parseConnectionTokens("closed").close, false);
 * ```
 */
export function parseConnectionTokens(value: string): ConnectionTokens {
  if (value === "") return NO_TOKENS;
  let close = false;
  let keepAlive = false;
  let start = 0;
  const length = value.length;
  while (start <= length) {
    let end = value.indexOf(",", start);
    if (end === -1) end = length;
    let first = start;
    let last = end;
    while (first < last && isOptionalWhitespace(value.charCodeAt(first))) first++;
    while (last > first && isOptionalWhitespace(value.charCodeAt(last - 1))) last--;
    if (last - first === 5 && equalsAsciiLowercase(value, first, "close")) close = true;
    else if (last - first === 10 && equalsAsciiLowercase(value, first, "keep-alive")) {
      keepAlive = true;
    }
    start = end + 1;
  }
  return close || keepAlive ? { close, keepAlive } : NO_TOKENS;
}

function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** `lower` must be lowercase ASCII; only A–Z fold, one code unit at a time. */
function equalsAsciiLowercase(value: string, offset: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let code = value.charCodeAt(offset + i);
    if (code >= 0x41 && code <= 0x5a) code |= 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Whether the connection persists after one exchange, judged by either end
 * from what is on the wire (RFC 9112 §9.3): the side deciding passes the
 * message it received and the `Connection` value of the one it sent.
 *
 * - `close` in either message ends the connection (§9.6).
 * - A close-delimited body ends it by definition (§6.3 item 8).
 * - Otherwise HTTP/1.1 persists, and HTTP/1.0 only when the received
 *   message says `keep-alive` (a server then says it back).
 *
 * A server passes the request and its response's `Connection`; a client
 * passes the response and its request's.
 *
 * @param receivedVersion the HTTP version of the message received
 * @param receivedConnection its `Connection` value(s), `""` when absent, or their tokens already parsed
 * @param sentConnection the `Connection` value of the message sent, `""` when absent, or its tokens
 * @param framing how the response body is delimited
 * @returns true when another request may follow on this connection
 *
 * @example A server's view, then a client's
 * ```ts
 * import { connectionPersists } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * // An HTTP/1.0 request opting in, answered with a length.
 * assert.equal(connectionPersists("1.0", "keep-alive", "", "length"), true);
 * // An HTTP/1.1 response that says close.
 * assert.equal(connectionPersists("1.1", "close", "", "chunked"), false);
 * // A body that ends with the connection.
 * assert.equal(connectionPersists("1.1", "", "", "close"), false);
 * ```
 */
export function connectionPersists(
  receivedVersion: HttpVersion,
  receivedConnection: string | ConnectionTokens,
  sentConnection: string | ConnectionTokens,
  framing: Framing["kind"],
): boolean {
  if (framing === "close") return false;
  // A connection that parsed its tokens once passes them; a field value is parsed here.
  const received = typeof receivedConnection === "string"
    ? parseConnectionTokens(receivedConnection)
    : receivedConnection;
  const sent = typeof sentConnection === "string"
    ? parseConnectionTokens(sentConnection)
    : sentConnection;
  if (received.close || sent.close) return false;
  return receivedVersion === "1.1" || received.keepAlive;
}

// RFC 9110 §15 plus the registered extensions still seen in the wild.
const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  208: "Already Reported",
  226: "IM Used",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  418: "I'm a teapot",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  423: "Locked",
  424: "Failed Dependency",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates",
  507: "Insufficient Storage",
  508: "Loop Detected",
  510: "Not Extended",
  511: "Network Authentication Required",
};

/**
 * The standard reason phrase of `status` (RFC 9110 §15), or `""` when the
 * status has none.
 *
 * @example
 * ```ts
 * import { statusText } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(statusText(404), "Not Found");
 * assert.equal(statusText(299), "");
 * ```
 */
export function statusText(status: number): string {
  return REASON_PHRASES[status] ?? "";
}
