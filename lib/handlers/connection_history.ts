/**
 * The live page's memory of a server's connections, built from the server's
 * connection events (`Server.observeConnections()`), so nothing that happens
 * between two looks is missed: a connection that opens, carries a request
 * and closes within a millisecond is recorded like any other.
 *
 * Bounded for a long-running server: the most recent closed connections are
 * kept ({@linkcode DEFAULT_CLOSED_CAPACITY}), each with the times of its
 * last requests ({@linkcode MAX_EXCHANGES_KEPT}); counters (closes by cause,
 * requests per connection) cover the whole life of the server.
 *
 * @module
 */

import type { CloseCause, ConnectionEvent } from "../connection/observer.ts";
import type { ConnectionSnapshot } from "../connection/options.ts";
import { CLOSE_CAUSES } from "../connection/observer.ts";

/**
 * One connection as the live page draws it: open or closed, with the times
 * of its most recent exchanges.
 *
 * @example
 * ```ts
 * import type { ClosedConnection } from "@keepwire/keepwire";
 *
 * const lifetime = (connection: ClosedConnection) =>
 *   `#${connection.id} from ${connection.remote}: ${connection.requests} requests, closed by ${connection.cause}`;
 * ```
 */
export interface ClosedConnection {
  /** The connection id. */
  readonly id: number;
  /** `hostname:port` of the peer. */
  readonly remote: string;
  /** Requests carried. */
  readonly requests: number;
  /** When it was accepted (ms since the epoch). */
  readonly openedAt: number;
  /** When it closed (ms since the epoch); null while open. */
  readonly closedAt: number | null;
  /** Why it closed; null while open. */
  readonly cause: CloseCause | null;
  /** Since when it waits for a request (ms since the epoch); null while busy or closed. */
  readonly idleSince: number | null;
  /**
   * When its `101 Switching Protocols` was written (ms since the epoch): from then on it
   * carried another protocol, a WebSocket say. Null if it never left HTTP, or if it had
   * already left it when observing began (the server's `connections()` still says
   * `upgraded`).
   */
  readonly upgradedAt: number | null;
  /**
   * Its latest exchanges as `[request parsed, response written]` times, the
   * second null while the response is on its way; at most
   * {@linkcode MAX_EXCHANGES_KEPT}, oldest first.
   */
  readonly exchanges: ReadonlyArray<readonly [number, number | null]>;
}

/**
 * Closed connections remembered, newest kept: a page shows a few dozen; a
 * long-running server must not grow.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLOSED_CAPACITY } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CLOSED_CAPACITY, 200);
 * ```
 */
export const DEFAULT_CLOSED_CAPACITY = 200;

/**
 * Exchanges remembered per connection (the request count stays exact): a
 * timeline row cannot show more ticks than this anyway.
 *
 * @example
 * ```ts
 * import { MAX_EXCHANGES_KEPT } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_EXCHANGES_KEPT, 64);
 * ```
 */
export const MAX_EXCHANGES_KEPT = 64;

/**
 * Upper bounds of the requests-per-connection histogram buckets (the last,
 * `+Inf`, is implied), as Prometheus `le` labels.
 *
 * @example
 * ```ts
 * import { REQUESTS_PER_CONNECTION_BUCKETS } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(REQUESTS_PER_CONNECTION_BUCKETS[0], 1);
 * ```
 */
export const REQUESTS_PER_CONNECTION_BUCKETS: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
];

/**
 * Formats a peer address as `hostname:port`, bracketing IPv6 (RFC 3986 §3.2.2).
 *
 * @example
 * ```ts
 * import { formatRemote } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatRemote({ transport: "tcp", hostname: "::1", port: 80 }), "[::1]:80");
 * ```
 *
 * @param addr the address
 * @returns the text form
 */
export function formatRemote(addr: ConnectionSnapshot["remoteAddr"]): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

interface MutableRecord {
  id: number;
  remote: string;
  requests: number;
  openedAt: number;
  closedAt: number | null;
  cause: CloseCause | null;
  idleSince: number | null;
  upgradedAt: number | null;
  exchanges: [number, number | null][];
}

/**
 * Connections open and recently closed, plus whole-life counters, kept up
 * to date by {@linkcode ConnectionHistory.apply}.
 *
 * @example
 * ```ts
 * import { ConnectionHistory } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * const history = new ConnectionHistory();
 * const remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 } as const;
 * history.apply({ type: "open", id: 1, time: 0, remoteAddr });
 * history.apply({ type: "request", id: 1, time: 5, index: 1 });
 * history.apply({ type: "close", id: 1, time: 9, cause: "request_close", requests: 1 });
 * assert.equal(history.closed()[0].cause, "request_close");
 * assert.equal(history.closes.request_close, 1);
 * ```
 */
export class ConnectionHistory {
  #open = new Map<number, MutableRecord>();
  #closed: MutableRecord[] = [];
  #capacity: number;
  /** Closes since observing began, by cause (every cause present, 0 when none). */
  readonly closes: Record<CloseCause, number>;
  /** Closed connections per histogram bucket (same order as the bounds, then +Inf); not cumulative. */
  readonly requestsPerConnection: number[] = new Array(REQUESTS_PER_CONNECTION_BUCKETS.length + 1)
    .fill(0);
  /** Requests carried by the closed connections counted in the histogram. */
  requestsOnClosed = 0;
  /** Connections that left HTTP (a `101` written) since observing began. */
  upgrades = 0;

  /**
   * Creates an empty history.
   *
   * @param capacity closed connections kept, newest first
   */
  constructor(capacity: number = DEFAULT_CLOSED_CAPACITY) {
    this.#capacity = capacity;
    this.closes = Object.fromEntries(CLOSE_CAUSES.map((cause) => [cause, 0])) as Record<
      CloseCause,
      number
    >;
  }

  /**
   * Learns the connections already open when observing begins (their past
   * exchanges are unknown, their request counts are not).
   *
   * @param connections the server's `connections()`
   * @param keepAliveTimeout the server's idle timeout (ms), to date idle stretches
   */
  seed(connections: readonly ConnectionSnapshot[], keepAliveTimeout: number): void {
    const now = Date.now();
    for (const c of connections) {
      if (this.#open.has(c.id)) continue;
      this.#open.set(c.id, {
        id: c.id,
        remote: formatRemote(c.remoteAddr),
        requests: c.requests,
        openedAt: c.openedAt,
        closedAt: null,
        cause: null,
        idleSince: c.idleTimeLeft === null ? null : now - (keepAliveTimeout - c.idleTimeLeft),
        upgradedAt: null,
        exchanges: [],
      });
    }
  }

  /**
   * Applies one connection event.
   *
   * @param event from `Server.observeConnections()`
   */
  apply(event: ConnectionEvent): void {
    if (event.type === "open") {
      this.#open.set(event.id, {
        id: event.id,
        remote: formatRemote(event.remoteAddr),
        requests: 0,
        openedAt: event.time,
        closedAt: null,
        cause: null,
        idleSince: event.time,
        upgradedAt: null,
        exchanges: [],
      });
      return;
    }
    if (event.type === "close") {
      this.closes[event.cause]++;
      this.requestsOnClosed += event.requests;
      this.requestsPerConnection[bucketOf(event.requests)]++;
    }
    const record = this.#open.get(event.id);
    if (record === undefined) return;
    switch (event.type) {
      case "request":
        record.requests = Math.max(record.requests, event.index);
        record.idleSince = null;
        record.exchanges.push([event.time, null]);
        // Trimmed in bulk, not shifted per request (a shift moves the whole
        // list: ~1 % of a proxied request); copies keep only the latest.
        if (record.exchanges.length >= 2 * MAX_EXCHANGES_KEPT) {
          record.exchanges.splice(0, record.exchanges.length - MAX_EXCHANGES_KEPT);
        }
        break;
      case "response": {
        // Responses go out in request order, so the exchanges still open
        // are the last ones: the oldest of them is found from the end (a
        // search from the start read up to MAX_EXCHANGES_KEPT closed ones
        // per response, ~2 % of a proxied request on Node).
        const exchanges = record.exchanges;
        let oldestOpen = -1;
        for (let i = exchanges.length - 1; i >= 0 && exchanges[i][1] === null; i--) oldestOpen = i;
        if (oldestOpen !== -1) exchanges[oldestOpen][1] = event.time;
        // keepwire writes a 101 only when a handler accepted the upgrade, and HTTP ends
        // with it on that connection (RFC 9110 §15.2.2): its response event is the upgrade.
        if (event.status === 101 && record.upgradedAt === null) {
          record.upgradedAt = event.time;
          record.idleSince = null;
          this.upgrades++;
        }
        break;
      }
      case "idle":
        record.idleSince = event.time;
        break;
      case "close":
        record.requests = event.requests;
        record.closedAt = event.time;
        record.cause = event.cause;
        record.idleSince = null;
        this.#open.delete(event.id);
        this.#closed.unshift(record);
        if (this.#closed.length > this.#capacity) this.#closed.length = this.#capacity;
        break;
    }
  }

  /**
   * The open connections, oldest first.
   *
   * @returns copies of the records
   */
  open(): ClosedConnection[] {
    return [...this.#open.values()].map(copy);
  }

  /**
   * The closed connections remembered, most recently closed first.
   *
   * @returns copies of the records
   */
  closed(): ClosedConnection[] {
    return this.#closed.map(copy);
  }
}

function copy(record: MutableRecord): ClosedConnection {
  return {
    ...record,
    exchanges: record.exchanges.slice(-MAX_EXCHANGES_KEPT).map((e) => [e[0], e[1]] as const),
  };
}

function bucketOf(requests: number): number {
  const bounds = REQUESTS_PER_CONNECTION_BUCKETS;
  for (let i = 0; i < bounds.length; i++) if (requests <= bounds[i]) return i;
  return bounds.length;
}
