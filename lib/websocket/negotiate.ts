/**
 * The server's half of the opening handshake in one call: check the
 * request, choose subprotocol and compression, and list the fields of the
 * `101` answer. What an `upgradeWebSocket(request)` does before the
 * connection writes the `101` and hands the socket its bytes.
 *
 * @module
 */

import type { PerMessageDeflateParams } from "../codec/websocket/extensions.ts";
import { negotiatePerMessageDeflate } from "../codec/websocket/extensions.ts";
import {
  selectSubprotocol,
  type UpgradeRequestLike,
  upgradeResponseHeaders,
  validateUpgradeRequest,
} from "../codec/websocket/handshake.ts";

/**
 * What the server supports.
 *
 * @example
 * ```ts
 * import { negotiateWebSocket, type WebSocketNegotiationOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: WebSocketNegotiationOptions = { protocol: ["chat"], compression: false };
 * const request = new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": "chat",
 *   },
 * });
 * assert.equal(negotiateWebSocket(request, options).protocol, "chat");
 * ```
 */
export interface WebSocketNegotiationOptions {
  /**
   * The subprotocol(s) this server speaks; the client's first offer among
   * them is chosen. None offered or none matching: no subprotocol (RFC 6455
   * §4.2.2; the client decides whether to go on).
   */
  protocol?: string | readonly string[];
  /**
   * Accept permessage-deflate when offered (RFC 7692). Default true where
   * the runtime has `CompressionStream` (needed to compress what we send).
   */
  compression?: boolean;
}

/**
 * The outcome of {@linkcode negotiateWebSocket}.
 *
 * @example
 * ```ts
 * import { negotiateWebSocket, type WebSocketNegotiation } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const negotiation: WebSocketNegotiation = negotiateWebSocket(new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *   },
 * }));
 * assert.equal(negotiation.deflate, null);
 * ```
 */
export interface WebSocketNegotiation {
  /** The chosen subprotocol, or `""`. */
  readonly protocol: string;
  /** The agreed permessage-deflate parameters, or null. */
  readonly deflate: PerMessageDeflateParams | null;
  /** The fields of the `101 Switching Protocols` answer. */
  readonly headers: [string, string][];
}

/**
 * Checks a WebSocket upgrade request and decides the answer (RFC 6455
 * §4.2.2). Throws {@linkcode WebSocketHandshakeError} (400 or 426) when the
 * request is not a valid handshake. Pass `protocol` and `deflate` to
 * {@linkcode KeepwireWebSocket}, answer `101` with `headers`, then
 * `attach()` the connection.
 *
 * @example
 * ```ts
 * import { KeepwireWebSocket, negotiateWebSocket } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
 *   },
 * });
 * const { protocol, deflate, headers } = negotiateWebSocket(request, { compression: true });
 * const socket = new KeepwireWebSocket({ protocol, deflate });
 * assert.equal(socket.extensions, "permessage-deflate");
 * assert.deepEqual(headers[2], ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]);
 * ```
 */
export function negotiateWebSocket(
  request: UpgradeRequestLike,
  options: WebSocketNegotiationOptions = {},
): WebSocketNegotiation {
  const offer = validateUpgradeRequest(request);
  const protocol = options.protocol === undefined
    ? ""
    : selectSubprotocol(offer.protocols, options.protocol) ?? "";
  const compression = options.compression ?? typeof CompressionStream === "function";
  const deflate = compression ? negotiatePerMessageDeflate(offer.extensions) : null;
  return {
    protocol,
    deflate,
    headers: upgradeResponseHeaders({ key: offer.key, protocol, extensions: deflate?.response }),
  };
}
