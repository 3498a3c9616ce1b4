/**
 * keepwire: HTTP/1.x persistent connections done right, on Deno, Bun and Node.
 *
 * The server speaks the keep-alive rules of RFC 9112 §9 (HTTP/1.0 opt-in,
 * HTTP/1.1 by default, `Connection: close`, `Keep-Alive: timeout, max`, idle
 * timeouts, ordered pipelining, graceful close) on top of a sans-IO codec
 * that you can also use on its own.
 *
 * @example A keep-alive server
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 5_000 }, (request, info) =>
 *   new Response(`request ${info.connection.requestIndex} on connection ${info.connection.id}\n`),
 * );
 * console.log(`listening on http://localhost:${server.addr.port}/`);
 * ```
 *
 * @module
 */
export * from "./lib/codec/errors.ts";
export type * from "./lib/codec/events.ts";
export * from "./lib/codec/response_writer.ts";
export * from "./lib/codec/chunks.ts";
export * from "./lib/codec/rules.ts";
export * from "./lib/connection/keep_alive.ts";
export type * from "./lib/connection/options.ts";
export type * from "./lib/transport.ts";
export { CertificateError } from "./lib/transport.ts";
export * from "./lib/connection/observer.ts";
export * from "./lib/codec/limits.ts";
export { serve } from "./lib/serve.ts";
export type { ServeFunction } from "./lib/entry.ts";
export {
  DEFAULT_HEADERS_TIMEOUT,
  DEFAULT_KEEP_ALIVE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_REQUESTS_PER_CONNECTION,
  DEFAULT_REQUEST_BODY_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_SHUTDOWN_TIMEOUT,
} from "./lib/connection/server_settings.ts";
export { serveWith } from "./lib/connection/server.ts";
export {
  connectForRuntime,
  detectRuntime,
  listenForRuntime,
  type RuntimeName,
} from "./lib/runtime/detect.ts";
export { installLightFetchGlobals } from "./lib/fetch/light_fetch.ts";
export { RequestParser } from "./lib/codec/request_parser.ts";
export * from "./lib/codec/body.ts";
export * from "./lib/codec/streams.ts";
export { createEchoHandler } from "./lib/handlers/echo.ts";
export {
  type BalanceStrategy,
  createProxyHandler,
  type ForwardedStyle,
  type ProxyHandler,
  type ProxyOptions,
  type UpstreamSnapshot,
} from "./lib/handlers/proxy.ts";
export { createFileHandler, type FileHandlerOptions } from "./lib/handlers/files.ts";
export {
  createLiveHandler,
  LIVE_PREFIX,
  type LiveHandlerOptions,
  type LiveSnapshot,
} from "./lib/handlers/live.ts";
export type { LiveServerView, ServerView, ServerViewGetter } from "./lib/handlers/server_view.ts";
export type { ClosedConnection } from "./lib/handlers/connection_history.ts";
export * from "./lib/codec/response_parser.ts";
export * from "./lib/codec/request_writer.ts";
export { createClient } from "./lib/client.ts";
export { KeepAliveClient } from "./lib/client/client.ts";
export type * from "./lib/client/options.ts";
export { ClientError, type ClientErrorCode } from "./lib/client/errors.ts";
export {
  NoProxyList,
  parseProxyUrl,
  PROXY_ENV_NAMES,
  type ProxyEndpoint,
  type ProxyEnvironment,
  proxyEnvironment,
  proxyForUrl,
} from "./lib/client/proxy.ts";
export { responseInfo } from "./lib/client/_response.ts";
export {
  decideReuse,
  isIdempotent,
  parseKeepAliveHint,
  type ReuseDecision,
  type ReusePolicy,
  type ServerKeepAliveHint,
} from "./lib/client/reuse.ts";
export * from "./lib/codec/upgrade_refused.ts";
export * from "./lib/codec/websocket/errors.ts";
export * from "./lib/codec/websocket/limits.ts";
export * from "./lib/codec/websocket/utf8.ts";
export * from "./lib/codec/websocket/close.ts";
export * from "./lib/codec/websocket/frame_events.ts";
export * from "./lib/codec/websocket/frame_reader.ts";
export * from "./lib/codec/websocket/frame_writer.ts";
export * from "./lib/codec/websocket/message_reader.ts";
export * from "./lib/codec/websocket/close_handshake.ts";
export * from "./lib/codec/websocket/handshake.ts";
export * from "./lib/codec/websocket/extensions.ts";
export * from "./lib/websocket/events.ts";
export * from "./lib/websocket/websocket.ts";
export * from "./lib/websocket/negotiate.ts";
export * from "./lib/websocket/upgrade.ts";
export * from "./lib/connection/upgrade_connection.ts";
