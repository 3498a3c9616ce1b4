/**
 * The steps between a prepared response (`outgoing.ts`, which reads ahead
 * to learn the body's length) and its bytes: frame it (decided once, here)
 * and encode its head with the fields that announce the reuse decision. The
 * body is then written by `write_body.ts`.
 *
 * @module
 */

import type { HttpVersion } from "../codec/events.ts";
import { encodeResponseHead, type ResponseFraming } from "../codec/response_writer.ts";
import { httpDate } from "./date.ts";
import type { PersistenceDecision } from "./keep_alive.ts";
import type { BodyLength, OutgoingResponse } from "./outgoing.ts";
import { requestsUpgrade } from "./upgrade.ts";

const CHUNKED: ResponseFraming = Object.freeze({ kind: "chunked" });
const CLOSE_DELIMITED: ResponseFraming = Object.freeze({ kind: "close" });
const NO_BODY: ResponseFraming = Object.freeze({ kind: "none" });

/**
 * How the body is delimited on the wire (RFC 9112 §6.3): by its length when
 * known; else chunked to HTTP/1.1 and by closing the connection to HTTP/1.0,
 * which has no chunked coding. This is the one translation of a body's
 * length into framing: the reuse decision, the head and the body writer all
 * read its result.
 */
export function frameResponse(length: BodyLength, version: HttpVersion): ResponseFraming {
  if (length.kind === "length") return { kind: "length", length: length.length };
  if (length.kind === "none") return NO_BODY;
  return version === "1.1" ? CHUNKED : CLOSE_DELIMITED;
}

/**
 * The status line and header section: the handler's fields, a `Date` when
 * it set none (RFC 9110 §6.6.1), and the `Connection` / `Keep-Alive` fields
 * of the reuse decision (plus the handler's `upgrade` token, if any).
 */
export function encodeHead(
  outgoing: OutgoingResponse,
  framing: ResponseFraming,
  decision: PersistenceDecision,
): Uint8Array {
  const headers = outgoing.headers;
  if (!outgoing.hasDate) headers.push("date", httpDate());
  let connection: string | null = decision.connection;
  // The handler's other Connection tokens are the reuse decision's to say,
  // but `upgrade` is not about reuse: a response carrying Upgrade (a 426)
  // MUST list it in Connection (RFC 9110 §7.8).
  if (outgoing.connection !== "" && requestsUpgrade(outgoing.connection)) {
    connection = connection === null ? "upgrade" : `${connection}, upgrade`;
  }
  if (connection !== null) headers.push("connection", connection);
  if (decision.keepAlive !== null) headers.push("keep-alive", decision.keepAlive);
  return encodeResponseHead({
    status: outgoing.status,
    statusText: outgoing.statusText === "" ? undefined : outgoing.statusText,
    headers,
    framing,
  });
}
