/**
 * The public shapes of the reverse proxy (`proxy.ts`): its options, the
 * handler it returns, and what `proxy.upstreams()` reports per upstream.
 *
 * @module
 */

import type { Handler } from "../connection/options.ts";
import type { PooledConnection } from "../client/options.ts";
import type { ForwardedStyle } from "./proxy_fields.ts";
import type { BalanceStrategy } from "./proxy_upstreams.ts";

/**
 * Options of {@linkcode createProxyHandler}; only `upstreams` is required.
 *
 * @example
 * ```ts
 * import type { ProxyOptions } from "@keepwire/keepwire";
 *
 * const options: ProxyOptions = {
 *   upstreams: ["http://127.0.0.1:3000", "http://127.0.0.1:3001"],
 *   upstreamConnections: 8,
 *   balance: "least-connections",
 *   forwarded: "x-forwarded",
 * };
 * ```
 */
export interface ProxyOptions {
  /** Upstream origins (`http://host:port`, optionally with a path prefix); at least one. */
  readonly upstreams: readonly (string | URL)[];
  /** Most connections to each upstream (default 32). */
  readonly upstreamConnections?: number;
  /**
   * Idle lifetime of an upstream connection, in ms, used only when the
   * upstream sends no `Keep-Alive: timeout` hint (default 4000). With a
   * hint, the connection is retired a safety margin (1 s, at most half the
   * hint) before the hinted timeout, whether that is shorter or longer.
   */
  readonly upstreamKeepAliveTimeout?: number;
  /** Longest wait for an upstream's response head, and between its body chunks, in ms (default 30000); then 504. */
  readonly upstreamTimeout?: number;
  /** How requests are spread over the upstreams (default `"round-robin"`). */
  readonly balance?: BalanceStrategy;
  /** Which fields tell the upstream about the client (default `"rfc7239"`: `Forwarded`). */
  readonly forwarded?: ForwardedStyle;
  /** Send the upstream's own authority as `Host` instead of the client's (default false: kept). */
  readonly changeHost?: boolean;
  /**
   * Extra trusted root certificates (PEM) for `https:` upstreams: a
   * private CA. The system's roots stay trusted; the name checked is the
   * upstream URL's host.
   */
  readonly upstreamCa?: string | readonly string[];
  /**
   * Accept any certificate from `https:` upstreams. For tests only
   * (default false).
   */
  readonly upstreamInsecure?: boolean;
  /**
   * Where the proxy reports what an operator must fix (an upstream's
   * certificate refused), one line each; default `console.error`.
   */
  readonly log?: (line: string) => void;
}

/**
 * One upstream as the proxy sees it now, from `proxy.upstreams()`: the
 * pool's counters and each pooled connection. Plain data (JSON-safe): the
 * live page sends it as it is.
 *
 * @example
 * ```ts
 * import type { UpstreamSnapshot } from "@keepwire/keepwire";
 *
 * const summary = (u: UpstreamSnapshot) =>
 *   `${u.url}: ${u.connections.length} connections, ${Math.round(100 * u.reuseRatio)}% reused, ` +
 *   `${u.staleRetries} stale retries`;
 * ```
 */
export interface UpstreamSnapshot {
  /** The upstream's URL as configured. */
  readonly url: string;
  /** Connections open or opening. */
  readonly open: number;
  /** Of those, idle in the pool. */
  readonly idle: number;
  /** Requests waiting for a connection. */
  readonly queued: number;
  /** Requests sent (stale retries included). */
  readonly requests: number;
  /** Requests that went out on a connection that had carried one before. */
  readonly reusedRequests: number;
  /** `reusedRequests / requests` (0 before the first request). */
  readonly reuseRatio: number;
  /** Connections opened so far. */
  readonly connectionsOpened: number;
  /** Requests retried after meeting a stale connection. */
  readonly staleRetries: number;
  /** Requests answered with 502 or 504. */
  readonly failures: number;
  /** The upstream is being skipped after refusing connections. */
  readonly backingOff: boolean;
  /**
   * Dedicated connections open now, outside the pool: one per request to
   * switch protocols (WebSocket), from its dial until either side closes —
   * the tunnel after a `101` included. Counted as busy by
   * `"least-connections"`.
   */
  readonly tunnels: number;
  /** Dedicated connections opened so far. */
  readonly tunnelsOpened: number;
  /**
   * The pooled connections, oldest first: idle or busy, requests each
   * carried, and while idle the time left before the pool retires it (by
   * the upstream's `Keep-Alive: timeout` hint minus a margin, or by
   * `upstreamKeepAliveTimeout` when the upstream sends none).
   */
  readonly connections: readonly PooledConnection[];
}

/**
 * The proxy's Fetch handler, with its upstream pools' figures and `close()`.
 *
 * @example
 * ```ts
 * import { createProxyHandler, type ProxyHandler } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const proxy: ProxyHandler = createProxyHandler({ upstreams: ["http://127.0.0.1:9"] });
 * assert.equal(proxy.upstreams()[0].open, 0);
 * await proxy.close();
 * ```
 */
export interface ProxyHandler extends Handler {
  /**
   * Per upstream, now: pool occupancy, reuse ratio, stale retries,
   * failures, and every pooled connection (idle or busy, requests carried,
   * idle time left by the upstream's keep-alive hint). What the live page
   * of `keepwire proxy` shows beside the downstream connections.
   *
   * @example An upstream connection kept by its hint
   * ```ts
   * import { createProxyHandler, serve } from "@keepwire/keepwire";
   * import assert from "node:assert/strict";
   *
   * const app = await serve({ port: 0, hostname: "127.0.0.1", keepAliveTimeout: 3_000 }, () =>
   *   new Response("ok"));
   * const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
   * const front = await serve({ port: 0, hostname: "127.0.0.1" }, proxy);
   * for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${front.addr.port}/`)).text();
   * const [upstream] = proxy.upstreams();
   * assert.equal(upstream.requests, 3);
   * assert.ok(upstream.reuseRatio > 0);
   * const [connection] = upstream.connections;
   * assert.equal(connection.serverTimeout, 3_000); // the upstream's Keep-Alive: timeout=3
   * assert.ok(connection.idleTimeLeft === null || connection.idleTimeLeft <= 2_000);
   * await front.shutdown();
   * await proxy.close();
   * await app.shutdown();
   * ```
   */
  upstreams(): UpstreamSnapshot[];
  /** Closes every upstream connection; later requests get 502. */
  close(): Promise<void>;
}

/** `value`, checked to be a positive number, or `fallback` when not set. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${name}: expected a positive number, got ${value}`);
  }
  return value;
}
