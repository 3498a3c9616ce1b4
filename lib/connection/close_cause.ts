/**
 * The close causes that need a look at an error (see `CloseCause` in
 * observer.ts); the connection records the first cause it meets.
 *
 * @module
 */

import type { CloseCause } from "./observer.ts";

/** A peer that resets or vanishes mid-write is a client leaving, not a server fault (names as Node, Bun and Deno report them). */
const PEER_GONE = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ConnectionReset",
  "BrokenPipe",
  "ConnectionAborted",
]);

/**
 * Why a socket closed that nothing else had decided to close.
 *
 * @example
 * ```ts
 * import { causeOfSocketClose } from "./close_cause.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(causeOfSocketClose(Object.assign(new Error("reset"), { code: "ECONNRESET" })), "client_close");
 * assert.equal(causeOfSocketClose(new Error("disk on fire")), "error");
 * ```
 *
 * @param error what the transport reported, if anything
 * @returns `client_close` for a plain close or a peer reset, else `error`
 */
export function causeOfSocketClose(error: unknown): CloseCause {
  if (error === undefined || error === null) return "client_close";
  const { code, name } = error as { code?: unknown; name?: unknown };
  return PEER_GONE.has(String(code)) || PEER_GONE.has(String(name)) ? "client_close" : "error";
}

/**
 * The cause of a close that a request's protocol error decided.
 *
 * @example
 * ```ts
 * import { causeOfProtocolError } from "./close_cause.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(causeOfProtocolError({ code: "headers-timeout" }), "headers_timeout");
 * ```
 *
 * @param error the `ProtocolError` (only its `code` is read)
 * @returns the timeout that fired, or `protocol_error`
 */
export function causeOfProtocolError(error: { readonly code: string }): CloseCause {
  if (error.code === "headers-timeout") return "headers_timeout";
  // requestTimeout cuts a request that is slow as a whole, nearly always in its body.
  if (error.code === "body-timeout" || error.code === "request-timeout") return "body_timeout";
  return "protocol_error";
}
