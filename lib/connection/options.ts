/**
 * The public shape of a keepwire server: options with their defaults, the
 * handler signature, and what a running server exposes.
 *
 * @module
 */

import type { HttpVersion } from "../codec/events.ts";
import type { ConnectionEventListener, ServerLimits } from "./observer.ts";
import type { NetAddr, TlsCertificate } from "../transport.ts";

/**
 * Per-request facts handed to the handler next to the `Request`.
 *
 * Members added since the first four (`secure`, `writeEarlyHints`,
 * `writeInformational`, and any later ones) are optional in the type:
 * keepwire's server always sets them, and an `info` built by hand — in a
 * test, or by a middleware that calls a handler itself — still type-checks
 * without them. Call the methods as `info.writeEarlyHints?.(…)`.
 *
 * @example
 * ```ts
 * import type { ServeInfo } from "@keepwire/keepwire";
 *
 * function describe(info: ServeInfo): string {
 *   return `request ${info.connection.requestIndex} on connection ${info.connection.id} from ${info.remoteAddr.hostname}`;
 * }
 *
 * // An info built by hand needs only the first four members.
 * const handler = (_request: Request, info: ServeInfo) => new Response(describe(info));
 * await handler(new Request("http://localhost/"), {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
 *   httpVersion: "1.1",
 *   connection: { id: 1, requestIndex: 1 },
 *   completed: Promise.resolve(),
 * }).text();
 *
 * // Log once the response is fully on its way, or why it is not.
 * function logWhenSent(request: Request, info: ServeInfo): void {
 *   info.completed.then(
 *     () => console.log(`${request.method} ${request.url}: sent`),
 *     (error) => console.log(`${request.method} ${request.url}: not sent (${error})`),
 *   );
 * }
 * ```
 */
export interface ServeInfo {
  /** The peer's address. */
  readonly remoteAddr: NetAddr;
  /** The request's HTTP version. */
  readonly httpVersion: HttpVersion;
  /**
   * Whether the request came over TLS: true when the server's listener
   * serves HTTPS (`tls`), false on plain TCP or a plain Unix socket — as
   * node:http's `request.socket.encrypted`. It is the connection's fact,
   * never the client's word: a plain-HTTP client that writes an
   * absolute-form target `GET https://host/ HTTP/1.1` gets a `request.url`
   * beginning `https:` (RFC 9112 §3.2.2), and `info.secure` stays false.
   * An origin-form request's URL takes its scheme from this.
   *
   * Always set by keepwire's server; optional in the type so that an
   * `info` built by hand (a test, a middleware calling a handler) without
   * it still type-checks: read `undefined` as "not known to be secure".
   *
   * @example Tell the upstream how the client reached this server
   * ```ts
   * import { serve } from "@keepwire/keepwire";
   *
   * const server = await serve({ port: 0, onListen() {} }, (_request, info) =>
   *   new Response(null, {
   *     headers: { "x-forwarded-proto": info.secure === true ? "https" : "http" },
   *   }));
   * await server.shutdown();
   * ```
   */
  readonly secure?: boolean;
  /** The connection this request arrived on. */
  readonly connection: {
    /** Stable id of the connection, unique within the server (1, 2, …). */
    readonly id: number;
    /** 1-based index of this request on its connection. */
    readonly requestIndex: number;
  };
  /**
   * Resolves when the response's last byte has been handed to the socket;
   * rejects (with the reason `request.signal` aborted with) when it could
   * not be: the client left, the connection failed, or the body stream
   * failed. An unobserved rejection is harmless.
   */
  readonly completed: Promise<void>;
  /**
   * Sends a `103 Early Hints` interim response (RFC 8297) ahead of the final
   * one, as node:http's `response.writeEarlyHints(hints)` does: typically
   * `Link` fields the client can preload while the handler still works.
   * The same as `writeInformational(103, hints)`, with its rules.
   *
   * @param hints the fields of the `103`
   * @returns true when the `103` goes out before the final response; false
   *   when it cannot (see {@linkcode ServeInfo.writeInformational})
   *
   * @example Preload a stylesheet while the page is built
   * ```ts
   * import { serve } from "@keepwire/keepwire";
   *
   * const server = await serve({ port: 0, onListen() {} }, async (_request, info) => {
   *   info.writeEarlyHints?.({ link: "</style.css>; rel=preload; as=style" });
   *   const page = await Promise.resolve("<link rel=stylesheet href=/style.css>");
   *   return new Response(page, { headers: { "content-type": "text/html" } });
   * });
   * await server.shutdown();
   * ```
   */
  writeEarlyHints?(hints: InformationalFields): boolean;
  /**
   * Sends an interim (1xx) response ahead of the final one (RFC 9110
   * §15.2): `102`, `103 Early Hints`, or any other 1xx but `101` (which
   * only an upgrade sends). `100` is `100 Continue` (node:http's
   * `writeContinue()`), sent at most once: a `100` that keepwire's server
   * already sent for `Expect: 100-continue` is not sent again, and one sent
   * here is not sent again when the handler reads the body.
   *
   * It is written at once when this request's response is the next to go
   * out; behind a pipelined request still being answered, it waits for its
   * turn (still ahead of its final response). Nothing is sent, and the
   * result is false, to an HTTP/1.0 client (RFC 9110 §15.2: a server MUST
   * NOT send it a 1xx), once the handler has given its final response, or
   * when the connection is closing.
   *
   * Throws `RangeError` for a status that is not 100..199 or is 101, and
   * `TypeError` for a field name or value that cannot be written.
   * `Content-Length` and `Transfer-Encoding` are left out, as from every
   * response head keepwire writes (a 1xx never has content: RFC 9110 §8.6,
   * RFC 9112 §6.1).
   *
   * @param status the 1xx status code
   * @param fields its header fields (none by default)
   * @returns true when the response goes out before the final one, else false
   *
   * @example A 102 while a slow job runs, then the answer
   * ```ts
   * import { serve } from "@keepwire/keepwire";
   * import assert from "node:assert/strict";
   *
   * const server = await serve({ port: 0, onListen() {} }, async (_request, info) => {
   *   assert.equal(info.writeInformational?.(102), info.httpVersion === "1.1");
   *   await new Promise((done) => setTimeout(done, 10));
   *   return new Response("done");
   * });
   * await server.shutdown();
   * ```
   */
  writeInformational?(status: number, fields?: InformationalFields): boolean;
}

/**
 * The header fields of an interim response: a `Headers`, `[name, value]`
 * pairs, or a record whose values may be lists (one field line each), as
 * node:http's `writeEarlyHints` takes.
 *
 * @example
 * ```ts
 * import type { InformationalFields } from "@keepwire/keepwire";
 *
 * const hints: InformationalFields = {
 *   link: ["</app.js>; rel=preload; as=script", "</app.css>; rel=preload; as=style"],
 * };
 * ```
 */
export type InformationalFields =
  | Headers
  | readonly (readonly [string, string])[]
  | Readonly<Record<string, string | readonly string[]>>;

/**
 * A Fetch handler: the request and facts about its connection in, a response out.
 *
 * @example
 * ```ts
 * import type { Handler } from "@keepwire/keepwire";
 *
 * const hello: Handler = () => new Response("Hello, World!");
 * ```
 */
export type Handler = (request: Request, info: ServeInfo) => Response | Promise<Response>;

/**
 * Options of {@linkcode serve}. Durations are in milliseconds, sizes in bytes.
 *
 * `serve()` checks them when it is called, in plain JavaScript as in
 * TypeScript: an unknown name, a wrong type or an out-of-range value is a
 * `TypeError` naming the option, and an option of `Deno.serve`, `Bun.serve`
 * or `node:http` that keepwire names differently (or does not support yet)
 * says so. `undefined` means the default. Each field has its rule in
 * `option_rules.ts`.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "@keepwire/keepwire";
 *
 * const options: ServeOptions = { port: 0, hostname: "127.0.0.1", keepAliveTimeout: 10_000, maxRequestsPerConnection: 100 };
 * ```
 */
export interface ServeOptions {
  /** The request handler, when it is not passed as `serve()`'s own argument (as Deno's `serve` allows). */
  handler?: Handler;
  /** Port to listen on; 0 picks a free port. Default 8080. */
  port?: number;
  /** Address to bind. Default `"0.0.0.0"`. */
  hostname?: string;
  /**
   * Listen on this Unix domain socket file instead of TCP (`port` and
   * `hostname` are then unused). A socket file left by a dead server is
   * replaced; one that something listens on is an error. The file is
   * removed on shutdown; `server.addr` is `{ transport: "unix", path }`.
   * With `tls`, TLS is spoken over the socket (Node, Bun); Deno, whose TLS
   * listener binds TCP only, refuses the pair with a `TypeError`.
   */
  path?: string;
  /**
   * Serve HTTPS with this PEM certificate and key. ALPN offers `http/1.1`
   * only; a handshake not done within `headersTimeout` is cut; a failed one
   * is counted in `stats.failedHandshakes` and logged once, never thrown.
   */
  tls?: TlsCertificate;
  /** Idle time a persistent connection is kept open after a response. Default 5000 ms. */
  keepAliveTimeout?: number;
  /** Requests one connection may carry; the last response says `Connection: close`. Default 1000. */
  maxRequestsPerConnection?: number;
  /** Time allowed from the first byte of a request to the end of its header section (408 after). Default 20000 ms. */
  headersTimeout?: number;
  /** Longest pause allowed between two pieces of a request body before the connection is cut. Default 30000 ms. */
  requestBodyTimeout?: number;
  /**
   * Time allowed from the first byte of a request to the end of its body, as
   * node:http's `requestTimeout`: `408` after (or a close, when a response
   * already went out). Bounds an upload that trickles in just under
   * `requestBodyTimeout` forever. `0` turns it off. Default 300000 ms (5 min, as Node).
   */
  requestTimeout?: number;
  /** Longest time written response bytes may wait for the client to read them before the connection is closed. Default 60000 ms, as nginx's `send_timeout`. */
  sendTimeout?: number;
  /** Connections open at once; idle ones are closed oldest-first to make room before new ones are refused. Default 10000. */
  maxConnections?: number;
  /** Largest request body accepted (413 above). Default 128 MiB. */
  maxBodySize?: number;
  /** Largest request-line (414 above). Default 8192 bytes. */
  maxRequestLineSize?: number;
  /** Largest header section (431 above). Default 16384 bytes. */
  maxHeaderSize?: number;
  /** Most header fields in one request (431 above). Default 100. */
  maxHeaderCount?: number;
  /** Send `Keep-Alive: timeout=T, max=M` on persisting responses. Default true. */
  keepAliveHint?: boolean;
  /** Send `100 Continue` as soon as a request expecting it arrives, instead of when the handler first reads the body. Default false. */
  eagerContinue?: boolean;
  /**
   * Replace `globalThis.Response` (and `Request` and `fetch`, so they accept
   * them) with light versions that build the real Fetch object only when a
   * handler needs more than its constructor arguments, and hand handlers
   * light requests. Where the native `new Response` costs ~17 µs, this more
   * than doubles the requests per second of a small handler. Both classes
   * pass `instanceof`; a light `Response` with a string or byte body may be
   * sent more than once. Native APIs that take a `Response` by identity
   * refuse a light one. Default: chosen by the entry point — on only for the
   * runtime whose Fetch objects are slow (README, "Performance"); off in
   * `serveWith()`, which needs `installLightFetchGlobals()` called first.
   * Set false to keep the globals untouched.
   */
  lightFetchObjects?: boolean;
  /** Bind with SO_REUSEPORT where the runtime's socket API offers it (on Linux). Default false. */
  reusePort?: boolean;
  /** How long `shutdown()` waits for in-flight requests before closing connections by force. Default 10000 ms. */
  shutdownTimeout?: number;
  /** Called once the server listens. */
  onListen?: (addr: NetAddr) => void;
  /** Turns a handler error into a response. Default: a plain 500. */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Aborting it shuts the server down gracefully. */
  signal?: AbortSignal;
}

/**
 * Live counters of a server.
 *
 * @example
 * ```ts
 * import type { ServerStats } from "@keepwire/keepwire";
 *
 * function reuseRatio(stats: ServerStats): number {
 *   return stats.totalRequests === 0 ? 0 : stats.reusedRequests / stats.totalRequests;
 * }
 * ```
 */
export interface ServerStats {
  /** Connections open now. */
  readonly openConnections: number;
  /** Open connections waiting for their next request. */
  readonly idleConnections: number;
  /** Open connections handed to another protocol (a WebSocket) by an upgrade. */
  readonly upgradedConnections: number;
  /** Connections accepted since start. */
  readonly totalConnections: number;
  /** Requests whose head was parsed since start. */
  readonly totalRequests: number;
  /** Requests that arrived on a connection that had already carried one (keep-alive at work). */
  readonly reusedRequests: number;
  /** TLS servers only: handshakes that failed or timed out (never counted as connections). */
  readonly failedHandshakes?: number;
}

/**
 * One open connection, as the live page shows it.
 *
 * @example
 * ```ts
 * import type { ConnectionSnapshot } from "@keepwire/keepwire";
 *
 * const line = (c: ConnectionSnapshot) => `#${c.id} ${c.state} ${c.requests} requests`;
 * ```
 */
export interface ConnectionSnapshot {
  /** The connection id (as in {@linkcode ServeInfo}). */
  readonly id: number;
  /** The peer's address. */
  readonly remoteAddr: NetAddr;
  /** `idle` between requests, `busy` while a request is read or answered, `closing` once it will not take more, `upgraded` once handed to another protocol. */
  readonly state: "idle" | "busy" | "closing" | "upgraded";
  /** Requests carried so far. */
  readonly requests: number;
  /** When the connection was accepted (ms since the epoch). */
  readonly openedAt: number;
  /** Milliseconds until the idle timeout closes it, when idle; else null. */
  readonly idleTimeLeft: number | null;
}

/**
 * A running server, returned by {@linkcode serve}.
 *
 * @example
 * ```ts
 * import { serve } from "@keepwire/keepwire";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * console.log(server.addr.port, server.stats.openConnections);
 * await server.shutdown();
 * ```
 */
export interface Server {
  /** The bound address. */
  readonly addr: NetAddr;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /** Live counters. */
  readonly stats: ServerStats;
  /** A snapshot of every open connection. */
  connections(): ConnectionSnapshot[];
  /** The timeouts and the request cap in force, resolved from the options. */
  readonly limits: ServerLimits;
  /**
   * Calls `listener` for every open, request, response, idle turn and close
   * of every connection from now on; returns the function that stops it.
   * Listeners run synchronously on the connection's path: keep them quick.
   */
  observeConnections(listener: ConnectionEventListener): () => void;
  /**
   * Graceful shutdown: stop accepting, close idle connections at once, let
   * in-flight requests finish with `Connection: close`, force the rest after
   * `shutdownTimeout`. Resolves like `finished`.
   */
  shutdown(): Promise<void>;
}
