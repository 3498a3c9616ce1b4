/**
 * The state of one server connection, and the one decision about its reuse.
 *
 * Theory of operation. A connection is a queue of exchanges with two cursors
 * over it (RFC 9112 §9.3.2: responses leave in request order, however the
 * handlers finish). Its state is a product of small enums, as hyper's
 * `State { reading, writing, keep_alive }`:
 *
 * ```
 * reading    "head"   waiting for or inside a request head (the next request starts here)
 *            "body"   inside the body of the newest exchange; its `bodyState` says where bytes go
 *            "closed" no further request is read (§9.6); what still arrives is discarded
 * writing    "idle"   the front exchange has no response yet, or there is no exchange
 *            "busy"   the front exchange's response is being written
 * keepAlive  "on"     another request may follow the ones in flight
 *            "off"    the newest exchange is the last: reading closes after its body
 * input      "flowing" | "paused" (the parser holds enough; TCP backpressure) | "ended" (peer's FIN)
 * lifecycle  "open"   exchanging requests
 *            "lingering" our FIN is sent; input is read and dropped until the peer's FIN or
 *                     LINGER_TIMEOUT, so the last response is not destroyed by a reset (§9.6)
 *            "closed" the transport is gone
 * ```
 *
 * Transitions, and nothing else:
 *
 * ```
 * reading    head ─(head parsed)→ body ─(end parsed)→ head if keepAlive "on", else closed
 *            any ─(protocol error, timeout, peer's FIN, shutdown)→ closed
 * writing    idle ─(front has a response)→ busy ─(written)→ idle
 * keepAlive  on → off, once: the request or the connection forbids another (`lastRequestCause`),
 *            or a response closes it (`decideReuse`)
 * lifecycle  open → lingering, when reading is closed and nothing is queued or being written
 *            any → closed, when the transport goes
 * ```
 *
 * The connection is idle — the only time its idle timer runs — when reading
 * is `"head"` with nothing buffered, no exchange is queued and writing is
 * `"idle"`.
 *
 * Whether the connection persists after an exchange is decided once, by
 * {@linkcode decideReuse}, as its response head is written. The request's
 * side of that decision is known when the head is parsed; {@linkcode lastRequestCause}
 * is that side alone, and gates the reading of further pipelined heads.
 *
 * @module
 */

import type { ConnectionTokens } from "../codec/rules.ts";
import {
  type PersistenceDecision,
  type PersistenceFraming,
  persistenceVerdict,
} from "./keep_alive.ts";
import { type ConnectionSettings, type Exchange, UNREAD_BODY_DRAIN_LIMIT } from "./exchange.ts";

/** Where the read cursor is. */
export type Reading = "head" | "body" | "closed";
/** Where the write cursor is. */
export type Writing = "idle" | "busy";
/** Whether another request may follow the ones in flight. */
export type KeepAlive = "on" | "off";
/** The read side of the socket. */
export type Input = "flowing" | "paused" | "ended";
/** The connection's life. */
export type Lifecycle = "open" | "lingering" | "closed";

/** One connection's state; the transitions are its methods. */
export class ConnectionState {
  reading: Reading = "head";
  writing: Writing = "idle";
  keepAlive: KeepAlive = "on";
  input: Input = "flowing";
  lifecycle: Lifecycle = "open";

  /** A request head was parsed: its body (possibly empty) comes next. */
  headParsed(): void {
    this.reading = "body";
  }

  /** The body's end was parsed: the next head, unless that was the last request. */
  bodyEnded(): void {
    if (this.reading === "body") this.reading = this.keepAlive === "on" ? "head" : "closed";
  }

  /** No request after those already parsed will be read (once; never back). */
  disableKeepAlive(): void {
    this.keepAlive = "off";
    if (this.reading === "head") this.reading = "closed";
  }

  /** Reading stops now, mid-body or not (protocol error, timeout, closing). */
  closeReading(): void {
    this.keepAlive = "off";
    this.reading = "closed";
  }
}

/**
 * The request's side of the reuse decision, known at its head: null when
 * another request may be read after this one, else why not. RFC 9112 §9.6:
 * after a request that says `close`, the server reads nothing more; §9.3:
 * an HTTP/1.0 request persists only with `keep-alive`;
 * `maxRequestsPerConnection` counts down (as nginx's `keepalive_requests`);
 * a server shutting down takes no new requests.
 */
export function lastRequestCause(
  exchange: Exchange,
  settings: ConnectionSettings,
  shuttingDown: boolean,
): "shutdown" | "max_requests" | "request_close" | null {
  if (shuttingDown) return "shutdown";
  if (exchange.index >= settings.maxRequestsPerConnection) return "max_requests";
  const tokens = exchange.tokens;
  if (tokens.close || (exchange.head?.version !== "1.1" && !tokens.keepAlive)) {
    return "request_close";
  }
  return null;
}

/**
 * Does the connection persist after `exchange`? Called once per exchange,
 * as its response head is written, with what the response contributes:
 * the handler's `Connection` tokens (parsed once) and how its body is
 * delimited. The verdict and the `Connection` and `Keep-Alive` fields
 * announcing it come from the pure rules of `keep_alive.ts`. Besides the
 * headers, the connection closes when:
 * - this is the last exchange to be read (`keepAlive` is off and it is the newest);
 * - its request body cannot be read to the end: it failed, or the client
 *   may be waiting for a `100 Continue` that never came (RFC 9110 §10.1.1),
 *   or what remains of a body nobody reads is over {@linkcode UNREAD_BODY_DRAIN_LIMIT}.
 *   A chunked remainder is not known: it is drained as it comes, and the
 *   connection closes if it passes the bound.
 */
export function decideReuse(
  exchange: Exchange,
  responseTokens: ConnectionTokens,
  framing: PersistenceFraming,
  isLastRead: boolean,
  settings: ConnectionSettings,
): PersistenceDecision {
  return persistenceVerdict(
    exchange.head?.version ?? "1.1",
    // An exchange answering an unparsable request carries `close` tokens.
    exchange.tokens,
    responseTokens,
    framing,
    settings.maxRequestsPerConnection - exchange.index,
    isLastRead || unreadBodyForbidsReuse(exchange),
    settings.keepAliveHint ? settings.keepAliveTimeout : -1,
  );
}

/** Whether what is left of the request body keeps the connection from persisting. */
export function unreadBodyForbidsReuse(exchange: Exchange): boolean {
  const head = exchange.head;
  if (head === null || exchange.bodyState === "ended") return false;
  if (exchange.bodyState === "failed") return true;
  if (exchange.bodyInUse) return false; // the handler reads on
  if (exchange.continueState === "owed") return true; // the client may never send it
  if (head.framing === "length") {
    return head.contentLength - exchange.received > UNREAD_BODY_DRAIN_LIMIT;
  }
  return false;
}
