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
import { ClientError } from "./errors.ts";
import { Exchange, type ExchangeFailure, type ExchangeResult } from "./_exchange.ts";
import { LivePool } from "./_live_pool.ts";
import { type PreparedRequest, prepareRequest, redirectRequest } from "./_prepare.ts";
import { isIdempotent } from "./reuse.ts";
import type { TlsConnectOptions } from "../transport.ts";
import {
  absoluteTarget,
  proxyAuthRequired,
  proxyFor,
  proxyHeaders,
  type ProxySetting,
  readProxyOption,
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
  #pool: LivePool;
  #tls: TlsConnectOptions;
  #socketPath: string | undefined;
  #proxy: ProxySetting;
  #stats: MutableStats = newStats();

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
    this.#decoding = new ResponseDecoding(decodingOptions(options));
    this.#tls = { ca: options.ca, rejectUnauthorized: options.rejectUnauthorized };
    this.#socketPath = options.socketPath;
    this.#proxy = readProxyOption(options.proxy, "proxy");
    if (this.#proxy !== null && options.socketPath !== undefined) {
      throw new TypeError("proxy and socketPath cannot be combined: pick one way to connect");
    }
    const o = this.#options;
    this.#pool = new LivePool({
      connect: options.connect,
      connection: {
        policy: {
          idleTimeout: o.idleTimeout,
          keepAliveSafetyMargin: o.keepAliveSafetyMargin,
          keepAliveHint: o.keepAliveHint,
        },
        headersTimeout: o.headersTimeout,
        bodyTimeout: o.bodyTimeout,
        expectContinueTimeout: o.expectContinueTimeout,
        parser: { maxHeaderSize: o.maxHeaderSize, maxHeaderCount: o.maxHeaderCount },
      },
      connectTimeout: o.connectTimeout,
      limits: {
        maxConnectionsPerOrigin: o.maxConnectionsPerOrigin,
        maxConnections: o.maxConnections,
        pipelining: o.pipelining,
      },
    }, this.#stats);
  }

  /** Live counters and pool occupancy. */
  get stats(): ClientStats {
    return { ...this.#stats, ...this.#pool.occupancy };
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
    return this.#pool.connections();
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
    if (this.#pool.closed) throw new ClientError("client-closed", "the client is closed");
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
    if (this.#pool.closed) throw new ClientError("client-closed", "the client is closed");
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
    this.#pool.close(new ClientError("client-closed", "the client is closed"));
    return Promise.resolve();
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
      const connection = await this.#pool.acquire(route, pipelinable, retried, signal);
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
        if (!retried && stale && retryable && !this.#pool.closed) {
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
