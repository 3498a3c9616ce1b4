/**
 * The client's half of the keep-alive rules, as pure functions: may this
 * connection carry another request after this response, for how long may
 * it sit idle, and how many more requests will the server take? No timers,
 * no sockets: the pool asks, this answers.
 *
 * Sources: RFC 9112 §9.3 (persistence) and §9.6 (tear-down), the
 * `Keep-Alive: timeout, max` hint of RFC 2068 §19.7.1 as servers still send
 * it, and §9.5's warning that a server may close an idle connection at any
 * moment: the client lets go before the server's advertised timeout.
 *
 * @module
 */

import type { ResponseHead } from "../codec/response_events.ts";
import { connectionPersists } from "../codec/rules.ts";

/**
 * What a `Keep-Alive` field value hints: `timeout` in seconds, `max`
 * further requests. A parameter that is absent or not a non-negative
 * integer is `undefined` (the hint is advice; nonsense is ignored, not an
 * error).
 *
 * @example
 * ```ts
 * import { parseKeepAliveHint } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseKeepAliveHint("timeout=5, max=99"), { timeout: 5, max: 99 });
 * ```
 */
export interface ServerKeepAliveHint {
  /** Seconds the server keeps an idle connection open. */
  readonly timeout: number | undefined;
  /** Requests the server will still take on this connection after this response. */
  readonly max: number | undefined;
}

/**
 * Parses a `Keep-Alive` value such as `timeout=5, max=1000` (parameters
 * are case-insensitive, in any order, separated by commas; quoted values
 * are unquoted). When a parameter repeats, the smaller value wins: the
 * cautious reading.
 *
 * @param value the field value(s), several fields joined with `", "`
 * @returns the timeout and max, each possibly undefined
 *
 * @example
 * ```ts
 * import { parseKeepAliveHint } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseKeepAliveHint("Timeout=\"2\""), { timeout: 2, max: undefined });
 * assert.deepEqual(parseKeepAliveHint("max=abc"), { timeout: undefined, max: undefined });
 * ```
 */
export function parseKeepAliveHint(value: string): ServerKeepAliveHint {
  let timeout: number | undefined;
  let max: number | undefined;
  if (value === "") return { timeout, max };
  for (const part of value.split(/[,;]/)) {
    const equals = part.indexOf("=");
    if (equals === -1) continue;
    const name = part.slice(0, equals).trim().toLowerCase();
    let text = part.slice(equals + 1).trim();
    if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
    if (!/^[0-9]{1,9}$/.test(text)) continue;
    const number = Number(text);
    if (name === "timeout") timeout = timeout === undefined ? number : Math.min(timeout, number);
    else if (name === "max") max = max === undefined ? number : Math.min(max, number);
  }
  return { timeout, max };
}

/**
 * Client-side keep-alive settings, with the defaults of {@linkcode ClientOptions}.
 *
 * @example
 * ```ts
 * import type { ReusePolicy } from "@keepwire/keepwire";
 *
 * const policy: ReusePolicy = { idleTimeout: 4000, keepAliveSafetyMargin: 1000 };
 * ```
 */
export interface ReusePolicy {
  /** How long an idle connection is kept, in ms. */
  readonly idleTimeout: number;
  /** How much earlier than the server's advertised timeout the client lets go, in ms. */
  readonly keepAliveSafetyMargin: number;
  /**
   * How a `Keep-Alive: timeout` hint combines with `idleTimeout`: `"lowers"`
   * (the default) keeps the shorter of the two; `"sets"` lets the hint
   * decide whenever the server sends one, so `idleTimeout` only covers
   * servers that send none (a reverse proxy's rule: the upstream knows its
   * own timeout better than the proxy's configuration does).
   */
  readonly keepAliveHint?: "lowers" | "sets";
}

/**
 * The verdict on a connection after one response: `reuse` false means close
 * it once the body has been read; otherwise it may sit idle for `idleMs` and
 * carry at most `remainingRequests` more requests (`Infinity` when the
 * server did not say).
 *
 * @example
 * ```ts
 * import type { ReuseDecision } from "@keepwire/keepwire";
 *
 * const decision: ReuseDecision = { reuse: true, idleMs: 4000, remainingRequests: Infinity };
 * ```
 */
export interface ReuseDecision {
  /** The connection may carry another request. */
  readonly reuse: boolean;
  /** Longest idle time before the client closes it, in ms. */
  readonly idleMs: number;
  /** Requests the server will still take; `Infinity` when unknown. */
  readonly remainingRequests: number;
}

const CLOSE: ReuseDecision = Object.freeze({ reuse: false, idleMs: 0, remainingRequests: 0 });

/**
 * Decides whether the connection that carried `head` can be reused.
 *
 * - The protocol's rule first, the codec's {@linkcode connectionPersists}
 *   with the response as the message received: a close-delimited body
 *   (RFC 9112 §6.3 item 8) or `Connection: close` from either side (§9.6)
 *   ends the connection, and an HTTP/1.0 response persists only with
 *   `Connection: keep-alive` (§9.3).
 * - `Keep-Alive: timeout=T` lowers the idle lifetime to T seconds minus the
 *   safety margin, the margin capped at half of T so a short hint still
 *   allows some reuse (with `keepAliveHint: "sets"`, T minus the margin is
 *   the idle lifetime even when it is longer than `idleTimeout`); `max=M`
 *   caps further requests at M, and `max=0` ends the connection.
 *
 * @param head the response head (its version, framing and fields)
 * @param requestSaidClose the request carried `Connection: close`
 * @param policy the client's idle timeout and safety margin
 * @returns whether to reuse, for how long, for how many requests
 *
 * @example A 2 s server hint with a 1 s safety margin leaves 1 s of idle time
 * ```ts
 * import { decideReuse } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const head = {
 *   type: "head", status: 200, statusText: "OK", version: "1.1", headers: [],
 *   framing: "length", contentLength: 2, connection: "", keepAlive: "timeout=2, max=3", method: "GET",
 * } as const;
 * const decision = decideReuse(head, false, { idleTimeout: 4000, keepAliveSafetyMargin: 1000 });
 * assert.deepEqual(decision, { reuse: true, idleMs: 1000, remainingRequests: 3 });
 * ```
 */
export function decideReuse(
  head: ResponseHead,
  requestSaidClose: boolean,
  policy: ReusePolicy,
): ReuseDecision {
  const sentConnection = requestSaidClose ? "close" : "";
  if (!connectionPersists(head.version, head.connection, sentConnection, head.framing)) {
    return CLOSE;
  }
  const hint = cachedHint(head.keepAlive);
  let idleMs = policy.idleTimeout;
  if (hint.timeout !== undefined) {
    const serverMs = hint.timeout * 1000;
    const margin = Math.min(policy.keepAliveSafetyMargin, serverMs / 2);
    idleMs = policy.keepAliveHint === "sets"
      ? serverMs - margin
      : Math.min(idleMs, serverMs - margin);
  }
  const remainingRequests = hint.max ?? Infinity;
  if (idleMs <= 0 || remainingRequests <= 0) return CLOSE;
  return { reuse: true, idleMs, remainingRequests };
}

// A server sends the same Keep-Alive value on every response: the last
// one parsed is kept, so a pool reading it per response (a proxy's, at
// tens of thousands a second) does not split and test it each time.
let lastHintValue = "";
let lastHint: ServerKeepAliveHint = parseKeepAliveHint("");

function cachedHint(value: string): ServerKeepAliveHint {
  if (value !== lastHintValue) {
    lastHint = parseKeepAliveHint(value);
    lastHintValue = value;
  }
  return lastHint;
}

/**
 * Methods whose requests may be sent twice without harm (RFC 9110 §9.2.2):
 * a request that failed on a reused connection before any response byte
 * arrived is retried only with one of these, or with a replayable body
 * when the caller allowed it.
 *
 * @example
 * ```ts
 * import { isIdempotent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isIdempotent("PUT"), true);
 * assert.equal(isIdempotent("POST"), false);
 * ```
 */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case "GET":
    case "HEAD":
    case "OPTIONS":
    case "PUT":
    case "DELETE":
    case "TRACE":
      return true;
    default:
      return false;
  }
}
