/**
 * The keep-alive rules as pure functions: does this exchange leave the
 * connection open, and what do the response's `Connection` and `Keep-Alive`
 * fields say? No timers, no sockets: the connection layer asks, this answers.
 *
 * Sources: RFC 9112 §9.3 (persistence), §9.6 (tear-down), RFC 9110 §7.6.1
 * (Connection), and the `Keep-Alive` hint of RFC 2068 §19.7.1 as browsers
 * and proxies still read it.
 *
 * @module
 */

import type { HttpVersion } from "../codec/events.ts";

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
 * How a response body is delimited, as far as persistence cares: only a
 * close-delimited body (`"close"`) forbids reuse by itself.
 *
 * @example
 * ```ts
 * import { decidePersistence, type PersistenceFraming } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * // An HTTP/1.0 response of unknown length can only end by closing.
 * const framing: PersistenceFraming = "close";
 * const decision = decidePersistence(
 *   { version: "1.0", requestConnection: "keep-alive", responseConnection: "", framing, requestIndex: 1, maxRequests: 100, mustClose: false },
 *   { enabled: true, timeoutMs: 5_000 },
 * );
 * assert.equal(decision.persist, false);
 * ```
 */
export type PersistenceFraming = "length" | "chunked" | "close" | "none";

/**
 * The facts one exchange contributes to the persistence decision.
 *
 * @example
 * ```ts
 * import type { ExchangeFacts } from "@keepwire/keepwire";
 *
 * const facts: ExchangeFacts = {
 *   version: "1.1", requestConnection: "", responseConnection: "", framing: "length",
 *   requestIndex: 1, maxRequests: 1000, mustClose: false,
 * };
 * ```
 */
export interface ExchangeFacts {
  /** The request's HTTP version. */
  readonly version: HttpVersion;
  /** The request's `Connection` value(s), `""` when absent. */
  readonly requestConnection: string;
  /** The handler's `Connection` response value, `""` when absent. */
  readonly responseConnection: string;
  /** How the response body will be delimited. */
  readonly framing: PersistenceFraming;
  /** 1-based index of this request on its connection. */
  readonly requestIndex: number;
  /** Requests the connection may carry in all. */
  readonly maxRequests: number;
  /**
   * The server cannot keep the connection for reasons outside the exchange's
   * headers: shutting down, an unread request body too large to drain, an
   * `Expect: 100-continue` body never asked for.
   */
  readonly mustClose: boolean;
}

/**
 * The verdict on one exchange and the header fields that announce it.
 *
 * @example
 * ```ts
 * import type { PersistenceDecision } from "@keepwire/keepwire";
 *
 * const closing: PersistenceDecision = { persist: false, connection: "close", keepAlive: null };
 * ```
 */
export interface PersistenceDecision {
  /** Keep the connection open for another request after this response. */
  readonly persist: boolean;
  /** The `Connection` field to send, or null for none (HTTP/1.1 persistence is the default). */
  readonly connection: "close" | "keep-alive" | null;
  /** The `Keep-Alive` field value to send, or null for none. */
  readonly keepAlive: string | null;
}

/**
 * How the server advertises persistence (`Keep-Alive: timeout=T, max=M`).
 *
 * @example
 * ```ts
 * import type { KeepAliveHint } from "@keepwire/keepwire";
 *
 * const hint: KeepAliveHint = { enabled: true, timeoutMs: 5000 };
 * ```
 */
export interface KeepAliveHint {
  /** Send the `Keep-Alive` field on persisting responses. */
  readonly enabled: boolean;
  /** The idle timeout; advertised rounded down to whole seconds so a client never trusts it longer than it holds. */
  readonly timeoutMs: number;
}

/**
 * Decides whether a connection persists after one exchange.
 *
 * - HTTP/1.1 persists unless either side says `close` (RFC 9112 §9.3).
 * - HTTP/1.0 persists only when the request says `keep-alive` and the body
 *   is not close-delimited; the response then says `keep-alive` back.
 * - A close-delimited body ends the connection by definition (§6.3 rule 8).
 * - The request that reaches `maxRequests` gets `Connection: close`.
 * - A persisting response advertises `timeout=T, max=M`, M being the
 *   requests still allowed after this one; the closing one has no hint.
 *
 * @param facts what this exchange said and where the connection stands
 * @param hint how to advertise persistence
 * @returns the verdict and the fields to send
 *
 * @example The fifth request on a connection limited to five
 * ```ts
 * import { decidePersistence } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const base = { version: "1.1", requestConnection: "", responseConnection: "", framing: "length", maxRequests: 5, mustClose: false } as const;
 * const hint = { enabled: true, timeoutMs: 5000 };
 * assert.deepEqual(decidePersistence({ ...base, requestIndex: 1 }, hint), { persist: true, connection: null, keepAlive: "timeout=5, max=4" });
 * assert.deepEqual(decidePersistence({ ...base, requestIndex: 5 }, hint), { persist: false, connection: "close", keepAlive: null });
 * ```
 */
export function decidePersistence(facts: ExchangeFacts, hint: KeepAliveHint): PersistenceDecision {
  const request = parseConnectionTokens(facts.requestConnection);
  const response = parseConnectionTokens(facts.responseConnection);
  const remaining = facts.maxRequests - facts.requestIndex;
  const persist = !request.close && !response.close && !facts.mustClose &&
    facts.framing !== "close" && remaining > 0 &&
    (facts.version === "1.1" || request.keepAlive);
  if (!persist) return CLOSE;
  const keepAlive = hint.enabled ? formatKeepAlive(hint.timeoutMs, remaining) : null;
  return { persist, connection: facts.version === "1.0" ? "keep-alive" : null, keepAlive };
}

const CLOSE: PersistenceDecision = Object.freeze({
  persist: false,
  connection: "close",
  keepAlive: null,
});

/**
 * Formats the `Keep-Alive` hint. The timeout is rounded down to whole seconds:
 * the hint is a promise to the client ("I will not close before T"), so it
 * must never overstate.
 *
 * @param timeoutMs the idle timeout in milliseconds
 * @param remaining requests still allowed after this one
 * @returns a field value such as `timeout=5, max=999`
 *
 * @example
 * ```ts
 * import { formatKeepAlive } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatKeepAlive(1500, 3), "timeout=1, max=3");
 * ```
 */
export function formatKeepAlive(timeoutMs: number, remaining: number): string {
  const seconds = Math.floor(timeoutMs / 1000);
  // Every response formats one: keep the strings of the current timeout.
  if (seconds !== cachedSeconds) {
    cachedSeconds = seconds;
    cachedHints.length = 0;
  }
  if (remaining >= 0 && remaining < HINT_CACHE_SIZE && Number.isInteger(remaining)) {
    return (cachedHints[remaining] ??= `timeout=${seconds}, max=${remaining}`);
  }
  return `timeout=${seconds}, max=${remaining}`;
}

const HINT_CACHE_SIZE = 1024;
let cachedSeconds = -1;
const cachedHints: string[] = [];
