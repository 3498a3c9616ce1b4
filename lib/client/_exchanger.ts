/**
 * One exchange over the pool without Fetch objects: the wire request from a
 * prepared one, a connection from the {@linkcode LivePool}, the
 * stale-connection retry, and the body as the client's decoding gives it.
 * `fetch()` builds redirects and a `Response` on top; keepwire's reverse
 * proxy calls it directly (`exchangeWithoutFetch` in client.ts), so a
 * response can be passed on without a `Response` and a stream in between.
 *
 * @module
 */

import { encodeRequestHead, type RequestFraming } from "../codec/request_writer.ts";
import { firstFieldValue } from "../codec/field_list.ts";
import { ClientError } from "./errors.ts";
import { Exchange, type ExchangeFailure, type ExchangeResult } from "./_exchange.ts";
import type { LivePool } from "./_live_pool.ts";
import type { PreparedRequest } from "./_prepare.ts";
import { isIdempotent } from "./reuse.ts";
import type { TlsConnectOptions } from "../transport.ts";
import {
  absoluteTarget,
  proxyAuthRequired,
  proxyFor,
  proxyHeaders,
  type ProxySetting,
  type Route,
  routeFor,
} from "./_route.ts";
import type { MutableStats } from "./_response.ts";
import type { ResponseDecoding } from "./_decode_body.ts";

// The framing of a request without a body: none at all, or an explicit
// zero for the methods whose servers expect content (RFC 9110 §8.6).
const NO_BODY: RequestFraming = { kind: "none" };
const NO_CONTENT: RequestFraming = { kind: "length", length: 0 };

/** A settled exchange and how it was obtained. */
export interface SettledExchange {
  /** The head and its body, as the wire gave it (not decoded). */
  readonly result: ExchangeResult;
  /** The connection had carried a request before. */
  readonly reused: boolean;
  /** The request was sent again after a stale connection failed it. */
  readonly retried: boolean;
  /** The id of the connection that carried it. */
  readonly connectionId: number;
}

/** The client's settings an exchange reads. */
export interface ExchangerSettings {
  /** TLS options for `https:` origins. */
  readonly tls: TlsConnectOptions;
  /** Connect to this Unix socket instead of the URL's host. */
  readonly socketPath: string | undefined;
  /** The client's proxy setting (a request may bring its own). */
  readonly proxy: ProxySetting;
  /** The client's `retryNonIdempotent` (a request may bring its own). */
  readonly retryNonIdempotent: boolean;
}

/** Runs exchanges over one client's pool, counting them in its stats. */
export class Exchanger {
  #pool: LivePool;
  #decoding: ResponseDecoding;
  #settings: ExchangerSettings;
  #stats: MutableStats;
  #lastUrl: URL | null = null;
  #lastHref = "";
  #lastProxy: ProxySetting = null;
  #lastRoute: Route | null = null;
  // `decoded`, bound once (not a closure per request).
  readonly #decodedResult = (result: ExchangeResult): ExchangeResult => this.decoded(result);

  constructor(
    pool: LivePool,
    decoding: ResponseDecoding,
    settings: ExchangerSettings,
    stats: MutableStats,
  ) {
    this.#pool = pool;
    this.#decoding = decoding;
    this.#settings = settings;
    this.#stats = stats;
  }

  /**
   * The exchange behind `exchangeWithoutFetch`: `prepared` is taken as it is
   * (headers already flat and end-to-end, no redirects) with the client's
   * own proxy and retry settings; the body comes back decoded as in
   * `fetch()` (a proxy's client passes bodies through: decompress false,
   * no limit). Not an async function: the promise is the exchange's own,
   * so a proxied request costs no extra microtask turns here.
   */
  withoutFetch(
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
  ): Promise<ExchangeResult> {
    if (this.#pool.closed) {
      return Promise.reject(new ClientError("client-closed", "the client is closed"));
    }
    if (prepared.signal?.aborted) return Promise.reject(prepared.signal.reason);
    return this.#exchange(
      prepared,
      host,
      expectContinue,
      this.#settings.retryNonIdempotent,
      this.#settings.proxy,
      this.#decodedResult,
    );
  }

  /**
   * `result` with its body as the caller reads it: decoded and limited by
   * the client's decoding (a failure counts in the stats).
   */
  decoded(result: ExchangeResult): ExchangeResult {
    try {
      const body = this.#decoding.body(result.head, result.body);
      return body === result.body ? result : { head: result.head, body };
    } catch (error) {
      this.#stats.failures++;
      throw error;
    }
  }

  /**
   * Sends `prepared` to `host` over the pool and settles with the response
   * head and its wire body. A request that fails on a reused connection
   * before any response byte is sent once more on a fresh connection when
   * it can be replayed (idempotent, or `allowReplay`, and its body is bytes).
   */
  exchange(
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
    allowReplay: boolean,
    proxySetting: ProxySetting,
  ): Promise<SettledExchange> {
    return this.#exchange(
      prepared,
      host,
      expectContinue,
      allowReplay,
      proxySetting,
      settledExchange,
    );
  }

  /**
   * `exchange()`, settling with what `settle` makes of the result, how it
   * was obtained, and the connection: `fetch()` wants all of it, the proxy
   * only the decoded result, each without another async step in between.
   */
  async #exchange<T>(
    prepared: PreparedRequest,
    host: string,
    expectContinue: boolean,
    allowReplay: boolean,
    proxySetting: ProxySetting,
    settle: (result: ExchangeResult, reused: boolean, retried: boolean, connectionId: number) => T,
  ): Promise<T> {
    const { url, method, body, signal } = prepared;
    const path = prepared.target ?? url.pathname + url.search;
    const route = this.#routeFor(url, proxySetting);
    const headers = proxyHeaders(prepared.headers, route);
    const replayable = body === null || body instanceof Uint8Array;
    const retryable = isIdempotent(method) ? replayable : replayable && allowReplay;
    const pipelinable = body === null && isIdempotent(method);
    const saysClose = /(^|,)\s*close\s*(,|$)/i.test(
      firstFieldValue(prepared.headers, "connection") ?? "",
    );
    // A stream goes chunked unless the caller declared its length (a
    // gateway forwarding a body that came with Content-Length keeps it).
    const streamLength = body instanceof ReadableStream
      ? declaredLength(prepared.headers)
      : undefined;
    const head = encodeRequestHead({
      method,
      // RFC 9112 §3.2.2: to a forward proxy, the absolute URI; Host is kept.
      target: route.absoluteForm ? absoluteTarget(url, path) : path,
      headers: this.#withHost(host, headers),
      framing: body === null
        ? (method === "POST" || method === "PUT" || method === "PATCH" ? NO_CONTENT : NO_BODY)
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
        onInterim: prepared.onInterim,
      });
      const acquired = this.#pool.acquire(route, pipelinable, retried, signal);
      // An idle connection comes at once: no microtask turn for it.
      const connection = acquired instanceof Promise ? await acquired : acquired;
      this.#stats.requests++;
      if (signal !== null) {
        // Until the body is complete an abort fails the exchange (and the
        // connection, which cannot be reused mid-response).
        exchange.watchAbort(signal, () => {
          if (!exchange.done) connection.close(signal.reason, exchange);
        });
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
        throw proxyAuthRequired(route.proxy!, `${method} ${absoluteTarget(url, path)}`);
      }
      return settle(result, exchange.reused, retried, connection.id);
    }
  }

  /**
   * The route of `url`: the last one again when `url` is the same object
   * with the same href and proxy setting (a reverse proxy passes its
   * upstream's base URL on every request), else worked out anew.
   */
  #routeFor(url: URL, proxySetting: ProxySetting): Route {
    const href = url.href;
    if (
      this.#lastRoute !== null && this.#lastUrl === url && this.#lastHref === href &&
      this.#lastProxy === proxySetting
    ) {
      return this.#lastRoute;
    }
    const { tls, socketPath } = this.#settings;
    const route = routeFor(url, proxyFor(url, proxySetting), tls, socketPath);
    this.#lastUrl = url;
    this.#lastHref = href;
    this.#lastProxy = proxySetting;
    this.#lastRoute = route;
    return route;
  }

  /**
   * The fields as written: `Host` first, then the caller's, then Fetch's
   * default `Accept-Encoding` (Fetch §4.6, HTTP-network-or-cache fetch):
   * none when the request has its own or the client decodes nothing (a
   * proxy's); `identity` with a `Range`, because a range of coded bytes
   * cannot be decoded on its own; else the codings this client can undo.
   */
  #withHost(host: string, headers: readonly string[]): string[] {
    const value = this.#decoding.acceptEncoding;
    if (value === null || firstFieldValue(headers, "accept-encoding") !== null) {
      return ["host", host, ...headers];
    }
    const coding = firstFieldValue(headers, "range") === null ? value : "identity";
    return ["host", host, ...headers, "accept-encoding", coding];
  }
}

function settledExchange(
  result: ExchangeResult,
  reused: boolean,
  retried: boolean,
  connectionId: number,
): SettledExchange {
  return { result, reused, retried, connectionId };
}

/** A `Content-Length` the caller set for a streamed body, if it is a valid one (RFC 9110 §8.6). */
function declaredLength(headers: readonly string[]): number | undefined {
  const value = firstFieldValue(headers, "content-length");
  if (value === null || !/^[0-9]{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** Cancels a body no one will read (a stream; bytes need nothing). */
export async function discard(body: ExchangeResult["body"]): Promise<void> {
  if (body instanceof ReadableStream) await body.cancel().catch(() => {});
}
