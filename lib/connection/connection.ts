/**
 * One persistent connection: parse requests as bytes arrive, hand each to
 * the handler, answer strictly in request order, and close by the rules of
 * RFC 9112 §9.
 *
 * It is its own {@linkcode ConnectionState} (`state.ts` explains the
 * model); this class moves it, between a {@linkcode RequestReader} (the
 * parser and its pump) and a {@linkcode ResponseQueue} (responses in order,
 * the reuse decision, one output batch). A head starts an exchange in named
 * steps (`onHead`); the reader feeds each body to the handler or drains it.
 * Timers are not per connection: the server sweeps every connection a few
 * times a second and calls {@linkcode Connection.tick}.
 *
 * Where later features hook in: `#abandon` is the one path by which
 * exchanges end without their response (the connection closed under them);
 * a response that hands the connection to another protocol would stop
 * reading in the queue's reuse decision and take the reader's buffered
 * bytes where `#closePolitely` would close.
 *
 * @module
 */

import type { ProtocolError } from "../codec/errors.ts";
import type { RequestHead } from "../codec/events.ts";
import { type HandlerHost, plainResponse, runHandler, toRequest } from "./dispatch.ts";
import { clientGone, serverClosed } from "./exchange_outcome.ts";
import {
  type ConnectionSettings,
  Exchange,
  LINGER_TIMEOUT,
  PIPELINE_DEPTH_LIMIT,
} from "./exchange.ts";
import { isMethodFetchForbids, methodAllowsFetchBody } from "./incoming.ts";
import { type ConnectionTokens, parseConnectionTokens } from "../codec/rules.ts";
import { type ParserPool, type ReadEvents, RequestReader } from "./request_reader.ts";
import type { RequestParser } from "../codec/request_parser.ts";
import { ResponseQueue, type WriteEvents } from "./response_queue.ts";
import { ConnectionState, lastRequestCause } from "./state.ts";
import { causeOfProtocolError, causeOfSocketClose } from "./close_cause.ts";
import type { CloseCause, ConnectionEventListener } from "./observer.ts";
import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { recordUpgradeRequest, requestsUpgrade, type UpgradeHandoff } from "./upgrade.ts";
import { UpgradedStreams } from "./upgraded_streams.ts";

/** What a connection needs from its server. */
export interface ConnectionHost extends HandlerHost, ParserPool {
  readonly settings: ConnectionSettings;
  /** `host:port` used to build URLs for requests without `Host` (HTTP/1.0). */
  readonly fallbackAuthority: string;
  /** Its listener serves TLS: origin-form URLs are `https:`, and `info.secure` is true. */
  readonly secure: boolean;
  /** The server is shutting down: answer what is in flight with `Connection: close`. */
  readonly shuttingDown: boolean;
  /** Counts a parsed request (`reused` when not the first on its connection). */
  countRequest(reused: boolean): void;
  /** The connection is gone. */
  connectionClosed(connection: Connection): void;
  /** The server's observer (observer.ts); null while nobody listens. */
  readonly onConnectionEvent: ConnectionEventListener | null;
}

const CLOSE_TOKENS: ConnectionTokens = parseConnectionTokens("close");

/**
 * The lifecycle of one accepted socket. It is its own {@linkcode ConnectionState}
 * (the reader and the queue share it): one object less on every idle connection.
 */
export class Connection extends ConnectionState
  implements TransportHandler, ReadEvents, WriteEvents, ParserPool {
  readonly id: number;
  readonly openedAt: number;
  #host: ConnectionHost;
  #transport: Transport;
  /**
   * The reader and the queue (with its output batch) exist while the
   * connection is busy: made when bytes arrive, dropped by the sweep once
   * it finds the connection idle (`tick`), as an idle keep-alive connection
   * holds nothing of a request. They were three objects, ~224 B of heap on
   * every idle connection (Bun 1.4.5, 2026-11-30). Not pooled: a request
   * body stream the handler kept still calls into its own reader.
   */
  #readerOrNull: RequestReader | null = null;
  #queueOrNull: ResponseQueue | null = null;
  #requestCount = 0;
  /** When the connection last became idle. */
  #idleSince: number;
  #lingerDeadline = 0;
  /**
   * Why it closes, for observers: set by the first reason to stop reading
   * or to close (every `#closeCause ??=` line), read once it has closed.
   */
  #closeCause: CloseCause | null = null;
  /** Set when this side closes the socket: the reason in-flight requests abort with. */
  #closedByServer: DOMException | null = null;
  /** An upgrade request whose answer is not written yet: no head after it is parsed. */
  #upgradeRequest: Exchange | null = null;
  /** Set once an upgrade is carried out: the connection's bytes are the new protocol's. */
  #upgraded: { handoff: UpgradeHandoff; streams: UpgradedStreams } | null = null;

  constructor(id: number, transport: Transport, host: ConnectionHost, now: number) {
    super();
    this.id = id;
    this.openedAt = now;
    this.#idleSince = now;
    this.#transport = transport;
    this.#host = host;
  }

  // The connection itself takes its reader's and its queue's events:
  // closures per connection measured ~0.4 kB of heap on every idle socket.
  get #reader(): RequestReader {
    return this.#readerOrNull ??= new RequestReader(this.#transport, this);
  }

  get #queue(): ResponseQueue {
    return this.#queueOrNull ??= new ResponseQueue(
      this.#transport,
      this,
      this.#host.settings,
      this,
    );
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    return this.#transport.remoteAddr;
  }

  /** It was accepted by a TLS listener (`info.secure`). */
  get secure(): boolean {
    return this.#host.secure;
  }

  /** Why the connection closed (or is closing); null while nothing has decided it. */
  get closeCause(): CloseCause | null {
    return this.#closeCause;
  }

  /** Requests parsed so far. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** `idle` between requests, `busy` in an exchange, `closing` once no further request will be read. */
  get state(): "idle" | "busy" | "closing" | "upgraded" {
    if (this.#upgraded !== null && this.lifecycle === "open") return "upgraded";
    if (this.lifecycle !== "open" || this.keepAlive === "off") return "closing";
    return this.#isIdle() ? "idle" : "busy";
  }

  /** Milliseconds since the connection went idle, or -1 when busy or closing. */
  idleFor(now: number): number {
    return this.state === "idle" ? now - this.#idleSince : -1;
  }

  // ---- socket events -------------------------------------------------------

  onData(chunk: Uint8Array): void {
    if (this.#upgraded !== null) return this.#upgraded.streams.push(chunk);
    // Lingering, or past the last request: discard what the peer still sends.
    if (this.lifecycle !== "open" || this.reading === "closed") return;
    // Whatever this read's requests are answered with at once leaves in one write.
    const output = this.#queue.output;
    output.hold();
    try {
      this.#reader.push(chunk);
    } finally {
      output.release();
    }
  }

  onEnd(): void {
    this.input = "ended";
    this.#closeCause ??= "client_close";
    if (this.#upgraded !== null) {
      this.#upgraded.streams.end();
      if (this.lifecycle === "lingering") this.#destroy();
      return;
    }
    if (this.lifecycle === "lingering") return this.#destroy();
    if (this.lifecycle !== "open") return;
    // Deno.serve and Bun.serve treat the peer's FIN as the client leaving:
    // the requests in flight abort, and a body being streamed stops. A
    // client that only half-closed still gets what its handler answers.
    this.#queueOrNull?.abortAll(clientGone());
    // Without a reader nothing is buffered: there is nothing to finish.
    this.#readerOrNull?.finish();
    // Nothing more can arrive: answer what was read, then close.
    this.disableKeepAlive();
    this.#closeIfDone();
  }

  onDrain(): void {
    this.#upgraded?.streams.drained();
    this.#queueOrNull?.output.drained();
  }

  onClose(error?: unknown): void {
    if (this.lifecycle === "closed") return;
    this.lifecycle = "closed";
    this.#closeCause ??= causeOfSocketClose(error);
    this.closeReading();
    this.#abandon(
      error ?? new Error("connection closed"),
      this.#closedByServer ?? clientGone(error),
    );
    this.#queueOrNull?.output.closed();
    this.#upgraded?.streams.closed(error);
    this.#host.connectionClosed(this);
  }

  // ---- timers (called by the server's sweep) ---------------------------------

  /** Applies idle, headers, body, send and linger timeouts. */
  tick(now: number): void {
    const settings = this.#host.settings;
    const lifecycle = this.lifecycle;
    if (lifecycle === "lingering" && now >= this.#lingerDeadline) this.#destroy();
    // An upgraded connection's timers are its new protocol's.
    if (lifecycle !== "open" || this.#upgraded !== null) return;
    // A peer that stops reading would hold responses in memory forever.
    const blockedSince = this.#queueOrNull?.output.blockedSince ?? 0;
    if (blockedSince !== 0 && now - blockedSince >= settings.sendTimeout) {
      this.#closeCause ??= "send_timeout";
      return this.#destroy();
    }
    if (this.state === "idle") {
      // RFC 9112 §9.8: close idle connections; never before the advertised timeout.
      if (now - this.#idleSince >= settings.keepAliveTimeout) {
        this.#closeCause ??= "idle_timeout";
        this.#closePolitely(false);
      } else this.#dropBusyParts();
      return;
    }
    const overdue = this.#reader.overdue(now, settings);
    if (overdue !== null) this.failRequest(overdue);
  }

  /** Graceful shutdown: idle connections close now, busy ones after their in-flight responses. */
  shutdown(): void {
    if (this.lifecycle !== "open") return;
    this.#closeCause ??= "shutdown";
    if (this.#upgraded !== null) return this.#upgraded.handoff.shutdown();
    const idle = this.#isIdle();
    this.disableKeepAlive();
    if (idle) this.#closePolitely(false);
    else this.#closeIfDone();
  }

  /** Closes at once, losing whatever is in flight (shutdown deadline, eviction). */
  destroy(cause: CloseCause = "error"): void {
    this.#closeCause ??= cause;
    this.#destroy();
  }

  // ---- reading ---------------------------------------------------------------

  #isIdle(): boolean {
    return this.reading === "head" && (this.#queueOrNull?.length ?? 0) === 0 &&
      this.writing === "idle" && (this.#readerOrNull?.atRest ?? true);
  }

  /** Idle: the reader and the queue go, unless something is still in them. */
  #dropBusyParts(): void {
    if (this.#readerOrNull?.holdsNothing === false || this.#queueOrNull?.holdsNothing === false) {
      return;
    }
    this.#readerOrNull = null;
    this.#queueOrNull = null;
  }

  /** A request head: start its exchange, open its body, build the request, run the handler. */
  onHead(head: RequestHead): Exchange {
    const exchange = this.#startExchange(head);
    if (isMethodFetchForbids(head.method)) {
      this.#queue.respond(exchange, plainResponse(501));
      return exchange;
    }
    const body = head.framing !== "none" && methodAllowsFetchBody(head.method)
      ? this.#reader.openBody(exchange)
      : null;
    if (this.#host.settings.eagerContinue) this.#queue.sendContinue(exchange);
    const request = toRequest(
      head,
      body,
      this.#host.fallbackAuthority,
      this.#host.settings.lightFetch,
      exchange,
      this.#host.secure,
    );
    if (request !== null && requestsUpgrade(head.connection)) recordUpgradeRequest(request, head);
    if (request === null) {
      exchange.body?.error(new TypeError("invalid request"));
      this.#queue.respond(exchange, plainResponse(400));
    } else this.#dispatch(exchange, request);
    return exchange;
  }

  /** Queues the exchange; its request decides whether another head is read (RFC 9112 §9.6). */
  #startExchange(head: RequestHead): Exchange {
    const index = ++this.#requestCount;
    this.#host.countRequest(index > 1);
    this.#host.onConnectionEvent?.({ type: "request", id: this.id, time: Date.now(), index });
    const exchange = new Exchange(this, index, head, parseConnectionTokens(head.connection));
    // Parsed from what arrived before the client's FIN: it has left already.
    if (this.input === "ended") exchange.abort(clientGone());
    this.#queue.push(exchange);
    if (head.version === "1.1" && requestsUpgrade(head.connection)) this.#upgradeRequest = exchange;
    const last = lastRequestCause(exchange, this.#host.settings, this.#host.shuttingDown);
    if (last !== null) {
      this.disableKeepAlive();
      this.#closeCause ??= last;
    }
    return exchange;
  }

  #dispatch(exchange: Exchange, request: Request): void {
    // The exchange is the handler's `info` (see exchange.ts).
    const result = runHandler(this.#host, request, exchange, exchange);
    if (result instanceof Response) this.#queue.respond(exchange, result);
    else result.then((response) => this.#queue.respond(exchange, response));
  }

  /** The request cannot be read on (malformed, or too slow): answer its status, then close. */
  failRequest(error: ProtocolError): void {
    this.#closeCause ??= causeOfProtocolError(error);
    this.closeReading();
    const exchange = this.#reader.failBody(error);
    if (exchange === null) {
      // Nothing of the request was usable: a response of its own, then close.
      const failed = new Exchange(this, this.#requestCount + 1, null, CLOSE_TOKENS);
      failed.bodyState = "ended";
      this.#queue.push(failed);
      return this.#queue.respond(failed, plainResponse(error.status));
    }
    if (exchange.response === null && !exchange.bodyInUse) {
      // keepwire answers in the handler's place: whatever it is still doing is moot.
      exchange.abort(
        new DOMException(`the request failed: ${error.message} (${error.status})`, "AbortError"),
      );
      this.#queue.respond(exchange, plainResponse(error.status));
    }
    this.#closeIfDone();
  }

  // ---- events of its reader and its queue (not for other callers) ---------------

  /** The reader's parser, from the server's pool. */
  takeParser(): RequestParser {
    return this.#host.takeParser();
  }

  /** The reader's parser back to the server's pool. */
  returnParser(parser: RequestParser): void {
    this.#host.returnParser(parser);
  }

  /** A pipelined head is read only while fewer than {@linkcode PIPELINE_DEPTH_LIMIT} responses wait. */
  takesHead(): boolean {
    return this.#upgradeRequest === null && this.#queue.length < PIPELINE_DEPTH_LIMIT;
  }

  /** `info.writeInformational()` of one of this connection's exchanges (see `exchange.ts`). */
  sendInterim(exchange: Exchange, head: Uint8Array): boolean {
    return this.#queue.sendInterim(exchange, head);
  }

  onFirstRead(exchange: Exchange): void {
    // A body stream read after its exchange (the queue may be gone) owes no 100.
    this.#queueOrNull?.sendContinue(exchange);
  }

  onBodyEnd(exchange: Exchange): void {
    // Its response is already written: the connection may go idle now.
    if (!this.#queue.has(exchange)) this.afterExchange();
  }

  onDrainOverrun(): void {
    this.#closeCause ??= "unread_body";
    this.closeReading();
    this.#closeIfDone();
  }

  responseWritten(exchange: Exchange): void {
    const { index, response } = exchange;
    // Declined (any answer but keepwire's 101): the pipeline is read on.
    if (exchange === this.#upgradeRequest) this.#upgradeRequest = null;
    const status = response?.status ?? 500;
    this.#host.onConnectionEvent?.({
      type: "response",
      id: this.id,
      time: Date.now(),
      index,
      status,
    });
  }

  /**
   * The `101` is written (RFC 9110 §7.8): HTTP ends here. No request is
   * parsed any more; the bytes already read past the upgrade request's head
   * go first to the new protocol, then everything that arrives; nothing
   * after it in the pipeline is dispatched.
   */
  upgraded(_exchange: Exchange, handoff: UpgradeHandoff): void {
    this.closeReading();
    this.disableKeepAlive();
    this.#upgradeRequest = null;
    this.#queue.abandon(new Error("the connection was upgraded"), serverClosed());
    const streams = new UpgradedStreams(
      this.#transport,
      this.#reader.takeBuffered(),
      () => this.#upgradeFinished(),
    );
    this.#reader.failBody(new Error("the connection was upgraded"));
    this.#upgraded = { handoff, streams };
    this.#reader.resumeInput();
    if (this.input === "ended") streams.end();
    handoff.accept(streams.duplex);
  }

  /**
   * The new protocol is done both ways and its FIN is on its way: linger
   * for the peer's FIN (a bounded time, then close), as after a last
   * HTTP response.
   */
  #upgradeFinished(): void {
    if (this.lifecycle !== "open") return;
    this.lifecycle = "lingering";
    this.#lingerDeadline = Date.now() + LINGER_TIMEOUT;
    if (this.input === "ended") this.#destroy();
  }

  /** After the last response: what was read beyond it goes unanswered. */
  lastWritten(cause: CloseCause): void {
    this.#closeCause ??= cause;
    this.closeReading();
    this.#closePolitely();
  }

  bodyLeftUnread(exchange: Exchange): void {
    this.#reader.drainBody(exchange);
  }

  // ---- between exchanges, and closing -------------------------------------------

  /** After a response: close if nothing more will come, else go idle or parse what the pipeline holds. */
  afterExchange(): void {
    if (this.lifecycle !== "open" || this.#closeIfDone()) return;
    if (this.#isIdle()) {
      this.#idleSince = Date.now();
      this.#host.onConnectionEvent?.({ type: "idle", id: this.id, time: this.#idleSince });
    }
    this.#reader.pump();
    this.#reader.releaseIfIdle();
  }

  /** Closes once reading is over and every response is written. Returns whether it did. */
  #closeIfDone(): boolean {
    if (
      this.reading !== "closed" || (this.#queueOrNull?.length ?? 0) !== 0 ||
      this.writing !== "idle"
    ) {
      return false;
    }
    this.#closePolitely();
    return true;
  }

  /**
   * The exchanges in flight end without their response: the connection is
   * closing or gone. Their bodies error with `reason`; their signals abort
   * (and streamed responses are cancelled) with `abortReason`.
   */
  #abandon(reason: unknown, abortReason: DOMException): void {
    this.#queueOrNull?.abandon(reason, abortReason);
    this.#readerOrNull?.failBody(reason);
  }

  /**
   * Lingering close (RFC 9112 §9.6): half-close, keep reading and discarding
   * for a while, then close. Closing with unread input would make the kernel
   * send a reset, which can destroy the response before the client reads it.
   */
  #closePolitely(linger = true): void {
    if (this.lifecycle !== "open") return;
    this.lifecycle = "lingering";
    this.closeReading();
    // After a response the peer may still be sending (a pipeline, a body):
    // linger. An idle close owes nothing unread, so the next sweep ends it.
    this.#lingerDeadline = Date.now() + (linger ? LINGER_TIMEOUT : 0);
    this.#abandon(new Error("connection closing"), serverClosed());
    this.#queueOrNull?.output.flush();
    this.#readerOrNull?.resumeInput();
    this.#transport.end();
    if (this.input === "ended") this.#destroy();
  }

  #destroy(): void {
    if (this.lifecycle === "closed") return;
    this.#closedByServer = serverClosed();
    this.#transport.close();
    this.onClose();
  }
}
