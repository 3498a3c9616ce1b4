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
 * This file is the Fetch face (options, redirects, `Response`); one
 * exchange without Fetch objects — the wire request, the retry, the body
 * decoding — is `_exchanger.ts`, and the pool's work on live connections is
 * `_live_pool.ts`.
 *
 * @module
 */

import type { ResponseHead } from "../codec/response_events.ts";
import { ClientError } from "./errors.ts";
import type { ExchangeResult } from "./_exchange.ts";
import { discard, Exchanger } from "./_exchanger.ts";
import { firstFieldValue } from "../codec/field_list.ts";
import { LivePool } from "./_live_pool.ts";
import { type PreparedRequest, prepareRequest, redirectRequest } from "./_prepare.ts";
import { type ProxySetting, readProxyOption } from "./_route.ts";
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
  #pool: LivePool;
  #exchanger: Exchanger;
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
    const decoding = new ResponseDecoding(decodingOptions(options));
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
    this.#exchanger = new Exchanger(this.#pool, decoding, {
      tls: { ca: options.ca, rejectUnauthorized: options.rejectUnauthorized },
      socketPath: this.#socketPath,
      proxy: this.#proxy,
      retryNonIdempotent: o.retryNonIdempotent,
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
      const { result, reused, retried, connectionId } = await this.#exchanger.exchange(
        prepared,
        host,
        init.expectContinue === true,
        allowReplay,
        proxy,
      );
      const location = firstFieldValue(result.head.headers, "location");
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
      const response = createResponse(
        this.#exchanger.decoded(result),
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
  [exchangeWithoutFetch](
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
  ): Promise<ExchangeResult> {
    return this.#exchanger.withoutFetch(prepared, host, expectContinue);
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
}

export { ClientError, type ResponseHead };
