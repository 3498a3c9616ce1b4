/**
 * The server's keep-alive policy as pure functions: does this exchange leave
 * the connection open, and what do the response's `Connection` and
 * `Keep-Alive` fields say? The protocol's own rule (RFC 9112 §9.3) is the
 * codec's {@linkcode connectionPersists}, shared with the client; on top of
 * it come the server's limits (requests per connection, reasons to close)
 * and the `Keep-Alive` hint of RFC 2068 §19.7.1 as browsers and proxies
 * still read it. No timers, no sockets: the connection layer asks, this
 * answers.
 *
 * @module
 */

import type { Framing, HttpVersion } from "../codec/events.ts";
import { connectionPersists, type ConnectionTokens } from "../codec/rules.ts";

/**
 * How a response body is delimited, as far as persistence cares: only a
 * close-delimited body (`"close"`) forbids reuse by itself.
 *
 * @deprecated Use `Framing["kind"]`, the codec's one framing type.
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
export type PersistenceFraming = Framing["kind"];

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
  /** The request's `Connection` value(s), `""` when absent, or its tokens already parsed. */
  readonly requestConnection: string | ConnectionTokens;
  /** The handler's `Connection` response value, `""` when absent, or its tokens already parsed. */
  readonly responseConnection: string | ConnectionTokens;
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
  return persistenceVerdict(
    facts.version,
    facts.requestConnection,
    facts.responseConnection,
    facts.framing,
    facts.maxRequests - facts.requestIndex,
    facts.mustClose,
    hint.enabled ? hint.timeoutMs : -1,
  );
}

/**
 * {@linkcode decidePersistence} with its facts as arguments: the server
 * decides once per response, and the two records per call were a
 * measurable share of a small exchange's allocations. `remaining` is
 * `maxRequests - requestIndex`; `hintTimeoutMs` is -1 when no
 * `Keep-Alive` hint is sent.
 *
 * @example The fourth of five requests, and an HTTP/1.0 client that asked for nothing
 * ```ts
 * import { persistenceVerdict } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   persistenceVerdict("1.1", "", "", "length", 2, false, 5000),
 *   { persist: true, connection: null, keepAlive: "timeout=5, max=2" },
 * );
 * assert.equal(persistenceVerdict("1.0", "", "", "length", 2, false, -1).persist, false);
 * ```
 */
export function persistenceVerdict(
  version: HttpVersion,
  requestConnection: string | ConnectionTokens,
  responseConnection: string | ConnectionTokens,
  framing: PersistenceFraming,
  remaining: number,
  mustClose: boolean,
  hintTimeoutMs: number,
): PersistenceDecision {
  const persist = !mustClose && remaining > 0 &&
    connectionPersists(version, requestConnection, responseConnection, framing);
  if (!persist) return CLOSE;
  const keepAlive = hintTimeoutMs >= 0 ? formatKeepAlive(hintTimeoutMs, remaining) : null;
  if (version === "1.0") return { persist, connection: "keep-alive", keepAlive };
  return keepAlive === null ? PERSIST : { persist, connection: null, keepAlive };
}

/** HTTP/1.1 persisting without a hint: nothing to say, the same every time. */
const PERSIST: PersistenceDecision = Object.freeze({
  persist: true,
  connection: null,
  keepAlive: null,
});

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
  if (remaining >= SMALL_INTEGER_LIMIT && remaining <= Number.MAX_SAFE_INTEGER) {
    return largeHint(seconds, remaining);
  }
  return `timeout=${seconds}, max=${remaining}`;
}

const HINT_CACHE_SIZE = 1024;
let cachedSeconds = -1;
const cachedHints: string[] = [];

/** V8's small integers (31 bits): above them a number turns to a string by its slow double path. */
const SMALL_INTEGER_LIMIT = 2 ** 30;

/**
 * The hint for a safe integer above {@linkcode SMALL_INTEGER_LIMIT},
 * written from two small halves: `maxRequestsPerConnection:
 * Number.MAX_SAFE_INTEGER` (the benchmark's, "no limit") formatted its
 * countdown at ~0.3–1 µs a response on V8, a tenth of that split. The text
 * up to the high half changes once in 10^8 responses, so it is kept.
 */
function largeHint(seconds: number, value: number): string {
  const high = Math.floor(value / 1e8);
  if (high !== largeHigh || seconds !== largeSeconds) {
    largeHigh = high;
    largeSeconds = seconds;
    largePrefix = `timeout=${seconds}, max=${high}`;
  }
  // 1e8 + low has nine digits; dropping the leading 1 keeps low's zeros.
  return largePrefix + ("" + (value - high * 1e8 + 1e8)).slice(1);
}

let largeHigh = -1;
let largeSeconds = -1;
let largePrefix = "";
