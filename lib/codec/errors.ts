/**
 * The one error type the codec throws. Every rejection of peer input carries
 * the HTTP status a server should answer with, so the connection layer never
 * has to guess: it writes that status with `Connection: close` and closes.
 *
 * @module
 */

/**
 * Statuses a protocol error can carry, following RFC 9112 and the anchors:
 * 400 malformed syntax or framing, 408 headers or body too slow, 413 body
 * over the limit, 414 request-line too long, 431 header section too large,
 * 501 a transfer coding we do not implement or a method longer than the
 * request-line limit, 505 a well-formed but
 * unsupported HTTP version.
 *
 * @example
 * ```ts
 * import { ProtocolError, type ProtocolErrorStatus } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const status: ProtocolErrorStatus = 431;
 * const error = new ProtocolError(status, "header-section-too-large", "header section too large");
 * assert.equal(error.status, 431);
 * ```
 */
export type ProtocolErrorStatus = 400 | 408 | 413 | 414 | 431 | 501 | 505;

/**
 * A peer sent bytes that break HTTP/1.x framing or exceed a limit.
 *
 * `status` is what to answer; `code` is a stable, machine-readable name of
 * the rule that was broken (for logs and tests), e.g. `"invalid-content-length"`.
 *
 * @example Inspect a rejection
 * ```ts
 * import { ProtocolError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError(431, "header-section-too-large", "header section exceeds 16384 bytes");
 * assert.equal(error.status, 431);
 * assert.equal(error.code, "header-section-too-large");
 * assert.ok(error instanceof Error);
 * ```
 */
export class ProtocolError extends Error {
  /** The HTTP status a server should answer with. */
  readonly status: ProtocolErrorStatus;
  /** A stable name for the rule that was broken. */
  readonly code: string;

  /**
   * Creates the error for one broken rule.
   *
   * @param status the status to answer with
   * @param code a stable kebab-case name of the broken rule
   * @param message a human-readable explanation (never echoes raw peer bytes unescaped)
   */
  constructor(status: ProtocolErrorStatus, code: string, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.status = status;
    this.code = code;
  }
}
