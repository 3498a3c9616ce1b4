/**
 * The errors of the WebSocket codec. A frame that breaks RFC 6455 is a
 * {@linkcode WebSocketError} carrying the close code to fail the connection
 * with (§7.1.7); a handshake that cannot be accepted is a
 * {@linkcode WebSocketHandshakeError} carrying the HTTP status to answer.
 *
 * @module
 */

import { UpgradeRefusedError, type UpgradeRefusedStatus } from "../upgrade_refused.ts";

/**
 * Close codes the codec fails a connection with (RFC 6455 §7.4.1):
 * 1002 protocol error, 1007 invalid payload data (text that is not UTF-8),
 * 1009 message too big.
 *
 * @example
 * ```ts
 * import { type WebSocketErrorCloseCode, WebSocketError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const code: WebSocketErrorCloseCode = 1009;
 * assert.equal(new WebSocketError(code, "message-too-big", "too big").closeCode, 1009);
 * ```
 */
export type WebSocketErrorCloseCode = 1002 | 1007 | 1009;

/**
 * A peer sent frames that break RFC 6455 or exceed a limit.
 *
 * `closeCode` is the status code of the Close frame to fail the connection
 * with; `code` is a stable, machine-readable name of the broken rule (for
 * logs and tests), e.g. `"unmasked-frame"`.
 *
 * @example
 * ```ts
 * import { FrameReader, WebSocketError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * // A server refuses a frame a client did not mask (RFC 6455 §5.1).
 * const reader = new FrameReader({ role: "server" });
 * reader.push(new Uint8Array([0x81, 0x01, 0x61]));
 * assert.throws(() => reader.next(), (error: unknown) =>
 *   error instanceof WebSocketError && error.closeCode === 1002 && error.code === "unmasked-frame");
 * ```
 */
export class WebSocketError extends Error {
  /** The close code to send when failing the connection. */
  readonly closeCode: WebSocketErrorCloseCode;
  /** A stable name for the rule that was broken. */
  readonly code: string;

  /**
   * Creates the error for one broken rule.
   *
   * @param closeCode the close code to fail the connection with
   * @param code a stable kebab-case name of the broken rule
   * @param message a human-readable explanation
   */
  constructor(closeCode: WebSocketErrorCloseCode, code: string, message: string) {
    super(message);
    this.name = "WebSocketError";
    this.closeCode = closeCode;
    this.code = code;
  }
}

/**
 * Statuses a refused opening handshake answers with (RFC 6455 §4.2.1,
 * §4.2.2): 400 a malformed handshake, 426 an unsupported
 * `Sec-WebSocket-Version` (answered with `Sec-WebSocket-Version: 13`) or
 * an HTTP/1.0 request (answered with `Upgrade: websocket`).
 *
 * @example
 * ```ts
 * import type { WebSocketHandshakeStatus } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const status: WebSocketHandshakeStatus = 426;
 * assert.equal(status, 426);
 * ```
 */
export type WebSocketHandshakeStatus = UpgradeRefusedStatus;

/**
 * An upgrade request that cannot be accepted as a WebSocket handshake.
 * Answer with `status` and the fields in `headers` (keepwire's server does
 * so itself when a handler lets it propagate). An
 * {@linkcode UpgradeRefusedError}, so one `catch` serves every upgrade.
 *
 * @example
 * ```ts
 * import { validateUpgradeRequest, WebSocketHandshakeError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({
 *   upgrade: "websocket",
 *   connection: "Upgrade",
 *   "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *   "sec-websocket-version": "8",
 * });
 * assert.throws(() => validateUpgradeRequest({ method: "GET", headers }), (error: unknown) =>
 *   error instanceof WebSocketHandshakeError && error.status === 426 &&
 *   error.headers[0][0] === "Sec-WebSocket-Version" && error.headers[0][1] === "13");
 * ```
 */
export class WebSocketHandshakeError extends UpgradeRefusedError {
  /**
   * Creates the error for one refused handshake.
   *
   * @param status the status to answer with
   * @param code a stable kebab-case name of the broken rule
   * @param message a human-readable explanation
   * @param headers fields the answer must carry
   */
  constructor(
    status: WebSocketHandshakeStatus,
    code: string,
    message: string,
    headers: readonly (readonly [string, string])[] = [],
  ) {
    super(status, code, message, headers);
    this.name = "WebSocketHandshakeError";
  }
}
