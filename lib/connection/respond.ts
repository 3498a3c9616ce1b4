/**
 * The steps between a prepared response (`outgoing.ts`, which reads ahead
 * to learn the body's length) and its bytes: frame it (decided once, here)
 * and encode its head with the fields that announce the reuse decision. The
 * body is then written by `write_body.ts`.
 *
 * @module
 */

import type { HttpVersion } from "../codec/events.ts";
import type { ResponseFraming } from "../codec/response_writer.ts";
import { encodeResponseHeadWith } from "../codec/_response_head.ts";
import { httpDate } from "./date.ts";
import type { PersistenceDecision } from "./keep_alive.ts";
import type { BodyLength, OutgoingResponse } from "./outgoing.ts";
import { requestsUpgrade } from "./upgrade.ts";

const CHUNKED: ResponseFraming = Object.freeze({ kind: "chunked" });
const CLOSE_DELIMITED: ResponseFraming = Object.freeze({ kind: "close" });

/**
 * How the body is delimited on the wire (RFC 9112 §6.3): by its length when
 * known; else chunked to HTTP/1.1 and by closing the connection to HTTP/1.0,
 * which has no chunked coding. This is the one translation of a body's
 * length into framing: the reuse decision, the head and the body writer all
 * read its result.
 */
export function frameResponse(length: BodyLength, version: HttpVersion): ResponseFraming {
  // A settled length is its framing already: the same object, kept by
  // outgoing.ts for the next response of the same length.
  if (length.kind !== "unknown") return length;
  return version === "1.1" ? CHUNKED : CLOSE_DELIMITED;
}

/**
 * The status line and header section: the handler's fields, a `Date` when
 * it set none (RFC 9110 §6.6.1), and the `Connection` / `Keep-Alive` fields
 * of the reuse decision (plus the handler's `upgrade` token, if any);
 * then `body`, when given ({@linkcode inlineBody}), in the same buffer.
 */
export function encodeHead(
  outgoing: OutgoingResponse,
  framing: ResponseFraming,
  decision: PersistenceDecision,
  body?: Uint8Array,
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
  return encodeResponseHeadWith({
    status: outgoing.status,
    statusText: outgoing.statusText === "" ? undefined : outgoing.statusText,
    headers,
    framing,
  }, body);
}

/**
 * Bodies up to this size are written into their head's buffer: one region
 * per response instead of a head, a body and the batch joining them
 * (typed-array views cost ~50–100 ns each on V8). Larger ones are not
 * worth copying twice.
 */
const INLINE_BODY_LIMIT = 1024;

/**
 * The body to write inside the head's buffer ({@linkcode encodeHead}'s
 * `body`): the whole of a small body framed by its length, else undefined.
 */
export function inlineBody(
  outgoing: OutgoingResponse,
  framing: ResponseFraming,
): Uint8Array | undefined {
  if (framing.kind !== "length" || outgoing.reader !== null || outgoing.prefix.length !== 1) {
    return undefined;
  }
  const body = outgoing.prefix[0];
  return body.byteLength === framing.length && body.byteLength <= INLINE_BODY_LIMIT
    ? body
    : undefined;
}
