/**
 * The one error type of the client. It extends `TypeError` because that is
 * what Fetch rejects with on a network error, so code written for `fetch`
 * keeps working; `code` says what went wrong.
 *
 * @module
 */

/**
 * Why a request failed:
 * - `connect-failed`, `connect-timeout`: no connection could be opened (to
 *   the server, or to the proxy on the way: the message names it);
 * - `proxy-refused`: the forward proxy answered `CONNECT` with a status
 *   other than 2xx (the message has it); never retried;
 * - `proxy-auth-required`: the forward proxy answered `407`: its
 *   credentials (in the proxy URL) are missing or wrong; never retried;
 * - `certificate-error`: the server's TLS certificate was refused (unknown
 *   issuer, expired, wrong name); the cause is the runtime's error. Never
 *   retried: a retry would meet the same certificate;
 * - `connection-closed`: the server closed or reset the connection before the
 *   response was complete;
 * - `headers-timeout`, `body-timeout`: the server went quiet;
 * - `protocol-error`: the response broke HTTP/1.x (the cause is the codec's
 *   `ProtocolError`);
 * - `body-error`: the request body stream failed, or a redirect needed a body
 *   that cannot be replayed;
 * - `response-too-large`: the response body (after decompression) is larger
 *   than `maxResponseBodySize`: a decompression bomb ends here;
 * - `decompression-failed`: a body under a content coding the client undoes
 *   (gzip, deflate, br) is corrupt or truncated;
 * - `too-many-redirects`, `redirect-error`: a redirect could not be followed;
 * - `client-closed`: `client.close()` was called.
 *
 * @example
 * ```ts
 * import { ClientError, type ClientErrorCode } from "@keepwire/keepwire";
 *
 * const retryLater: ClientErrorCode[] = ["connect-failed", "connect-timeout", "headers-timeout"];
 * const shouldRetryLater = (error: unknown) =>
 *   error instanceof ClientError && retryLater.includes(error.code);
 * ```
 */
export type ClientErrorCode =
  | "connect-failed"
  | "connect-timeout"
  | "certificate-error"
  | "proxy-refused"
  | "proxy-auth-required"
  | "connection-closed"
  | "headers-timeout"
  | "body-timeout"
  | "protocol-error"
  | "body-error"
  | "response-too-large"
  | "decompression-failed"
  | "too-many-redirects"
  | "redirect-error"
  | "client-closed";

/**
 * A request failed on the network or the wire.
 *
 * @example
 * ```ts
 * import { ClientError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const error = new ClientError("headers-timeout", "no response head within 30000 ms");
 * assert.ok(error instanceof TypeError);
 * assert.equal(error.code, "headers-timeout");
 * ```
 */
export class ClientError extends TypeError {
  /** What went wrong, stable for programs. */
  readonly code: ClientErrorCode;

  /**
   * Creates the error.
   *
   * @param code what went wrong
   * @param message a human-readable explanation
   * @param cause the underlying error, if any
   */
  constructor(code: ClientErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ClientError";
    this.code = code;
  }
}
