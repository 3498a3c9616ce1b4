/**
 * Watching a server's connections: one event for each open, request,
 * response, idle turn and close, for dashboards and metrics (the live page
 * and `/_keepwire/metrics` are built on it).
 *
 * The hook costs nothing while nobody listens: a connection calls
 * `host.onConnectionEvent?.(…)`, which skips building the event when the
 * server has no listener. Listeners run synchronously inside the connection's
 * own work, so they must be quick and must not throw (a throw is logged and
 * swallowed, never allowed to break a connection).
 *
 * @module
 */

import type { NetAddr } from "../transport.ts";

/**
 * Why a connection closed. The first reason wins: a request that says
 * `Connection: close` and is then followed by the client's FIN closed by
 * `request_close`.
 *
 * - `idle_timeout`: idle longer than `keepAliveTimeout` (RFC 9112 §9.8)
 * - `max_requests`: it carried `maxRequestsPerConnection` requests
 * - `client_close`: the client closed (FIN or reset) first
 * - `request_close`: the request said `Connection: close`, or was HTTP/1.0
 *   without `keep-alive` (RFC 9112 §9.3)
 * - `response_close`: the response said `Connection: close` or could only be
 *   delimited by closing (RFC 9112 §6.3)
 * - `headers_timeout`, `body_timeout`: the request was too slow (408)
 * - `send_timeout`: the client stopped reading the response
 * - `protocol_error`: a request that could not be parsed (4xx)
 * - `unread_body`: an unread request body too large to drain
 * - `evicted`: closed while idle to make room at `maxConnections`
 * - `error`: a socket error or a failure while writing
 * - `shutdown`: the server shut down
 *
 * @example
 * ```ts
 * import type { CloseCause } from "@keepwire/keepwire";
 *
 * const byKeepAlive = (cause: CloseCause) => cause === "idle_timeout" || cause === "max_requests";
 * ```
 */
export type CloseCause =
  | "idle_timeout"
  | "max_requests"
  | "client_close"
  | "request_close"
  | "response_close"
  | "headers_timeout"
  | "body_timeout"
  | "send_timeout"
  | "protocol_error"
  | "unread_body"
  | "evicted"
  | "error"
  | "shutdown";

/**
 * Every {@linkcode CloseCause}, in the order the live page and the metrics list them.
 *
 * @example
 * ```ts
 * import { CLOSE_CAUSES } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.ok(CLOSE_CAUSES.includes("idle_timeout"));
 * ```
 */
export const CLOSE_CAUSES: readonly CloseCause[] = [
  "idle_timeout",
  "max_requests",
  "client_close",
  "request_close",
  "response_close",
  "headers_timeout",
  "body_timeout",
  "send_timeout",
  "protocol_error",
  "unread_body",
  "evicted",
  "error",
  "shutdown",
];

/**
 * One moment in a connection's life. `time` is `Date.now()` when it happened;
 * `id` is the connection id handlers see in `info.connection.id`.
 *
 * - `open`: accepted (it is idle until its first request)
 * - `request`: the head of request number `index` was parsed
 * - `response`: the response to request `index` was written (`status` sent)
 * - `idle`: every response is written and it waits for the next request
 * - `close`: it is gone, after `requests` requests, for `cause`
 *
 * @example
 * ```ts
 * import type { ConnectionEvent } from "@keepwire/keepwire";
 *
 * const describe = (event: ConnectionEvent) =>
 *   event.type === "close" ? `#${event.id} closed: ${event.cause}` : `#${event.id} ${event.type}`;
 * ```
 */
export type ConnectionEvent =
  | {
    readonly type: "open";
    readonly id: number;
    readonly time: number;
    readonly remoteAddr: NetAddr;
  }
  | { readonly type: "request"; readonly id: number; readonly time: number; readonly index: number }
  | {
    readonly type: "response";
    readonly id: number;
    readonly time: number;
    readonly index: number;
    readonly status: number;
  }
  | { readonly type: "idle"; readonly id: number; readonly time: number }
  | {
    readonly type: "close";
    readonly id: number;
    readonly time: number;
    readonly cause: CloseCause;
    readonly requests: number;
  };

/**
 * Receives {@linkcode ConnectionEvent}s; see `Server.observeConnections()`.
 *
 * @example
 * ```ts
 * import type { ConnectionEventListener } from "@keepwire/keepwire";
 *
 * let requests = 0;
 * const count: ConnectionEventListener = (event) => {
 *   if (event.type === "request") requests++;
 * };
 * ```
 */
export type ConnectionEventListener = (event: ConnectionEvent) => void;

/**
 * The timeouts and the request cap a server applies to every connection,
 * resolved from its options and defaults. Durations in ms.
 *
 * @example
 * ```ts
 * import type { ServerLimits } from "@keepwire/keepwire";
 *
 * const summary = (limits: ServerLimits) => `idle ${limits.keepAliveTimeout / 1000} s`;
 * ```
 */
export interface ServerLimits {
  /** Idle time before a persistent connection is closed. */
  readonly keepAliveTimeout: number;
  /** Time to receive a request's header section (408 after). */
  readonly headersTimeout: number;
  /** Longest pause between pieces of a request body (408 after). */
  readonly requestBodyTimeout: number;
  /** Longest wait for a client to read written bytes. */
  readonly sendTimeout: number;
  /** Requests one connection may carry. */
  readonly maxRequestsPerConnection: number;
}
