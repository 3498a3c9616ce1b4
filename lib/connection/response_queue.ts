/**
 * The write side of a connection: the queue of exchanges awaiting their
 * responses, written strictly in request order (RFC 9112 §9.3.2) through
 * one output batch, each exchange's reuse decided once as its head is
 * written.
 *
 * A response whose body is already whole in memory (a light response, the
 * common case on Node) is written synchronously, the moment it is known;
 * only a response that must be read (a native `Response`, a stream) takes
 * the asynchronous path. An async function per step (write loop, exchange,
 * prepare, body) was four promises and their microtask turns per request.
 *
 * @module
 */

import { encodeContinue, type ResponseFraming } from "../codec/response_writer.ts";
import { type ConnectionSettings, type Exchange, UNREAD_BODY_DRAIN_LIMIT } from "./exchange.ts";
import { parseConnectionTokens } from "../codec/rules.ts";
import type { PersistenceDecision } from "./keep_alive.ts";
import {
  type OutgoingResponse,
  prepareResponse,
  prepareResponseNow,
  prepareStaticResponseNow,
} from "./outgoing.ts";
import { plainResponse } from "./dispatch.ts";
import { type FlushListener, OutputBuffer } from "./output.ts";
import { encodeHead, frameResponse, inlineBody } from "./respond.ts";
import { type ConnectionState, decideReuse, unreadBodyForbidsReuse } from "./state.ts";
import type { CloseCause } from "./observer.ts";
import type { Transport } from "../transport.ts";
import { writeBody, writeWholeBody } from "./write_body.ts";
import type { UpgradeHandoff } from "./upgrade.ts";
import { writeAcceptedUpgrade } from "./upgrade_head.ts";
import { cancelPrepared, NOTHING_PREPARED, prepareBehind } from "./prepared_behind.ts";

/** What the queue tells its connection. */
export interface WriteEvents {
  /** Responses were written and the connection persists; the front has none yet, or the queue is empty. */
  afterExchange(): void;
  /** A response is written (whole, or as far as it could be). */
  responseWritten(exchange: Exchange): void;
  /** The last response is written: close, for `cause`. */
  lastWritten(cause: CloseCause): void;
  /** The handler answered without reading its whole request body. */
  bodyLeftUnread(exchange: Exchange): void;
  /** Writing failed: the connection cannot go on. */
  destroy(cause: CloseCause): void;
  /** The `101` of an accepted upgrade is written: HTTP ends, `handoff` takes the connection. */
  upgraded(exchange: Exchange, handoff: UpgradeHandoff): void;
}

/** The exchanges of one connection whose responses are not written yet, oldest first. */
export class ResponseQueue implements FlushListener {
  /** The one place output is batched: written once per batch of ready responses. */
  readonly output: OutputBuffer;
  /**
   * Empty lists are the shared {@linkcode NONE} and emptied ones are
   * replaced by it, not truncated: JavaScriptCore keeps an emptied array's
   * storage (~75 B), and every idle connection would hold two.
   */
  #exchanges: Exchange[] = NONE;
  #state: ConnectionState;
  #settings: ConnectionSettings;
  #events: WriteEvents;
  /** Exchanges whose response is in the output batch, not yet handed to the socket. */
  #unflushed: Exchange[] = NONE;

  constructor(
    transport: Transport,
    state: ConnectionState,
    settings: ConnectionSettings,
    events: WriteEvents,
  ) {
    this.output = new OutputBuffer(transport, this);
    this.#state = state;
    this.#settings = settings;
    this.#events = events;
  }

  /** Exchanges awaiting their response. */
  get length(): number {
    return this.#exchanges.length;
  }

  /** No exchange, no batch, nobody waiting: the connection may drop it while idle. */
  get holdsNothing(): boolean {
    return this.#exchanges.length === 0 && this.#unflushed.length === 0 &&
      this.output.holdsNothing;
  }

  /** Whether the exchange's response is still to be written. */
  has(exchange: Exchange): boolean {
    return this.#exchanges.includes(exchange);
  }

  /** A parsed request joins the queue. */
  push(exchange: Exchange): void {
    if (this.#exchanges === NONE) this.#exchanges = [exchange];
    else this.#exchanges.push(exchange);
  }

  /** The exchange's response is known; written as soon as everything before it is. */
  respond(exchange: Exchange, response: Response): void {
    if (this.#state.lifecycle === "closed" || exchange.response !== null) return;
    exchange.response = response;
    if (this.#exchanges[0] === exchange && this.#state.writing === "idle") this.#writeAll();
  }

  /** RFC 9110 §10.1.1: tell the client to send the body, unless a response already went out. */
  sendContinue(exchange: Exchange): void {
    if (exchange.continueState !== "owed" || exchange.bodyDone) return;
    if (this.#state.lifecycle !== "open" || exchange.head?.version !== "1.1") return;
    if (this.#exchanges[0] !== exchange || this.#state.writing === "busy") return;
    exchange.continueState = "sent";
    this.output.push(encodeContinue());
    this.output.flush();
  }

  /**
   * An interim (1xx) head for `exchange` (RFC 9110 §15.2): written now when
   * its response is the next to go, else held until its turn. Refused
   * (false) once its final response is known, to an HTTP/1.0 client (which
   * must never get a 1xx), and on a connection that is closing.
   */
  sendInterim(exchange: Exchange, head: Uint8Array): boolean {
    if (exchange.response !== null || exchange.head?.version !== "1.1") return false;
    if (this.#state.lifecycle !== "open" || !this.has(exchange)) return false;
    if (this.#exchanges[0] === exchange && this.#state.writing === "idle") {
      this.output.push(head);
      this.output.flush();
    } else (exchange.interim ??= []).push(head);
    return true;
  }

  /** Interim heads that waited for the front exchange's turn. */
  #writeInterim(exchange: Exchange): void {
    for (const head of exchange.interim!) this.output.push(head);
    exchange.interim = null;
  }

  /**
   * The queued exchanges end without a response (the connection closes
   * under them): their bodies error with `reason`, their signals abort and
   * their `completed` rejects with `abortReason`, and a response body being
   * streamed is cancelled now. Responses written but not yet flushed are lost too.
   */
  abandon(reason: unknown, abortReason: DOMException): void {
    for (const exchange of this.#exchanges) {
      exchange.body?.error(reason);
      exchange.fail(abortReason);
    }
    this.#exchanges = NONE;
    for (const exchange of this.#unflushed) exchange.fail(abortReason);
    this.#unflushed = NONE;
  }

  /** The client left (its FIN): every request in flight aborts; a body being streamed stops. */
  abortAll(reason: DOMException): void {
    for (const exchange of this.#exchanges) exchange.abort(reason);
  }

  /**
   * Writes the responses at the front of the queue while they are known;
   * synchronously as long as each is whole in memory, handing over to
   * {@linkcode #writeLater} at the first that is not.
   */
  #writeAll(): void {
    const state = this.#state;
    state.writing = "busy";
    try {
      while (state.lifecycle === "open") {
        const exchange = this.#exchanges[0];
        if (exchange === undefined) break;
        if (exchange.interim !== null) this.#writeInterim(exchange);
        if (exchange.response === null) break;
        if (exchange.response.status === 101) {
          const handoff = writeAcceptedUpgrade(exchange, this.output);
          if (handoff !== null) {
            this.#shift();
            this.#events.responseWritten(exchange);
            this.#toComplete(exchange);
            state.writing = "idle";
            this.output.flush();
            return this.#events.upgraded(exchange, handoff);
          }
        }
        // Bodies in memory still wait for a transport that is behind (writeBody).
        let outgoing: OutgoingResponse | null = null;
        if (!this.output.blocked) {
          try {
            outgoing = prepareResponseNow(exchange.response, exchange.isHead);
          } catch {
            outgoing = null; // the asynchronous path answers a plain 500
          }
        }
        if (outgoing === null || outgoing.reader !== null) {
          void this.#writeLater(exchange, outgoing);
          return;
        }
        if (this.#written(exchange, this.#writeWhole(exchange, outgoing))) return;
      }
    } catch {
      state.writing = "idle";
      return this.#events.destroy("error");
    }
    state.writing = "idle";
    this.output.flushBatch();
    this.#events.afterExchange();
  }

  /**
   * The front exchange's response the slow way (read, stream, or wait for
   * the transport), then those known behind it by then; then on. The ones
   * behind are prepared together once the front's is (`prepared_behind.ts`),
   * so their bodies' reads overlap: a pipelined batch of native responses
   * waits about twice rather than once per response, all in this one async
   * function (it was two per response).
   */
  async #writeLater(front: Exchange, prepared: OutgoingResponse | null): Promise<void> {
    let behind = NOTHING_PREPARED;
    let exchange = front;
    let next = 0;
    try {
      while (true) {
        let outgoing: OutgoingResponse;
        try {
          if (exchange !== front) outgoing = await behind[next++];
          else {
            const now = prepared ?? prepareStaticResponseNow(exchange.response!, exchange.isHead);
            if (now === null) outgoing = await prepareResponse(exchange.response!, exchange.isHead);
            else {
              // The one turn an async prepare took, kept without its async function (its
              // frame and promise): what arrived with the request, such as the client's
              // FIN, is handled before this response's reuse is decided (RFC 9112 §9.6).
              if (prepared === null) await NEXT_TURN;
              outgoing = now;
            }
            // The rest of the read being handled has been parsed and answered meanwhile.
            behind = prepareBehind(this.#exchanges);
          }
        } catch {
          // A body already used or locked is a handler bug: a plain 500 goes instead.
          outgoing = await prepareResponse(plainResponse(500), exchange.isHead);
        }
        let closeCause: CloseCause | null;
        if (this.#state.lifecycle !== "open") {
          // It closed while the body was being read: the body's source stops now.
          outgoing.reader?.cancel().catch(() => {});
          closeCause = "error";
        } else if (outgoing.reader === null && !this.output.blocked) {
          closeCause = this.#writeWhole(exchange, outgoing);
        } else closeCause = await this.#writeStreamed(exchange, outgoing);
        if (this.#written(exchange, closeCause)) return cancelPrepared(behind, next);
        if (next === behind.length || this.#exchanges.length === 0) break;
        exchange = this.#exchanges[0];
        if (exchange.interim !== null) this.#writeInterim(exchange);
      }
    } catch {
      cancelPrepared(behind, next);
      this.#state.writing = "idle";
      return this.#events.destroy("error");
    }
    this.#writeAll();
  }

  /** The exchange's response is in the output: it completes with the next flush. */
  #toComplete(exchange: Exchange): void {
    if (this.#unflushed === NONE) this.#unflushed = [exchange];
    else this.#unflushed.push(exchange);
  }

  /** The front exchange leaves the queue (already empty when the connection closed under a write). */
  #shift(): void {
    const exchanges = this.#exchanges;
    if (exchanges.length <= 1) this.#exchanges = NONE;
    else exchanges.shift();
  }

  /**
   * The front exchange's response is in the output: it leaves the queue.
   * Returns true when writing stops here (the connection closes after it).
   */
  #written(exchange: Exchange, closeCause: CloseCause | null): boolean {
    this.#shift();
    this.#events.responseWritten(exchange);
    if (closeCause !== null) {
      this.#state.writing = "idle";
      this.output.flush();
      this.#events.lastWritten(closeCause);
      return true;
    }
    if (!exchange.bodyDone && !exchange.bodyInUse) this.#events.bodyLeftUnread(exchange);
    return false;
  }

  /** The output handed its batch to the transport: the responses written so far are complete. */
  flushed(): void {
    const done = this.#unflushed;
    if (done.length === 0 || this.output.isClosed) return;
    this.#unflushed = NONE;
    for (const exchange of done) exchange.complete();
  }

  /**
   * One response whose body is whole in memory: frame, decide reuse, write
   * head and body. Returns null when the connection persists, else why it closes.
   */
  #writeWhole(exchange: Exchange, outgoing: OutgoingResponse): CloseCause | null {
    const framing = frameResponse(outgoing.length, exchange.head?.version ?? "1.1");
    const decision = this.#decideReuse(exchange, outgoing, framing);
    // A HEAD response announces the length of a body it never carries.
    const inline = exchange.isHead ? undefined : inlineBody(outgoing, framing);
    this.output.push(encodeHead(outgoing, framing, decision, inline));
    const complete = exchange.isHead || inline !== undefined ||
      writeWholeBody(this.output, outgoing, framing);
    return this.#settle(exchange, decision, complete);
  }

  /**
   * One response whose body streams, or waits for the transport: frame,
   * decide reuse, write the head, then the body as it comes. Resolves null
   * when the connection persists, else why it closes.
   */
  async #writeStreamed(exchange: Exchange, outgoing: OutgoingResponse): Promise<CloseCause | null> {
    const framing = frameResponse(outgoing.length, exchange.head?.version ?? "1.1");
    const decision = this.#decideReuse(exchange, outgoing, framing);
    this.output.push(encodeHead(outgoing, framing, decision));
    const complete = exchange.isHead ||
      await writeBody(this.output, outgoing, framing, exchange);
    return this.#settle(exchange, decision, complete);
  }

  /** After the body: the exchange completes with the next flush, or fails; why the connection closes, if it does. */
  #settle(
    exchange: Exchange,
    decision: PersistenceDecision,
    complete: boolean,
  ): CloseCause | null {
    if (complete) this.#toComplete(exchange);
    else exchange.fail(incomplete());
    if (!decision.persist) {
      return unreadBodyForbidsReuse(exchange) ? "unread_body" : "response_close";
    }
    // Persisting was decided, but the body could not be sent whole: the framing is broken.
    return complete ? null : "error";
  }

  /** The one reuse decision of an exchange (see `state.ts`), and what it sets in motion. */
  #decideReuse(
    exchange: Exchange,
    outgoing: OutgoingResponse,
    framing: ResponseFraming,
  ): PersistenceDecision {
    const queue = this.#exchanges;
    const isLastRead = this.#state.keepAlive === "off" && queue[queue.length - 1] === exchange;
    const decision = decideReuse(
      exchange,
      parseConnectionTokens(outgoing.connection),
      framing.kind,
      isLastRead,
      this.#settings,
    );
    if (!decision.persist) this.#state.disableKeepAlive();
    else exchange.drainBudget = UNREAD_BODY_DRAIN_LIMIT;
    return decision;
  }
}

/** Awaited for one microtask turn: already settled, so no promise is made for it. */
const NEXT_TURN: Promise<void> = Promise.resolve();

/** The empty list every queue starts with and returns to; never pushed to. */
const NONE: Exchange[] = Object.freeze([]) as unknown as Exchange[];

/** Why `completed` rejects when the response could not be written to its end. */
function incomplete(): DOMException {
  return new DOMException("the response could not be written to its end", "AbortError");
}
