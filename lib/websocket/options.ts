/**
 * What a {@linkcode KeepwireWebSocket} is given: its options, and the two
 * byte streams of the upgraded connection it runs over.
 *
 * @module
 */

import type { PerMessageDeflateParams } from "../codec/websocket/extensions.ts";

/**
 * The two byte streams of an upgraded connection: what the peer sends
 * (starting with any bytes already read past the handshake) and where this
 * end's bytes go.
 *
 * @example
 * ```ts
 * import type { ByteDuplex } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
 * const loopback: ByteDuplex = { readable, writable };
 * assert.ok(loopback.readable instanceof ReadableStream);
 * ```
 */
export interface ByteDuplex {
  /** The peer's bytes. Ending it is the peer closing the connection. */
  readonly readable: ReadableStream<Uint8Array>;
  /** This end's bytes. Closing it closes (or half-closes) the connection. */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * Options of {@linkcode KeepwireWebSocket}.
 *
 * @example
 * ```ts
 * import { KeepwireWebSocket, type KeepwireWebSocketOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: KeepwireWebSocketOptions = { protocol: "chat", maxMessageSize: 1 << 20 };
 * assert.equal(new KeepwireWebSocket(options).protocol, "chat");
 * ```
 */
export interface KeepwireWebSocketOptions {
  /** `"server"` (default) reads masked frames and sends unmasked ones; `"client"` the reverse. */
  role?: "server" | "client";
  /** The URL reported by `url`; default `""`. */
  url?: string;
  /** The subprotocol the handshake chose, reported by `protocol`; default `""`. */
  protocol?: string;
  /** The permessage-deflate parameters the handshake agreed on, or null (default) for none. */
  deflate?: PerMessageDeflateParams | null;
  /**
   * Largest message accepted, in bytes (after inflating); a larger one
   * fails the connection with 1009. Default {@linkcode DEFAULT_MAX_MESSAGE_SIZE} (64 MiB).
   */
  maxMessageSize?: number;
  /**
   * When nothing arrives for this many milliseconds, send a Ping; when
   * nothing arrives for as long again, the peer is gone and the connection
   * is closed (1006). Keeps proxies from cutting quiet sockets. Default 0: off.
   */
  idlePingInterval?: number;
  /**
   * How long to wait for the peer's Close after sending ours before
   * dropping the connection, in milliseconds. Default 5000.
   */
  closeTimeout?: number;
}
