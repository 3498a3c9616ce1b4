/**
 * The part of a running {@linkcode Server} the handlers read. Handlers take
 * a getter for it, so they can be built before `serve()` resolves and tested
 * with a fake.
 *
 * @module
 */

import type { Server } from "../connection/options.ts";

/**
 * What `/stats` and the live page read from a server.
 *
 * @example
 * ```ts
 * import type { ServerView } from "./server_view.ts";
 *
 * const fake: ServerView = {
 *   stats: { openConnections: 0, idleConnections: 0, upgradedConnections: 0, totalConnections: 0, totalRequests: 0, reusedRequests: 0 },
 *   connections: () => [],
 * };
 * ```
 */
export type ServerView = Pick<Server, "stats" | "connections">;

/**
 * Returns the server once it is running, `undefined` before.
 *
 * @example
 * ```ts
 * import type { ServerView, ServerViewGetter } from "./server_view.ts";
 *
 * let server: ServerView | undefined;
 * const getServer: ServerViewGetter = () => server;
 * ```
 */
export type ServerViewGetter = () => ServerView | undefined;

/**
 * What the live page reads from a server: the counters and connections of
 * {@linkcode ServerView}, the limits in force, and the connection events.
 *
 * @example
 * ```ts
 * import type { LiveServerView } from "@keepwire/keepwire";
 *
 * const idle = (server: LiveServerView) => server.limits.keepAliveTimeout;
 * ```
 */
export type LiveServerView = Pick<
  Server,
  "stats" | "connections" | "limits" | "observeConnections"
>;
