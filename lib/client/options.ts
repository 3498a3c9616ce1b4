/**
 * The types of the client's public surface: options, per-request extras,
 * response info and stats.
 *
 * @module
 */

import type { ConnectFunction } from "../transport.ts";

/**
 * A decoder for one content coding: a byte transform, as a
 * `DecompressionStream` is.
 *
 * @example
 * ```ts
 * import type { ContentDecoder } from "@keepwire/keepwire";
 *
 * const gunzip: ContentDecoder = new DecompressionStream("gzip") as ContentDecoder;
 * ```
 */
export interface ContentDecoder {
  /** Where the coded bytes go. */
  readonly writable: WritableStream<Uint8Array>;
  /** Where the decoded bytes come out. */
  readonly readable: ReadableStream<Uint8Array>;
}

/**
 * Makes a fresh {@linkcode ContentDecoder} for one response body; the
 * values of {@linkcode ClientOptions.contentDecoders}.
 *
 * @example A client that also decodes zstd where the runtime's DecompressionStream can
 * ```ts
 * import { createClient, type ContentDecoder, type ContentDecoderFactory } from "@keepwire/keepwire";
 *
 * const zstd: ContentDecoderFactory = () =>
 *   new DecompressionStream("zstd" as CompressionFormat) as ContentDecoder;
 * const client = createClient({ contentDecoders: { zstd } });
 * await client.close();
 * ```
 */
export type ContentDecoderFactory = () => ContentDecoder;

/**
 * Limits and timeouts of {@linkcode createClient}; every field is optional.
 *
 * @example Browser-era politeness: two connections per server
 * ```ts
 * import { createClient, type ClientOptions } from "@keepwire/keepwire";
 *
 * const options: ClientOptions = { maxConnectionsPerOrigin: 2, idleTimeout: 10_000 };
 * const client = createClient(options);
 * await client.close();
 * ```
 */
export interface ClientOptions {
  /** Most connections to one origin (default 6, as browsers; RFC 2616 said 2). */
  maxConnectionsPerOrigin?: number;
  /** Most connections across all origins (default 256); the longest-idle of another origin is closed to make room. */
  maxConnections?: number;
  /** Most requests in flight per connection; 1 (default) turns pipelining off. Only idempotent requests without a body are pipelined. */
  pipelining?: number;
  /** How long an idle connection is kept, in ms (default 4000); lowered by the server's `Keep-Alive: timeout`. */
  idleTimeout?: number;
  /** How much earlier than the server's advertised timeout an idle connection is dropped, in ms (default 1000, at most half the hint). */
  keepAliveSafetyMargin?: number;
  /**
   * `"sets"`: a server's `Keep-Alive: timeout` hint (minus the safety
   * margin) is the idle lifetime even when longer than `idleTimeout`, which
   * then applies only to servers that send no hint (what a reverse proxy
   * wants). Default `"lowers"`: the hint only shortens `idleTimeout`.
   */
  keepAliveHint?: "lowers" | "sets";
  /** Longest wait for a TCP connection, in ms (default 10000). */
  connectTimeout?: number;
  /** Longest wait from writing a request to its response head, in ms (default 30000; 0 disables). */
  headersTimeout?: number;
  /** Longest silence between body chunks, in ms (default 30000; 0 disables). */
  bodyTimeout?: number;
  /** With `expectContinue`, how long to wait for `100 Continue` before sending the body anyway, in ms (default 1000). */
  expectContinueTimeout?: number;
  /** Largest response header section, in bytes (default 16384). */
  maxHeaderSize?: number;
  /** Most response header fields (default 100). */
  maxHeaderCount?: number;
  /** Most redirects followed (default 20, as Fetch). */
  maxRedirects?: number;
  /**
   * Also retry non-idempotent requests (POST, PATCH) with a replayable body
   * (bytes, not a stream) after a stale connection failed before any
   * response byte (default false: the server may have acted on it).
   */
  retryNonIdempotent?: boolean;
  /**
   * Extra trusted root certificates for `https:` (PEM): a private CA. The
   * system's roots stay trusted. The name checked (and sent as SNI) is the
   * URL's host.
   */
  ca?: string | readonly string[];
  /**
   * `false` accepts any server certificate on `https:`. For tests only;
   * default true. A refused certificate fails with
   * `ClientError("certificate-error")`, never retried.
   */
  rejectUnauthorized?: boolean;
  /**
   * Send every request over this Unix domain socket instead of TCP; the URL
   * still gives the `Host` field and the path (as `curl --unix-socket`).
   */
  socketPath?: string;
  /**
   * Send requests through a forward proxy (`http:` proxies only):
   * - a URL such as `"http://proxy.example:3128"` (credentials in it,
   *   `http://user:password@…`, become `Proxy-Authorization: Basic`): `http:`
   *   requests go to the proxy in absolute-form (RFC 9112 §3.2.2) on
   *   keep-alive connections to the proxy shared by every `http:` origin;
   *   `https:` requests open a `CONNECT` tunnel (RFC 9110 §9.3.6) per origin
   *   with TLS inside it, checked (SNI, `ca`, `rejectUnauthorized`) against
   *   the URL's host as a direct connection would be;
   * - `"env"`: the proxy the environment names for each request's URL, as
   *   undici's `EnvHttpProxyAgent` and Node 24's `NODE_USE_ENV_PROXY`:
   *   `http_proxy` / `HTTP_PROXY` for `http:`, `https_proxy` / `HTTPS_PROXY`
   *   (else the HTTP one) for `https:`, none for hosts `no_proxy` / `NO_PROXY`
   *   names (`*`, host names covering their subdomains, `.suffix`, `host:port`,
   *   IP addresses). Read once, when the client is created; on Deno it needs
   *   `--allow-env` for those six names, and fails with a `TypeError` saying so
   *   without it;
   * - `false` or absent (default): no proxy; the environment is never read.
   *
   * A proxy that refuses `CONNECT` fails the request with
   * `ClientError("proxy-refused")`; a `407` (to `CONNECT` or to a request it
   * forwards) with `ClientError("proxy-auth-required")`; neither is retried.
   * Connections are never shared between proxies, proxy credentials, or
   * proxied and direct requests. Cannot be combined with `socketPath`.
   */
  proxy?: string | URL | false;
  /**
   * Undo the response's content codings as `fetch` does (default true):
   * `gzip`/`x-gzip`, `deflate` (zlib or raw) and `br` where the runtime can,
   * several in one `Content-Encoding` last first; a body under a coding the
   * client does not know is left as it came. An `Accept-Encoding` listing
   * what this runtime can decode is sent unless the request has one
   * (`identity` with a `Range`). The response's `Content-Encoding` and
   * `Content-Length` stay the server's, as in every runtime's fetch. `false`
   * sends no `Accept-Encoding` of its own and passes bodies and headers
   * through untouched (what a proxy wants).
   */
  decompress?: boolean;
  /**
   * Most bytes of one response body the caller may read — counted after
   * decompression (default: no limit, as fetch). Beyond it the body fails
   * with `ClientError("response-too-large")` and the rest is not read (the
   * connection closes unless the body had arrived whole); a body known by
   * its `Content-Length` to be too large fails `fetch()` itself.
   */
  maxResponseBodySize?: number;
  /**
   * Content decoders by lowercase coding name; each call returns a fresh
   * byte transform, and every coding named is offered in `Accept-Encoding`.
   * `createClient()` (and each runtime's) passes `gzip`, `deflate` and `br`
   * over `node:zlib`, which behave alike on Deno, Bun and Node; yours are
   * added to those and win. Codings no decoder is given for fall back to the
   * runtime's `DecompressionStream` where it has the format.
   */
  contentDecoders?: Readonly<Record<string, ContentDecoderFactory>>;
  /**
   * Build a response whose body arrived whole as a light `Response` that
   * reads its bytes directly (it still passes `instanceof Response`).
   * Default: on where the native `Response` is slow to build (Node).
   */
  lightFetchObjects?: boolean;
  /**
   * The socket binding. `createClient()` and the runtime entry points pass
   * the runtime's own; required with `new KeepAliveClient()`.
   */
  connect?: ConnectFunction;
}

/**
 * `RequestInit` plus keepwire's per-request options.
 *
 * @example
 * ```ts
 * import type { ClientRequestInit } from "@keepwire/keepwire";
 *
 * const init: ClientRequestInit = { method: "PUT", body: "data", expectContinue: true };
 * ```
 */
export interface ClientRequestInit extends RequestInit {
  /** Send `Expect: 100-continue` and hold the body until the server agrees (or the timeout). */
  expectContinue?: boolean;
  /** Overrides {@linkcode ClientOptions.retryNonIdempotent} for this request. */
  retryNonIdempotent?: boolean;
  /**
   * The `Host` field to send instead of the URL's authority, for a gateway
   * that keeps the inbound `Host` (RFC 9110 §7.2, §7.6). Connections still go
   * to the URL's host; a redirect to another origin sends that origin's.
   */
  host?: string;
  /**
   * This request's proxy, instead of {@linkcode ClientOptions.proxy}: a
   * proxy URL, `"env"` (the environment, read now), or `false` to go direct.
   * A redirect keeps it (with `"env"`, each hop's URL picks its proxy).
   */
  proxy?: string | URL | false;
}

/**
 * How a response was obtained; from `client.request()` or `responseInfo()`.
 *
 * @example
 * ```ts
 * import type { ResponseInfo } from "@keepwire/keepwire";
 *
 * const info: ResponseInfo = { reused: true, retried: false, connectionId: 1, redirects: 0 };
 * ```
 */
export interface ResponseInfo {
  /** The final request went out on a connection that had carried a request before. */
  readonly reused: boolean;
  /** The final request was sent a second time after a stale connection failed. */
  readonly retried: boolean;
  /** The client-local id of the connection that carried the final request. */
  readonly connectionId: number;
  /** How many redirects were followed. */
  readonly redirects: number;
}

/**
 * Live counters of a client.
 *
 * @example
 * ```ts
 * import { createClient } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const client = createClient();
 * assert.equal(client.stats.requests, 0);
 * await client.close();
 * ```
 */
export interface ClientStats {
  /** Connections opened so far. */
  readonly connectionsOpened: number;
  /** Connections closed so far (by either side). */
  readonly connectionsClosed: number;
  /** Requests written (retries included). */
  readonly requests: number;
  /** Requests written on a connection that had carried one before. */
  readonly reusedRequests: number;
  /** Requests that failed on a reused connection before any response byte. */
  readonly staleFailures: number;
  /** Requests sent again after such a failure. */
  readonly retries: number;
  /** Requests that failed for the caller. */
  readonly failures: number;
  /** Connections open or opening now. */
  readonly open: number;
  /** Idle connections now. */
  readonly idle: number;
  /** Requests waiting for a connection now. */
  readonly queued: number;
}

/**
 * One open connection of a client's pool, from `client.connections()`.
 * Times are milliseconds; `idleTimeLeft` is how long the pool will still
 * reuse an idle connection: the client's `idleTimeout`, lowered (or, with
 * `keepAliveHint: "sets"`, set) by the server's `Keep-Alive: timeout` hint
 * minus the safety margin.
 *
 * @example
 * ```ts
 * import type { PooledConnection } from "@keepwire/keepwire";
 *
 * const label = (c: PooledConnection) =>
 *   `#${c.id} ${c.state}, ${c.requests} requests` +
 *   (c.idleTimeLeft === null ? "" : `, ${Math.round(c.idleTimeLeft)} ms left`);
 * ```
 */
export interface PooledConnection {
  /** The client-local id (as `ResponseInfo.connectionId`). */
  readonly id: number;
  /** `scheme://host:port` of the server (through a forward proxy, the pool key that also names the proxy). */
  readonly origin: string;
  /** `busy` while a request is in flight on it, else `idle`. */
  readonly state: "idle" | "busy";
  /** Requests written on it so far. */
  readonly requests: number;
  /** Idle lifetime the last response allowed, in ms (from the hint minus the margin, and `idleTimeout`). */
  readonly idleLifetime: number;
  /** While idle, ms before the pool lets it go; `null` while busy. */
  readonly idleTimeLeft: number | null;
  /** The server's last `Keep-Alive: timeout` hint in ms, `null` when it sent none. */
  readonly serverTimeout: number | null;
  /** Requests the server will still take by its `max` hint; `null` when it did not say. */
  readonly remainingRequests: number | null;
}
