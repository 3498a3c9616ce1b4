/**
 * `upgradeWebSocket(request)`: a handler's way to accept a WebSocket on
 * keepwire's server, the shape of `Deno.upgradeWebSocket`. The handler
 * returns the `response`; the connection writes the `101` and attaches the
 * `socket` to its bytes (`lib/connection/upgrade.ts` is the seam).
 *
 * @module
 */

import { upgradeFactsOf, upgradeResponse } from "../connection/upgrade.ts";
import { negotiateWebSocket, type WebSocketNegotiationOptions } from "./negotiate.ts";
import { KeepwireWebSocket, type KeepwireWebSocketOptions } from "./websocket.ts";

/**
 * Options of {@linkcode upgradeWebSocket}: what the handshake accepts
 * (`protocol`, `compression`) and how the socket behaves.
 *
 * @example
 * ```ts
 * import type { UpgradeWebSocketOptions } from "@keepwire/keepwire";
 *
 * const options: UpgradeWebSocketOptions = { protocol: ["chat"], idlePingInterval: 30_000 };
 * ```
 */
export interface UpgradeWebSocketOptions
  extends
    WebSocketNegotiationOptions,
    Omit<KeepwireWebSocketOptions, "role" | "protocol" | "deflate"> {}

/**
 * The outcome of {@linkcode upgradeWebSocket}.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket, type WebSocketUpgrade } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const upgrade: WebSocketUpgrade = upgradeWebSocket(new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *   },
 * }));
 * assert.equal(upgrade.response.status, 101);
 * ```
 */
export interface WebSocketUpgrade {
  /** The socket; `CONNECTING` until the `101` is written, then `OPEN`. */
  readonly socket: KeepwireWebSocket;
  /** Return this from the handler: keepwire writes it as `101 Switching Protocols`. */
  readonly response: Response;
}

/** The close code a server going away sends (RFC 6455 §7.4.1). */
const GOING_AWAY = 1001;

/**
 * Accepts a WebSocket handshake (RFC 6455 §4.2.2) on keepwire's server, as
 * `Deno.upgradeWebSocket` does on `Deno.serve`: return `response` from the
 * handler, and use `socket` (a standard `WebSocket`-like object) from then
 * on. Like Deno's, it throws when the request is not a valid handshake: a
 * {@linkcode WebSocketHandshakeError} whose `status` and `headers` are the
 * answer to send — 400 for a malformed handshake, a method other than GET
 * or a request with content (RFC 6455 §4.1, §4.2.1); 426 with
 * `Sec-WebSocket-Version: 13` for another version, and with
 * `Upgrade: websocket` over HTTP/1.0 (RFC 9110 §7.8 ignores Upgrade
 * there). A handler may catch it; left uncaught, keepwire's server answers
 * it as it says (never a 500). keepwire's server ends HTTP on the
 * connection once the `101` is written; its `shutdown()` closes the socket
 * with 1001. (`Deno.upgradeWebSocket` cannot work on a keepwire request:
 * its 101 is answered with a 500 and a log line naming this function.)
 *
 * @example
 * ```ts
 * import { serve, upgradeWebSocket, WebSocketHandshakeError } from "@keepwire/keepwire";
 *
 * const server = await serve({ port: 0, onListen() {} }, (request) => {
 *   if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
 *     return new Response("a WebSocket endpoint");
 *   }
 *   try {
 *     const { socket, response } = upgradeWebSocket(request);
 *     socket.onmessage = (event) => socket.send(event.data);
 *     return response;
 *   } catch (error) {
 *     if (!(error instanceof WebSocketHandshakeError)) throw error;
 *     const headers = new Headers(error.headers.map(([name, value]) => [name, value]));
 *     return new Response(error.message, { status: error.status, headers });
 *   }
 * });
 * await server.shutdown();
 * ```
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeWebSocketOptions = {},
): WebSocketUpgrade {
  const facts = upgradeFactsOf(request);
  const { protocol, deflate, headers } = negotiateWebSocket({
    method: request.method,
    headers: request.headers,
    httpVersion: facts?.httpVersion,
    hasContent: facts?.hasContent,
  }, options);
  const socket = new KeepwireWebSocket({
    url: request.url,
    maxMessageSize: options.maxMessageSize,
    idlePingInterval: options.idlePingInterval,
    closeTimeout: options.closeTimeout,
    protocol,
    deflate,
  });
  const response = upgradeResponse({
    headers,
    accept: (duplex) => socket.attach(duplex),
    shutdown: () => socket.close(GOING_AWAY, "server shutting down"),
  });
  return { socket, response };
}
