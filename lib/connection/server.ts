/**
 * The server: a listener, the registry of its connections, one sweep timer
 * for every connection's timeouts, limits, stats and graceful shutdown.
 * Runtime-free: it is handed a {@linkcode ListenFunction} by a shim. The
 * defaults and the reading of `ServeOptions` are in `server_settings.ts`.
 *
 * @module
 */

import { RequestParser } from "../codec/request_parser.ts";
import { Connection, type ConnectionHost } from "./connection.ts";
import type { ConnectionSettings } from "./exchange.ts";
import type { ConnectionEvent, ConnectionEventListener, ServerLimits } from "./observer.ts";
import { serveArguments } from "./serve_arguments.ts";
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_SHUTDOWN_TIMEOUT,
  positive,
  resolveSettings,
} from "./server_settings.ts";
import type { ConnectionSnapshot, Handler, ServeOptions, Server, ServerStats } from "./options.ts";
import type {
  Listener,
  ListenFunction,
  NetAddr,
  Transport,
  TransportHandler,
} from "../transport.ts";

/**
 * A recently idle connection is not evicted to make room for a new one: it
 * may be about to carry its next request (nginx spares connections that
 * have just finished a response in the same way).
 */
const EVICTION_GRACE = 1_000;

/** The sweep interval: timeouts fire at most this late, so the idle close lands in [T, T + 250 ms]. */
const SWEEP_INTERVAL = 250;

/** Parsers kept for reuse: enough for the connections busy at once, bounded for a burst. */
const PARSER_POOL_LIMIT = 1024;

/**
 * Starts a server on the given runtime binding. Most users call `serve()`,
 * which picks the binding for the running runtime.
 *
 * @example
 * ```ts
 * import { listenForRuntime, serveWith } from "@keepwire/keepwire";
 *
 * // serve() does exactly this; serveWith() lets you pass a binding of your own.
 * const server = await serveWith(await listenForRuntime(), { port: 0, hostname: "127.0.0.1" }, () =>
 *   new Response("hello"));
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * console.log(await response.text()); // "hello"
 * await server.shutdown();
 * ```
 */
export function serveWith(listen: ListenFunction, handler: Handler): Promise<Server>;
/** `serveWith(listen, { ...options, handler })`: the handler given as an option. */
export function serveWith(
  listen: ListenFunction,
  options: ServeOptions & { handler: Handler },
): Promise<Server>;
/** `serveWith(listen, options, handler)`: options and the handler apart. */
export function serveWith(
  listen: ListenFunction,
  options: ServeOptions,
  handler: Handler,
): Promise<Server>;
export async function serveWith(
  listen: ListenFunction,
  optionsOrHandler: ServeOptions | Handler,
  maybeHandler?: Handler,
): Promise<Server> {
  const { options, handler } = serveArguments(optionsOrHandler, maybeHandler);
  const settings = resolveSettings(options);
  const host = new ServerCore(settings, handler, options);
  const listener = await listen(
    {
      port: options.port ?? 8080,
      hostname: options.hostname ?? "0.0.0.0",
      reusePort: options.reusePort,
      path: options.path,
      tls: options.tls,
      // A handshake is the first part of receiving a request's head.
      handshakeTimeout: settings.headersTimeout,
      onHandshakeError: (error) => host.handshakeFailed(error),
    },
    (transport) => host.accept(transport),
  );
  host.started(listener);
  options.onListen?.(listener.addr);
  if (options.signal !== undefined) {
    if (options.signal.aborted) void host.shutdown();
    else options.signal.addEventListener("abort", () => void host.shutdown(), { once: true });
  }
  return host;
}

class ServerCore implements Server, ConnectionHost {
  readonly settings: ConnectionSettings;
  readonly handler: Handler;
  readonly onError: (error: unknown) => Response | Promise<Response>;
  readonly finished: Promise<void>;
  fallbackAuthority = "localhost";
  /** The listener serves TLS: known from the options until it is bound, then from the listener. */
  secure: boolean;
  shuttingDown = false;
  /** Null while nobody observes, so a connection's `onConnectionEvent?.(…)` costs one check. */
  onConnectionEvent: ConnectionEventListener | null = null;
  #observers = new Set<ConnectionEventListener>();
  #listener: Listener | null = null;
  #connections = new Set<Connection>();
  #parsers: RequestParser[] = [];
  #nextId = 1;
  #totalConnections = 0;
  #totalRequests = 0;
  #reusedRequests = 0;
  #failedHandshakes: number | undefined;
  #maxConnections: number;
  #shutdownTimeout: number;
  #sweep: ReturnType<typeof setInterval> | null = null;
  #resolveFinished!: () => void;
  #shutdownStarted: Promise<void> | null = null;

  constructor(settings: ConnectionSettings, handler: Handler, options: ServeOptions) {
    this.settings = settings;
    this.handler = handler;
    this.onError = options.onError ?? defaultOnError;
    this.#maxConnections = positive(
      options.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      "maxConnections",
    );
    this.#shutdownTimeout = positive(
      options.shutdownTimeout,
      DEFAULT_SHUTDOWN_TIMEOUT,
      "shutdownTimeout",
    );
    this.finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.secure = options.tls !== undefined;
    if (this.secure) this.#failedHandshakes = 0;
  }

  get addr(): NetAddr {
    if (this.#listener === null) throw new Error("server is not listening yet");
    return this.#listener.addr;
  }

  get stats(): ServerStats {
    let idle = 0;
    let upgraded = 0;
    for (const connection of this.#connections) {
      const state = connection.state;
      if (state === "idle") idle++;
      else if (state === "upgraded") upgraded++;
    }
    return {
      openConnections: this.#connections.size,
      idleConnections: idle,
      upgradedConnections: upgraded,
      totalConnections: this.#totalConnections,
      totalRequests: this.#totalRequests,
      reusedRequests: this.#reusedRequests,
      ...(this.#failedHandshakes === undefined ? {} : { failedHandshakes: this.#failedHandshakes }),
    };
  }

  get limits(): ServerLimits {
    const { keepAliveTimeout, headersTimeout, requestBodyTimeout, sendTimeout } = this.settings;
    const { maxRequestsPerConnection } = this.settings;
    return {
      keepAliveTimeout,
      headersTimeout,
      requestBodyTimeout,
      sendTimeout,
      maxRequestsPerConnection,
    };
  }

  observeConnections(listener: ConnectionEventListener): () => void {
    this.#observers.add(listener);
    this.onConnectionEvent = this.#notify;
    return () => {
      this.#observers.delete(listener);
      if (this.#observers.size === 0) this.onConnectionEvent = null;
    };
  }

  #notify = (event: ConnectionEvent): void => {
    for (const listener of this.#observers) {
      try {
        listener(event);
      } catch (error) {
        console.error("keepwire: connection observer failed:", error);
      }
    }
  };

  connections(): ConnectionSnapshot[] {
    const now = Date.now();
    const snapshots: ConnectionSnapshot[] = [];
    for (const connection of this.#connections) {
      const idleFor = connection.idleFor(now);
      snapshots.push({
        id: connection.id,
        remoteAddr: connection.remoteAddr,
        state: connection.state,
        requests: connection.requestCount,
        openedAt: connection.openedAt,
        idleTimeLeft: idleFor < 0 ? null : Math.max(0, this.settings.keepAliveTimeout - idleFor),
      });
    }
    return snapshots;
  }

  started(listener: Listener): void {
    this.#listener = listener;
    // What the listener does, not what was asked of it: a request's scheme
    // and info.secure must never claim TLS that is not there.
    this.secure = listener.secure ?? this.secure;
    const { hostname, port, transport } = listener.addr;
    const shownHost = hostname === "0.0.0.0" || hostname === "::" ? "localhost" : hostname;
    this.fallbackAuthority = transport === "unix"
      ? "localhost" // a socket file has no authority of its own (as curl --unix-socket sends)
      : (shownHost.includes(":") ? `[${shownHost}]` : shownHost) + ":" + port;
    this.#sweep = setInterval(() => this.#tick(), SWEEP_INTERVAL);
  }

  accept(transport: Transport): TransportHandler {
    const now = Date.now();
    if (this.shuttingDown) return refuse(transport);
    if (this.#connections.size >= this.#maxConnections && !this.#evictIdle(now)) {
      return refuse(transport);
    }
    const connection = new Connection(this.#nextId++, transport, this, now);
    this.#connections.add(connection);
    this.#totalConnections++;
    this.onConnectionEvent?.({
      type: "open",
      id: connection.id,
      time: now,
      remoteAddr: connection.remoteAddr,
    });
    return connection;
  }

  /**
   * A TLS handshake failed: scanners and clients with the wrong CA make
   * these routinely, so the first is logged and every one counted.
   */
  handshakeFailed(error: unknown): void {
    if (this.#failedHandshakes === 0) {
      console.error(
        "keepwire: a TLS handshake failed (further failures are only counted in " +
          "server.stats.failedHandshakes):",
        error instanceof Error ? error.message : error,
      );
    }
    this.#failedHandshakes = (this.#failedHandshakes ?? 0) + 1;
  }

  countRequest(reused: boolean): void {
    this.#totalRequests++;
    if (reused) this.#reusedRequests++;
  }

  takeParser(): RequestParser {
    return this.#parsers.pop() ?? new RequestParser(this.settings.parser);
  }

  returnParser(parser: RequestParser): void {
    if (this.#parsers.length < PARSER_POOL_LIMIT) this.#parsers.push(parser);
  }

  connectionClosed(connection: Connection): void {
    this.#connections.delete(connection);
    this.onConnectionEvent?.({
      type: "close",
      id: connection.id,
      time: Date.now(),
      cause: connection.closeCause ?? "client_close",
      requests: connection.requestCount,
    });
    if (this.shuttingDown && this.#connections.size === 0) this.#finish();
  }

  shutdown(): Promise<void> {
    if (this.#shutdownStarted !== null) return this.#shutdownStarted;
    this.shuttingDown = true;
    this.#shutdownStarted = (async () => {
      await this.#listener?.close();
      for (const connection of [...this.#connections]) connection.shutdown();
      if (this.#connections.size === 0) this.#finish();
      const deadline = setTimeout(() => {
        for (const connection of [...this.#connections]) connection.destroy("shutdown");
        this.#finish();
      }, this.#shutdownTimeout);
      await this.finished;
      clearTimeout(deadline);
    })();
    return this.#shutdownStarted;
  }

  #finish(): void {
    if (this.#sweep !== null) {
      clearInterval(this.#sweep);
      this.#sweep = null;
    }
    this.#resolveFinished();
  }

  #tick(): void {
    const now = Date.now();
    for (const connection of this.#connections) connection.tick(now);
  }

  /** At the limit, close the longest-idle connection that is past its grace period (as nginx does). */
  #evictIdle(now: number): boolean {
    let oldest: Connection | null = null;
    let oldestIdle = EVICTION_GRACE;
    for (const connection of this.#connections) {
      const idleFor = connection.idleFor(now);
      if (idleFor >= oldestIdle) {
        oldest = connection;
        oldestIdle = idleFor;
      }
    }
    if (oldest === null) return false;
    oldest.destroy("evicted");
    return true;
  }
}

/** Over the limit or shutting down: close the new socket at once. */
function refuse(transport: Transport): TransportHandler {
  transport.close();
  return { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };
}

function defaultOnError(error: unknown): Response {
  console.error("keepwire: handler failed:", error);
  return new Response("Internal Server Error\n", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
