/**
 * The live connections page at `/_keepwire/`: keep-alive made visible.
 *
 * Three routes under the prefix:
 * - `/_keepwire/` the page (HTML with inline CSS and JS, no external assets)
 * - `/_keepwire/events` Server-Sent Events, one `data:` JSON snapshot a second
 * - `/_keepwire/stats.json` the same snapshot, for polling and tests
 *
 * The event stream is a long-lived response of unknown length, so it goes
 * out chunked (RFC 9112 §7.1) on the same keep-alive connection the page
 * came on.
 *
 * @module
 */

import type { Handler, ServerStats } from "../connection/options.ts";
import { type ClosedConnection, ConnectionHistory, formatRemote } from "./connection_history.ts";
import { LIVE_PAGE_HTML } from "./live_page.ts";
import type { ServerView, ServerViewGetter } from "./server_view.ts";
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
 * import { createLiveHandler, type LiveHandlerOptions, serve, type Server } from "@keepwire/keepwire";
 *
 * let server: Server | undefined;
 * const stop = new AbortController();
 * const options: LiveHandlerOptions = { getServer: () => server, keepAliveTimeout: 5_000, signal: stop.signal };
 * server = await serve({ port: 0, hostname: "127.0.0.1", keepAliveTimeout: 5_000 }, createLiveHandler(options));
 * stop.abort();
 * await server.shutdown();
 * ```
 */
export interface LiveHandlerOptions {
  /** Returns the running server (`undefined` before it runs). */
  readonly getServer: ServerViewGetter;
  /** The server's idle timeout in ms, shown on the page. */
  readonly keepAliveTimeout?: number;
  /** Time between two event-stream snapshots, in ms. Default 1000. */
  readonly eventInterval?: number;
  /**
   * Sample connections this often (ms) even when nobody watches, so closed
   * connections are remembered for the chart. Default 0: sample only when a
   * snapshot is built. A timer runs while it is on: stop it with `signal`.
   */
  readonly sampleInterval?: number;
  /** Aborting it ends every event stream and stops sampling (call it before a graceful shutdown). */
  readonly signal?: AbortSignal;
}

/**
 * What `/_keepwire/stats.json` and each event carry.
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
  /** The idle timeout in ms, when known. */
  readonly keepAliveTimeout: number | null;
  /** The server's counters. */
  readonly stats: ServerStats;
  /** Share of requests that reused a connection (0 to 1). */
  readonly reuseRatio: number;
  /** The open connections. */
  readonly connections: ReadonlyArray<{
    readonly id: number;
    readonly remote: string;
    readonly state: "idle" | "busy" | "closing";
    readonly requests: number;
    readonly openedAt: number;
    readonly idleTimeLeft: number | null;
  }>;
  /** Connections seen open earlier and closed now, most recent first. */
  readonly recentlyClosed: readonly ClosedConnection[];
}

const encoder = new TextEncoder();
const PAGE = encoder.encode(LIVE_PAGE_HTML);
const PAGE_LENGTH = String(PAGE.byteLength);

/** Events queued for a reader that stopped reading, before new ones are dropped instead of piling up. */
const MAX_QUEUED_EVENTS = 8;

function notFound(): Response {
  return new Response("Not Found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Builds the handler for the live page's routes (everything under
 * `/_keepwire/`; `/_keepwire` redirects there, other paths get 404). Mount it
 * in front of another handler by checking {@linkcode LIVE_PREFIX}.
 *
 * @example
 * ```ts
 * import { createLiveHandler } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const stats = { openConnections: 1, idleConnections: 0, totalConnections: 1, totalRequests: 4, reusedRequests: 3 };
 * const live = createLiveHandler({ getServer: () => ({ stats, connections: () => [] }) });
 * const info = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   httpVersion: "1.1",
 *   connection: { id: 1, requestIndex: 1 },
 * } as const;
 * const response = await live(new Request("http://localhost/_keepwire/stats.json"), info);
 * assert.equal((await response.json()).reuseRatio, 0.75);
 * ```
 *
 * @param options see {@linkcode LiveHandlerOptions}
 * @returns the handler
 */
export function createLiveHandler(options: LiveHandlerOptions): Handler {
  const { getServer, signal } = options;
  const eventInterval = options.eventInterval ?? 1000;
  const history = new ConnectionHistory();

  const snapshot = (server: ServerView): LiveSnapshot => {
    const now = Date.now();
    const open = server.connections();
    history.observe(open, now);
    const stats = { ...server.stats };
    return {
      now,
      keepAliveTimeout: options.keepAliveTimeout ?? null,
      stats,
      reuseRatio: stats.totalRequests === 0 ? 0 : stats.reusedRequests / stats.totalRequests,
      connections: open.map((c) => ({
        id: c.id,
        remote: formatRemote(c.remoteAddr),
        state: c.state,
        requests: c.requests,
        openedAt: c.openedAt,
        idleTimeLeft: c.idleTimeLeft,
      })),
      recentlyClosed: history.closed(),
    };
  };

  if ((options.sampleInterval ?? 0) > 0 && !signal?.aborted) {
    const timer = setInterval(() => {
      const server = getServer();
      if (server !== undefined) history.observe(server.connections(), Date.now());
    }, options.sampleInterval);
    signal?.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  const events = (server: ServerView): Response => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = (): void => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (): void => {
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_EVENTS) return;
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(snapshot(server))}\n\n`));
        };
        // `retry` tells EventSource how soon to reconnect after a restart (WHATWG HTML §9.2).
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        send();
        if (signal?.aborted) {
          controller.close();
          return;
        }
        timer = setInterval(send, eventInterval);
        onAbort = () => {
          stop();
          controller.close();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      },
      cancel() {
        stop();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  };

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
    if (route === "" || route === "index.html") {
      return new Response(request.method === "HEAD" ? null : PAGE, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "content-length": PAGE_LENGTH,
          "cache-control": "no-store",
        },
      });
    }
    if (route !== "events" && route !== "stats.json") return notFound();
    const server = getServer();
    if (server === undefined) {
      return new Response("server not started\n", {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (route === "events") return events(server);
    const json = encoder.encode(JSON.stringify(snapshot(server)));
    return new Response(request.method === "HEAD" ? null : json, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(json.byteLength),
        "cache-control": "no-store",
      },
    });
  };
}
