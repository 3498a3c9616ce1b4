/**
 * Remembers connections after they close, so the live page can still chart
 * how many requests each carried: a browser that loaded 60 assets over 6
 * connections and left is the story worth showing, and `connections()` only
 * lists the open ones.
 *
 * It learns by sampling: a connection that disappears between two samples is
 * recorded with the request count last seen (requests carried after the last
 * sample are missed, which a chart can live with).
 *
 * @module
 */

import type { ConnectionSnapshot } from "../connection/options.ts";

/**
 * A connection seen open earlier and gone now.
 *
 * @example
 * ```ts
 * import type { ClosedConnection } from "@keepwire/keepwire";
 *
 * const lifetime = (connection: ClosedConnection) =>
 *   `#${connection.id} from ${connection.remote}: ${connection.requests} requests in ${
 *     connection.closedAt - connection.openedAt
 *   } ms`;
 * ```
 */
export interface ClosedConnection {
  /** The connection id. */
  readonly id: number;
  /** `hostname:port` of the peer. */
  readonly remote: string;
  /** Requests carried, as last seen. */
  readonly requests: number;
  /** When it was accepted (ms since the epoch). */
  readonly openedAt: number;
  /** When it was first seen gone (ms since the epoch). */
  readonly closedAt: number;
}

/** How many closed connections are kept: enough for a chart, bounded for a long-running server. */
const DEFAULT_CAPACITY = 48;

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

/**
 * Tracks open connections across samples and keeps the most recently closed.
 *
 * @example
 * ```ts
 * import { ConnectionHistory } from "./connection_history.ts";
 * import assert from "node:assert/strict";
 *
 * const history = new ConnectionHistory();
 * const remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 } as const;
 * history.observe([{ id: 1, remoteAddr, state: "idle", requests: 3, openedAt: 0, idleTimeLeft: 100 }], 10);
 * history.observe([], 20);
 * assert.deepEqual(history.closed(), [{ id: 1, remote: "127.0.0.1:5000", requests: 3, openedAt: 0, closedAt: 20 }]);
 * ```
 */
export class ConnectionHistory {
  #open = new Map<number, { remote: string; requests: number; openedAt: number }>();
  #closed: ClosedConnection[] = [];
  #capacity: number;

  /**
   * Creates an empty history.
   *
   * @param capacity closed connections kept, newest first
   */
  constructor(capacity: number = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /**
   * Records a sample of the open connections at time `now`.
   *
   * @param connections the open connections now
   * @param now the sample's time (ms since the epoch)
   */
  observe(connections: readonly ConnectionSnapshot[], now: number): void {
    const seen = new Set<number>();
    for (const connection of connections) {
      seen.add(connection.id);
      const known = this.#open.get(connection.id);
      if (known === undefined) {
        this.#open.set(connection.id, {
          remote: formatRemote(connection.remoteAddr),
          requests: connection.requests,
          openedAt: connection.openedAt,
        });
      } else {
        known.requests = connection.requests;
      }
    }
    for (const [id, known] of this.#open) {
      if (seen.has(id)) continue;
      this.#open.delete(id);
      this.#closed.unshift({
        id,
        remote: known.remote,
        requests: known.requests,
        openedAt: known.openedAt,
        closedAt: now,
      });
    }
    if (this.#closed.length > this.#capacity) this.#closed.length = this.#capacity;
  }

  /**
   * The closed connections remembered, most recently closed first.
   *
   * @returns a copy of the list
   */
  closed(): ClosedConnection[] {
    return this.#closed.slice();
  }
}
