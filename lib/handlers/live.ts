/**
 * The live connections page at `/_keepwire/`: keep-alive made visible.
 *
 * Four routes under the prefix:
 * - `/_keepwire/` the page (HTML with inline CSS and JS, no external assets)
 * - `/_keepwire/events` Server-Sent Events: a snapshot, then every
 *   connection's open, requests, responses, idle turns and close as they happen
 * - `/_keepwire/stats.json` the snapshot, for polling and tests
 * - `/_keepwire/metrics` the counters in the Prometheus text format
 *
 * The handler learns from `Server.observeConnections()`, so it misses no
 * connection from the moment it first sees the server: build it after
 * `serve()` resolves, or let its first request find the server.
 *
 * The event stream is a long-lived response of unknown length, so it goes
 * out chunked (RFC 9112 §7.1) on the same keep-alive connection the page
 * came on.
 *
 * The page and the metrics show every client's address: expose them only
 * where that is fine (`keepwire serve` turns them on by default on loopback
 * addresses only, see `isLoopbackHostname`).
 *
 * @module
 */

import type { Handler, ServerStats } from "../connection/options.ts";
import type { CloseCause, ServerLimits } from "../connection/observer.ts";
import type { ClosedConnection } from "./connection_history.ts";
import { LiveFeed } from "./live_feed.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./live_metrics.ts";
import { LIVE_PAGE_HTML } from "./live_page.ts";
import { SNAPSHOT_PLACEHOLDER } from "./live_page_script.ts";
import type { LiveServerView } from "./server_view.ts";
import type { UpstreamSnapshot } from "./proxy.ts";
import { splitTarget } from "./target.ts";

/**
 * Where the live page lives: a prefix no ordinary site uses.
 *
 * @example
 * ```ts
 * import { LIVE_PREFIX } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LIVE_PREFIX, "/_keepwire/");
 * ```
 */
export const LIVE_PREFIX = "/_keepwire/";

/**
 * Options of {@linkcode createLiveHandler}.
 *
 * @example
 * ```ts
 * import { createLiveHandler, type LiveHandlerOptions, serve } from "@keepwire/keepwire";
 *
 * const stop = new AbortController();
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * const options: LiveHandlerOptions = { getServer: () => server, signal: stop.signal };
 * const live = createLiveHandler(options);
 * stop.abort();
 * await server.shutdown();
 * ```
 */
export interface LiveHandlerOptions {
  /** Returns the running server (`undefined` before it runs). */
  readonly getServer: () => LiveServerView | undefined;
  /** Longest time an event waits before it is written to the event streams, in ms. Default 100. */
  readonly eventInterval?: number;
  /** Aborting it ends every event stream (call it before a graceful shutdown). */
  readonly signal?: AbortSignal;
  /**
   * On a proxy, the other side: its upstreams' pools (pass the proxy
   * handler's `upstreams`). The snapshot and the `stats` events then carry
   * `upstreams`, sent at least once a second while a page listens, and the
   * page draws them.
   */
  readonly upstreams?: () => readonly UpstreamSnapshot[];
}

/**
 * What `/_keepwire/stats.json` and the stream's `snapshot` event carry.
 *
 * @example
 * ```ts
 * import type { LiveSnapshot } from "@keepwire/keepwire";
 *
 * const summary = (s: LiveSnapshot) => `${s.stats.totalRequests} requests on ${s.stats.totalConnections} connections`;
 * ```
 */
export interface LiveSnapshot {
  /** Server time of the snapshot (ms since the epoch). */
  readonly now: number;
  /** The timeouts and request cap in force. */
  readonly limits: ServerLimits;
  /** The server's counters. */
  readonly stats: ServerStats;
  /** Share of requests that reused a connection (0 to 1). */
  readonly reuseRatio: number;
  /** The open connections, with their latest exchanges. */
  readonly connections: ReadonlyArray<{
    readonly id: number;
    readonly remote: string;
    readonly state: "idle" | "busy" | "closing" | "upgraded";
    readonly requests: number;
    readonly openedAt: number;
    readonly idleTimeLeft: number | null;
    readonly idleSince: number | null;
    /** When its `101` was written (see {@linkcode ClosedConnection}); null if not known to be upgraded. */
    readonly upgradedAt: number | null;
    readonly exchanges: ClosedConnection["exchanges"];
  }>;
  /** Connections closed, most recent first (the latest {@linkcode ClosedConnection}s). */
  readonly recentlyClosed: readonly ClosedConnection[];
  /** Closes since the handler began observing, by cause. */
  readonly closes: Readonly<Record<CloseCause, number>>;
  /** Connections upgraded (a `101` written) since the handler began observing. */
  readonly upgrades: number;
  /**
   * On a proxy (see {@linkcode LiveHandlerOptions.upstreams}), each
   * upstream's pool as `proxy.upstreams()` returns it; absent otherwise.
   */
  readonly upstreams?: readonly UpstreamSnapshot[];
}

const encoder = new TextEncoder();
const [PAGE_BEFORE_SNAPSHOT, PAGE_AFTER_SNAPSHOT] = LIVE_PAGE_HTML.split(SNAPSHOT_PLACEHOLDER);

/** The page with `snapshot` in place, escaped so no text in it can end the script element. */
function page(snapshot: LiveSnapshot | null): string {
  const json = JSON.stringify(snapshot).replace(/</g, "\\u003c");
  return PAGE_BEFORE_SNAPSHOT + json + PAGE_AFTER_SNAPSHOT;
}

function notFound(): Response {
  return new Response("Not Found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function text(
  request: Request,
  body: string,
  contentType: string,
): Response {
  const bytes = encoder.encode(body);
  return new Response(request.method === "HEAD" ? null : bytes, {
    headers: {
      "content-type": contentType,
      "content-length": String(bytes.byteLength),
      "cache-control": "no-store",
    },
  });
}

/**
 * Builds the handler for the live page's routes (everything under
 * `/_keepwire/`; `/_keepwire` redirects there, other paths get 404). Mount it
 * in front of another handler by checking {@linkcode LIVE_PREFIX}.
 *
 * @example
 * ```ts
 * import { createLiveHandler, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * const live = createLiveHandler({ getServer: () => server });
 * await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text();
 * const info = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   httpVersion: "1.1",
 *   connection: { id: 1, requestIndex: 1 },
 *   completed: Promise.resolve(),
 * } as const;
 * const response = await live(new Request("http://localhost/_keepwire/stats.json"), info);
 * assert.equal((await response.json()).stats.totalRequests, 1);
 * await server.shutdown();
 * ```
 *
 * @param options see {@linkcode LiveHandlerOptions}
 * @returns the handler
 */
export function createLiveHandler(options: LiveHandlerOptions): Handler {
  const { getServer } = options;
  const feed = new LiveFeed(options.eventInterval ?? 100, options.signal, options.upstreams);
  const watching = (): LiveServerView | undefined => {
    const server = getServer();
    if (server !== undefined) feed.watch(server);
    return server;
  };
  watching();

  return (request) => {
    const { path } = splitTarget(request.url);
    if (path === "/_keepwire") {
      return new Response(null, { status: 301, headers: { location: LIVE_PREFIX } });
    }
    if (!path.startsWith(LIVE_PREFIX)) return notFound();
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method Not Allowed\n", {
        status: 405,
        headers: { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" },
      });
    }
    const route = path.slice(LIVE_PREFIX.length);
    const server = watching();
    if (route === "" || route === "index.html") {
      const snapshot = server === undefined ? null : feed.snapshot(server);
      return text(request, page(snapshot), "text/html; charset=utf-8");
    }
    if (route !== "events" && route !== "stats.json" && route !== "metrics") return notFound();
    if (server === undefined) {
      return new Response("server not started\n", {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (route === "metrics") {
      return text(
        request,
        renderMetrics(server.stats, feed.history, server.limits),
        METRICS_CONTENT_TYPE,
      );
    }
    if (route === "stats.json") {
      return text(
        request,
        JSON.stringify(feed.snapshot(server)),
        "application/json; charset=utf-8",
      );
    }
    return new Response(request.method === "HEAD" ? null : feed.stream(server), {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  };
}
