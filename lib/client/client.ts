/**
 * `createClient()`: a keep-alive HTTP/1.1 client with Fetch semantics on
 * Deno, Bun and Node, on keepwire's own codec.
 *
 * Theory of operation: `fetch()` prepares the request (Fetch's rules for
 * methods, headers and bodies), asks the {@linkcode PoolState} for a
 * connection — an idle one (LIFO), a pipelined slot, a new one, or a place
 * in the queue — writes the request, and settles with a standard `Response`
 * as soon as the head is read. When the body has been read, the connection
 * goes back to the pool for as long as the server's `Connection`,
 * `Keep-Alive: timeout, max` and the client's own idle timeout allow. A
 * request that fails on a reused connection before any response byte is
 * the stale-connection race (the server closed it while it sat idle): it is
 * sent once more on a fresh connection when it is safe to send twice.
 *
 * @module
 */

import type { ResponseHead } from "../codec/response_events.ts";
import { encodeRequestHead } from "../codec/request_writer.ts";
import { ClientConnection, type ConnectionOwner, type ConnectionSettings } from "./_connection.ts";
import { ClientError } from "./errors.ts";
import { Exchange, type ExchangeFailure, type ExchangeResult } from "./_exchange.ts";
import { PoolState } from "./pool.ts";
import { type PreparedRequest, prepareRequest, redirectRequest } from "./_prepare.ts";
import { isIdempotent, parseKeepAliveHint } from "./reuse.ts";
import type { ConnectFunction, TlsConnectOptions } from "../transport.ts";
import {
  absoluteTarget,
  connectAttempt,
  connectFailure,
  describeTarget,
  proxyAuthRequired,
  proxyFor,
  proxyHeaders,
  type ProxySetting,
  readProxyOption,
  type Route,
  routeFor,
} from "./_route.ts";
import type {
  ClientOptions,
  ClientRequestInit,
  ClientStats,
  PooledConnection,
  ResponseInfo,
} from "./options.ts";
import { createResponse, type MutableStats, newStats, setResponseInfo } from "./_response.ts";
import { decodingOptions, ResponseDecoding } from "./_decode_body.ts";
import { checkClientOptions } from "./option_rules.ts";

export type * from "./options.ts";

interface QueuedRequest {
  resolve(connection: ClientConnection): void;
  reject(error: unknown): void;
  readonly route: Route;
}

/**
 * The key of {@linkcode KeepAliveClient}'s exchange without Fetch objects;
 * internal to keepwire (the reverse proxy), not exported from mod.ts.
 */
export const exchangeWithoutFetch: unique symbol = Symbol("keepwire.exchangeWithoutFetch");

/**
 * A pool of keep-alive connections with a Fetch-compatible `fetch()`.
 * Create it with `createClient()`, which passes the running runtime's
 * `connect`; constructed directly, it needs one in its options.
 *
 * @example `request()` returns the response with how it was obtained
 * ```ts
 * import { createClient, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("ok"));
 * const client = createClient({ maxConnectionsPerOrigin: 2 });
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const first = await client.request(url);
 * await first.response.text();
 * const second = await client.request(url, { method: "POST", body: "x" });
 * assert.equal(await second.response.text(), "ok");
 * assert.deepEqual(second.info, { reused: true, retried: false, connectionId: 1, redirects: 0 });
 * await client.close();
 * await server.shutdown();
 * ```
 */
export class KeepAliveClient {
  #options: Required<
    Omit<
      ClientOptions,
      | "connect"
      | "ca"
      | "rejectUnauthorized"
      | "socketPath"
      | "decompress"
      | "maxResponseBodySize"
      | "contentDecoders"
      | "proxy"
    >
  >;
  #decoding: ResponseDecoding;
  #settings: ConnectionSettings;
  #pool: PoolState<ClientConnection, QueuedRequest>;
  #connect: ConnectFunction;
  #tls: TlsConnectOptions;
  #socketPath: string | undefined;
  #proxy: ProxySetting;
  #stats: MutableStats = newStats();
  #nextId = 0;
  #closed = false;
  #open = new Set<ClientConnection>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #owner: ConnectionOwner = {
    exchangeDone: (connection) => this.#exchangeDone(connection),
    connectionGone: (connection) => this.#connectionGone(connection),
  };

  /**
   * Creates an empty pool; connections open on demand.
   *
   * @param options limits and timeouts, and `connect`; see {@linkcode ClientOptions}
   */
  constructor(options: ClientOptions = {}) {
    checkClientOptions(options);
    if (typeof options.connect !== "function") {
      throw new TypeError(
        "KeepAliveClient needs a connect function; createClient() passes the running runtime's",
      );
    }
    this.#options = {
      maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? 6,
      maxConnections: options.maxConnections ?? 256,
      pipelining: options.pipelining ?? 1,
      idleTimeout: options.idleTimeout ?? 4_000,
      keepAliveSafetyMargin: options.keepAliveSafetyMargin ?? 1_000,
      keepAliveHint: options.keepAliveHint ?? "lowers",
      connectTimeout: options.connectTimeout ?? 10_000,
      headersTimeout: options.headersTimeout ?? 30_000,
      bodyTimeout: options.bodyTimeout ?? 30_000,
      expectContinueTimeout: options.expectContinueTimeout ?? 1_000,
      maxHeaderSize: options.maxHeaderSize ?? 16_384,
      maxHeaderCount: options.maxHeaderCount ?? 100,
      maxRedirects: options.maxRedirects ?? 20,
      retryNonIdempotent: options.retryNonIdempotent ?? false,
      lightFetchObjects: options.lightFetchObjects ?? false,
    };
    this.#connect = options.connect;
    this.#decoding = new ResponseDecoding(decodingOptions(options));
    this.#tls = { ca: options.ca, rejectUnauthorized: options.rejectUnauthorized };
    this.#socketPath = options.socketPath;
    this.#proxy = readProxyOption(options.proxy, "proxy");
    if (this.#proxy !== null && options.socketPath !== undefined) {
      throw new TypeError("proxy and socketPath cannot be combined: pick one way to connect");
    }
    const o = this.#options;
    this.#settings = {
      policy: {
        idleTimeout: o.idleTimeout,
        keepAliveSafetyMargin: o.keepAliveSafetyMargin,
        keepAliveHint: o.keepAliveHint,
      },
      headersTimeout: o.headersTimeout,
      bodyTimeout: o.bodyTimeout,
      expectContinueTimeout: o.expectContinueTimeout,
      parser: { maxHeaderSize: o.maxHeaderSize, maxHeaderCount: o.maxHeaderCount },
    };
    this.#pool = new PoolState({
      maxConnectionsPerOrigin: o.maxConnectionsPerOrigin,
      maxConnections: o.maxConnections,
      pipelining: o.pipelining,
    });
  }

  /** Live counters and pool occupancy. */
  get stats(): ClientStats {
    const pool = this.#pool;
    return { ...this.#stats, open: pool.size, idle: pool.idleCount, queued: pool.waiting };
  }

  /**
   * The open connections, oldest first: idle or busy, requests carried, and
   * how long an idle one will still be reused (what a proxy's live page
   * shows of its upstream pools). Connections still connecting are not listed.
   *
   * @example
   * ```ts
   * import { createClient, serve } from "@keepwire/keepwire";
   * import assert from "node:assert/strict";
   *
   * const server = await serve({ port: 0, hostname: "127.0.0.1", keepAliveTimeout: 5_000 }, () =>
   *   new Response("ok"));
   * const client = createClient();
   * await (await client.fetch(`http://127.0.0.1:${server.addr.port}/`)).text();
   * const [connection] = client.connections();
   * assert.equal(connection.state, "idle");
   * assert.equal(connection.requests, 1);
   * assert.equal(connection.serverTimeout, 5_000);
   * assert.ok(connection.idleTimeLeft! <= 4_000); // the hint minus the 1 s safety margin
   * await client.close();
   * await server.shutdown();
   * ```
   */
  connections(): PooledConnection[] {
    const now = performance.now();
    const list: PooledConnection[] = [];
    for (const connection of this.#open) {
      if (connection.closed) continue;
      const idle = connection.inFlight === 0;
      const hint = connection.lastKeepAlive === ""
        ? undefined
        : parseKeepAliveHint(connection.lastKeepAlive).timeout;
      list.push({
        id: connection.id,
        origin: connection.origin,
        state: idle ? "idle" : "busy",
        requests: connection.requestCount,
        idleLifetime: connection.idleMs,
        idleTimeLeft: idle && Number.isFinite(connection.idleDeadline)
          ? Math.max(0, connection.idleDeadline - now)
          : null,
        serverTimeout: hint === undefined ? null : hint * 1000,
        remainingRequests: Number.isFinite(connection.remainingRequests)
          ? connection.remainingRequests
          : null,
      });
    }
    return list;
  }

  /**
   * Fetch over the pool: resolves with a standard `Response` once the head
   * has arrived; its body streams. Rejects with {@linkcode ClientError}
   * (a `TypeError`) on network failures, or the signal's reason on abort.
   * A `ReadableStream` body is sent chunked, or with the `Content-Length`
   * set in `headers` when there is one (the stream must then yield exactly
   * that many bytes, else the request fails with `body-error`).
   */
  async fetch(input: string | URL | Request, init: ClientRequestInit = {}): Promise<Response> {
    return (await this.request(input, init)).response;
  }

  /** Like `fetch`, and also says how the response was obtained (see {@linkcode ResponseInfo}). */
  async request(
    input: string | URL | Request,
    init: ClientRequestInit = {},
  ): Promise<{ response: Response; info: ResponseInfo }> {
    if (this.#closed) throw new ClientError("client-closed", "the client is closed");
    let prepared = await prepareRequest(input, init);
    prepared.signal?.throwIfAborted();
    const firstOrigin = prepared.url.origin;
    const allowReplay = init.retryNonIdempotent ?? this.#options.retryNonIdempotent;
    const proxy = init.proxy === undefined ? this.#proxy : this.#requestProxy(init.proxy);
    let redirects = 0;
    for (;;) {
      const host = init.host !== undefined && prepared.url.origin === firstOrigin
        ? init.host
        : prepared.url.host;
      const { result, reused, retried, connectionId } = await this.#exchange(
        prepared,
        host,
        init.expectContinue === true,
        allowReplay,
        proxy,
      );
      const location = headerValue(result.head.headers, "location");
      const next = prepared.redirect === "manual"
        ? null
        : redirectRequest(prepared, result.head.status, location);
      if (next !== null) {
        if (prepared.redirect === "error") {
          await discard(result.body);
          throw new ClientError("redirect-error", `redirect to ${location} with redirect: "error"`);
        }
        if (++redirects > this.#options.maxRedirects) {
          await discard(result.body);
          throw new ClientError("too-many-redirects", `more than ${this.#options.maxRedirects}`);
        }
        await discard(result.body);
        prepared = next;
        continue;
      }
      const info: ResponseInfo = { reused, retried, connectionId, redirects };
      let body;
      try {
        body = this.#decoding.body(result.head, result.body);
      } catch (error) {
        this.#stats.failures++;
        throw error;
      }
      const response = createResponse(
        { head: result.head, body },
        prepared.url.href,
        redirects > 0,
        this.#options.lightFetchObjects,
      );
      setResponseInfo(response, info);
      return { response, info };
    }
  }

  /**
   * One exchange without the Fetch objects, for keepwire's own reverse proxy
   * (lib/handlers/proxy.ts): `prepared` is taken as it is (headers already
   * flat and end-to-end, no redirects), and the settled exchange comes back
   * as the head and its body — bytes when the whole body came with the
   * head (and no decoding applies) — so a response can be passed on without
   * a `Response` and a stream in between. Same pool, stale-retry rules,
   * decoding and stats as `fetch()`.
   *
   * @ignore keyed by a symbol the package does not export: not public API
   */
  async [exchangeWithoutFetch](
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
  ): Promise<ExchangeResult> {
    if (this.#closed) throw new ClientError("client-closed", "the client is closed");
    prepared.signal?.throwIfAborted();
    const { result } = await this.#exchange(
      prepared,
      host,
      expectContinue,
      this.#options.retryNonIdempotent,
      this.#proxy,
    );
    // The client's decoding and size limit apply as in fetch() (a proxy's
    // client passes bodies through: decompress false, no limit).
    try {
      return { head: result.head, body: this.#decoding.body(result.head, result.body) };
    } catch (error) {
      this.#stats.failures++;
      throw error;
    }
  }

  /**
   * Closes every connection and fails what is in flight or queued with
   * `ClientError("client-closed")`. Later requests are refused.
   */
  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const { members, waiters } = this.#pool.drain();
    const error = new ClientError("client-closed", "the client is closed");
    for (const waiter of waiters) waiter.reject(error);
    for (const member of members) member.close(error);
    return Promise.resolve();
  }

  // A response has been read completely on `connection`.
  #exchangeDone(connection: ClientConnection): void {
    const verdict = this.#pool.finished(connection, performance.now());
    if (verdict === "close") connection.close();
    // An idle pool must not keep the process alive (as the sweeper does not).
    else if (verdict === "idle") connection.socket?.unref?.();
    this.#dispatch();
  }

  #connectionGone(connection: ClientConnection): void {
    this.#pool.remove(connection);
    this.#open.delete(connection);
    this.#stats.connectionsClosed++;
    this.#dispatch();
  }

  #requestProxy(value: unknown): ProxySetting {
    const proxy = readProxyOption(value, "proxy (request option)");
    if (proxy !== null && this.#socketPath !== undefined) {
      throw new TypeError("proxy and socketPath cannot be combined: pick one way to connect");
    }
    return proxy;
  }

  async #exchange(
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
    allowReplay: boolean,
    proxySetting: ProxySetting,
  ) {
    const { url, method, body, signal } = prepared;
    const route = routeFor(url, proxyFor(url, proxySetting), this.#tls, this.#socketPath);
    const headers = proxyHeaders(prepared.headers, route);
    const replayable = body === null || body instanceof Uint8Array;
    const retryable = isIdempotent(method) ? replayable : replayable && allowReplay;
    const pipelinable = body === null && isIdempotent(method);
    const saysClose = /(^|,)\s*close\s*(,|$)/i.test(
      headerValue(prepared.headers, "connection") ?? "",
    );
    // A stream goes chunked unless the caller declared its length (a
    // gateway forwarding a body that came with Content-Length keeps it).
    const streamLength = body instanceof ReadableStream
      ? declaredLength(prepared.headers)
      : undefined;
    const head = encodeRequestHead({
      method,
      // RFC 9112 §3.2.2: to a forward proxy, the absolute URI; Host is kept.
      target: route.absoluteForm ? absoluteTarget(url) : url.pathname + url.search,
      headers: ["host", host, ...headers, ...this.#acceptEncoding(headers)],
      framing: body === null
        ? (method === "POST" || method === "PUT" || method === "PATCH"
          ? { kind: "length", length: 0 }
          : { kind: "none" })
        : body instanceof Uint8Array
        ? { kind: "length", length: body.byteLength }
        : streamLength !== undefined
        ? { kind: "length", length: streamLength }
        : { kind: "chunked" },
      expectContinue: expectContinue && body !== null,
    });
    let retried = false;
    for (;;) {
      const exchange = new Exchange({
        method,
        head,
        body,
        streamLength,
        expectContinue: expectContinue && body !== null,
        saysClose,
      });
      const connection = await this.#acquire(route, pipelinable, retried, signal);
      this.#stats.requests++;
      if (signal !== null) {
        // Until the body is complete an abort fails the exchange (and the
        // connection, which cannot be reused mid-response).
        const onAbort = () => {
          if (!exchange.done) connection.close(signal.reason, exchange);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        exchange.onDone = () => signal.removeEventListener("abort", onAbort);
      }
      connection.send(exchange);
      if (exchange.reused) this.#stats.reusedRequests++;
      let result: ExchangeResult;
      try {
        result = await exchange.settled;
      } catch (caught) {
        const failure = caught as ExchangeFailure;
        if (signal?.aborted) throw signal.reason;
        const error = failure.error;
        const stale = failure.reused && failure.beforeResponse &&
          error instanceof ClientError && error.code === "connection-closed";
        if (stale) this.#stats.staleFailures++;
        if (!retried && stale && retryable && !this.#closed) {
          retried = true;
          this.#stats.retries++;
          continue;
        }
        this.#stats.failures++;
        throw error;
      }
      if (result.head.status === 407 && route.absoluteForm) {
        // Fetch §4.5: a 407 outside a browser window is a network error.
        // (Inside a tunnel a 407 is the origin's, and an ordinary response.)
        await discard(result.body);
        this.#stats.failures++;
        throw proxyAuthRequired(route.proxy!, `${method} ${absoluteTarget(url)}`);
      }
      return { result, reused: exchange.reused, retried, connectionId: connection.id };
    }
  }

  /**
   * Fetch's default `Accept-Encoding` (Fetch §4.6, HTTP-network-or-cache
   * fetch): none when the request has its own; `identity` with a `Range`,
   * because a range of coded bytes cannot be decoded on its own; else the
   * codings this client can undo.
   */
  #acceptEncoding(headers: readonly string[]): string[] {
    const value = this.#decoding.acceptEncoding;
    if (value === null || headerValue(headers, "accept-encoding") !== null) return [];
    return ["accept-encoding", headerValue(headers, "range") === null ? value : "identity"];
  }

  #acquire(
    route: Route,
    pipelinable: boolean,
    fresh: boolean,
    signal: AbortSignal | null,
  ): Promise<ClientConnection> | ClientConnection {
    const origin = route.key;
    const acquisition = this.#pool.acquire(origin, performance.now(), pipelinable, fresh);
    this.#closeExpired();
    switch (acquisition.kind) {
      case "reuse":
        acquisition.member.socket?.ref?.();
        return acquisition.member;
      case "pipeline":
        return acquisition.member;
      case "connect":
        acquisition.evict?.close();
        return this.#connectNew(route, pipelinable);
      case "wait":
        return new Promise((resolve, reject) => {
          const queued: QueuedRequest = { resolve, reject, route };
          this.#pool.enqueue(origin, pipelinable, fresh, queued);
          signal?.addEventListener("abort", () => {
            if (this.#pool.dequeue(queued)) reject(signal.reason);
          }, { once: true });
        });
    }
  }

  async #connectNew(route: Route, pipelinable: boolean): Promise<ClientConnection> {
    const origin = route.key;
    const { options, tunnel } = connectAttempt(route);
    const connection = new ClientConnection(
      origin,
      ++this.#nextId,
      this.#settings,
      this.#owner,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const giveUp = new AbortController();
      const attempt = this.#connect({ ...options, signal: giveUp.signal }, connection);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new ClientError(
            "connect-timeout",
            `no connection to ${describeTarget(route)} within ${this.#options.connectTimeout} ms`,
          );
          reject(error);
          // The runtime closes a handshake or tunnel still in flight; one
          // that completes regardless is closed here.
          giveUp.abort(error);
          attempt.then((socket) => socket.close(), () => {});
        }, this.#options.connectTimeout);
      });
      connection.socket = await Promise.race([attempt, timeout]);
    } catch (error) {
      this.#pool.connectFailed(origin);
      this.#dispatch();
      throw connectFailure(route, tunnel, error);
    } finally {
      clearTimeout(timer);
    }
    this.#stats.connectionsOpened++;
    this.#open.add(connection);
    this.#sweeper ??= this.#startSweeper();
    if (this.#closed) {
      connection.close(new ClientError("client-closed", "the client is closed"));
      throw new ClientError("client-closed", "the client is closed");
    }
    this.#pool.connected(connection, pipelinable);
    return connection;
  }

  #dispatch(): void {
    if (this.#pool.waiting === 0) return;
    for (const [queued, acquisition] of this.#pool.runnable(performance.now())) {
      switch (acquisition.kind) {
        case "reuse":
          acquisition.member.socket?.ref?.();
          queued.resolve(acquisition.member);
          break;
        case "pipeline":
          queued.resolve(acquisition.member);
          break;
        case "connect":
          acquisition.evict?.close();
          this.#connectNew(queued.route, false).then(
            queued.resolve,
            queued.reject,
          );
          break;
      }
    }
    this.#closeExpired();
  }

  // One coarse timer per client checks read deadlines and idle lifetimes:
  // cheaper than a timer per request, and precise enough for timeouts of
  // seconds (the tick is a quarter of the shortest one, 10 ms to 1 s).
  // Reuse never depends on it: acquire() checks idle deadlines itself.
  #startSweeper(): ReturnType<typeof setInterval> {
    const o = this.#options;
    const shortest = Math.min(
      o.headersTimeout > 0 ? o.headersTimeout : Infinity,
      o.bodyTimeout > 0 ? o.bodyTimeout : Infinity,
      o.idleTimeout,
    );
    const tick = Math.max(10, Math.min(1_000, shortest / 4));
    const timer = setInterval(() => {
      const now = performance.now();
      for (const connection of this.#open) connection.checkDeadline(now);
      this.#pool.expireIdle(now);
      this.#closeExpired();
    }, tick);
    unrefTimer(timer);
    return timer;
  }

  #closeExpired(): void {
    for (const member of this.#pool.takeExpired()) member.close();
  }
}

/** Lets the process exit while only this timer is pending (Node and Bun objects, Deno ids). */
function unrefTimer(timer: ReturnType<typeof setInterval>): void {
  if (typeof timer === "object" && timer !== null) {
    (timer as { unref?: () => void }).unref?.();
  } else {
    (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno?.unrefTimer?.(
      timer as unknown as number,
    );
  }
}

function headerValue(headers: readonly string[], lowerName: string): string | null {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].length === lowerName.length && headers[i].toLowerCase() === lowerName) {
      return headers[i + 1];
    }
  }
  return null;
}

/** A `Content-Length` the caller set for a streamed body, if it is a valid one (RFC 9110 §8.6). */
function declaredLength(headers: readonly string[]): number | undefined {
  const value = headerValue(headers, "content-length");
  if (value === null || !/^[0-9]{1,15}$/.test(value)) return undefined;
  return Number(value);
}

async function discard(body: ExchangeResult["body"]): Promise<void> {
  if (body instanceof ReadableStream) await body.cancel().catch(() => {});
}

export { ClientError, type ResponseHead };
