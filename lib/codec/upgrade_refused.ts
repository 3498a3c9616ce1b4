/**
 * The error of an upgrade request that cannot be honoured (RFC 9110 §7.8),
 * whatever the protocol asked for: it carries the client error to answer
 * with. keepwire's server answers an uncaught one with its `status` and
 * `headers` (never a 500: the request, not the server, is at fault).
 *
 * @module
 */

/**
 * Statuses a refused upgrade answers with: 400 when the request cannot be
 * an upgrade at all (content before the switch, a malformed handshake), 426
 * (RFC 9110 §15.5.22, with an `Upgrade` field naming what the client must
 * ask for) when the client can retry with another protocol or version.
 *
 * @example
 * ```ts
 * import type { UpgradeRefusedStatus } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const status: UpgradeRefusedStatus = 426;
 * assert.equal(status, 426);
 * ```
 */
export type UpgradeRefusedStatus = 400 | 426;

/**
 * An upgrade request keepwire will not switch protocols for. Answer with
 * `status` and the fields in `headers`; `code` names the rule (for logs and
 * tests), e.g. `"http-version"`, `"request-content"`, `"not-offered"`.
 * Thrown by `upgradeConnection`, and (as its subclass
 * `WebSocketHandshakeError`) by `upgradeWebSocket`.
 *
 * @example
 * ```ts
 * import { UpgradeRefusedError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const error = new UpgradeRefusedError(426, "http-version", "HTTP/1.0 cannot upgrade", [
 *   ["Upgrade", "websocket"],
 *   ["Connection", "Upgrade"],
 * ]);
 * assert.equal(error.status, 426);
 * assert.equal(new Headers(error.headers.map(([n, v]) => [n, v])).get("upgrade"), "websocket");
 * ```
 */
export class UpgradeRefusedError extends Error {
  /** The HTTP status to answer with. */
  readonly status: UpgradeRefusedStatus;
  /** A stable name for the rule that was broken. */
  readonly code: string;
  /** Fields the answer must carry, as `[name, value]` pairs. */
  readonly headers: readonly (readonly [string, string])[];

  /**
   * Creates the error for one refused upgrade.
   *
   * @param status the status to answer with
   * @param code a stable kebab-case name of the broken rule
   * @param message a human-readable explanation
   * @param headers fields the answer must carry
   */
  constructor(
    status: UpgradeRefusedStatus,
    code: string,
    message: string,
    headers: readonly (readonly [string, string])[] = [],
  ) {
    super(message);
    this.name = "UpgradeRefusedError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
