/**
 * The HTTP side of one connection: a parsed head starts an exchange in named
 * steps and hands it to the handler; a request that cannot be read on gets
 * its status; and the events of the connection's {@linkcode RequestReader}
 * and {@linkcode ResponseQueue} (the parser pool, the pipeline gate, interim
 * responses, bodies ending or left unread, responses written) land here.
 *
 * It is the base of {@linkcode Connection} (`connection.ts`), which adds
 * the socket's side: its events, timers, shutdown, the lingering close and
 * the handoff to another protocol. One class split in two files, not two
 * objects: the connection takes its reader's and its queue's events itself,
 * since closures or a helper object per connection measured ~0.4 kB of heap
 * on every idle socket. What the socket's side decides (closing, going idle,
 * the upgrade) is declared here and defined there.
 *
 * @module
 */

import type { ProtocolError } from "../codec/errors.ts";
import type { RequestHead } from "../codec/events.ts";
import type { RequestParser } from "../codec/request_parser.ts";
import { type ConnectionTokens, parseConnectionTokens } from "../codec/rules.ts";
import type { NetAddr, Transport } from "../transport.ts";
import { type HandlerHost, plainResponse, runHandler, toRequest } from "./dispatch.ts";
import { clientGone } from "./exchange_outcome.ts";
import { type ConnectionSettings, Exchange, PIPELINE_DEPTH_LIMIT } from "./exchange.ts";
import { isMethodFetchForbids, methodAllowsFetchBody } from "./incoming.ts";
import type { CloseCause, ConnectionEventListener } from "./observer.ts";
import { type ParserPool, type ReadEvents, RequestReader } from "./request_reader.ts";
import { ResponseQueue, type WriteEvents } from "./response_queue.ts";
import { causeOfProtocolError } from "./close_cause.ts";
import { ConnectionState, lastRequestCause } from "./state.ts";
import { recordUpgradeRequest, requestsUpgrade, type UpgradeHandoff } from "./upgrade.ts";

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
  connectionClosed(connection: ConnectionExchanges): void;
  /** The server's observer (observer.ts); null while nobody listens. */
  readonly onConnectionEvent: ConnectionEventListener | null;
}

const CLOSE_TOKENS: ConnectionTokens = parseConnectionTokens("close");

/** A connection's exchanges, from head to written response; see the module doc. */
export abstract class ConnectionExchanges extends ConnectionState
  implements ReadEvents, WriteEvents, ParserPool {
  readonly id: number;
  protected readonly host: ConnectionHost;
  protected readonly transport: Transport;
  /**
   * The reader and the queue (with its output batch) exist while the
   * connection is busy: made when bytes arrive, dropped by the sweep once
   * it finds the connection idle (`tick`), as an idle keep-alive connection
   * holds nothing of a request. They were three objects, ~224 B of heap on
   * every idle connection (Bun 1.4.5, 2026-11-30). Not pooled: a request
   * body stream the handler kept still calls into its own reader.
   */
  protected readerOrNull: RequestReader | null = null;
  protected queueOrNull: ResponseQueue | null = null;
  #requestCount = 0;
  /**
   * Why it closes, for observers: set by the first reason to stop reading
   * or to close (every `cause ??=` line), read once it has closed.
   */
  protected cause: CloseCause | null = null;
  /** An upgrade request whose answer is not written yet: no head after it is parsed. */
  protected upgradeRequest: Exchange | null = null;

  constructor(id: number, transport: Transport, host: ConnectionHost) {
    super();
    this.id = id;
    this.transport = transport;
    this.host = host;
  }

  protected get reader(): RequestReader {
    return this.readerOrNull ??= new RequestReader(this.transport, this);
  }

  protected get queue(): ResponseQueue {
    return this.queueOrNull ??= new ResponseQueue(this.transport, this, this.host.settings, this);
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    return this.transport.remoteAddr;
  }

  /** It was accepted by a TLS listener (`info.secure`). */
  get secure(): boolean {
    return this.host.secure;
  }

  /** Why the connection closed (or is closing); null while nothing has decided it. */
  get closeCause(): CloseCause | null {
    return this.cause;
  }

  /** Requests parsed so far. */
  get requestCount(): number {
    return this.#requestCount;
  }

  // ---- what the socket's side decides (connection.ts) ---------------------------

  /** After a response: close if nothing more will come, else go idle or parse what the pipeline holds. */
  abstract afterExchange(): void;
  /** Closes at once, losing whatever is in flight. */
  abstract destroy(cause?: CloseCause): void;
  /** The `101` is written: the connection's bytes are the new protocol's. */
  abstract upgraded(exchange: Exchange, handoff: UpgradeHandoff): void;
  /** Closes once reading is over and every response is written. Returns whether it did. */
  protected abstract closeIfDone(): boolean;
  /** The lingering close (RFC 9112 §9.6). */
  protected abstract closePolitely(linger?: boolean): void;

  // ---- a head starts an exchange --------------------------------------------------

  /** A request head: start its exchange, open its body, build the request, run the handler. */
  onHead(head: RequestHead): Exchange {
    const exchange = this.#startExchange(head);
    if (isMethodFetchForbids(head.method)) {
      this.queue.respond(exchange, plainResponse(501));
      return exchange;
    }
    const body = head.framing !== "none" && methodAllowsFetchBody(head.method)
      ? this.reader.openBody(exchange)
      : null;
    const host = this.host;
    if (host.settings.eagerContinue) this.queue.sendContinue(exchange);
    const request = toRequest(
      head,
      body,
      host.fallbackAuthority,
      host.settings.lightFetch,
      exchange,
      host.secure,
    );
    if (request !== null && requestsUpgrade(head.connection)) recordUpgradeRequest(request, head);
    if (request === null) {
      exchange.body?.error(new TypeError("invalid request"));
      this.queue.respond(exchange, plainResponse(400));
    } else this.#dispatch(exchange, request);
    return exchange;
  }

  /** Queues the exchange; its request decides whether another head is read (RFC 9112 §9.6). */
  #startExchange(head: RequestHead): Exchange {
    const index = ++this.#requestCount;
    const host = this.host;
    host.countRequest(index > 1);
    host.onConnectionEvent?.({ type: "request", id: this.id, time: Date.now(), index });
    const exchange = new Exchange(this, index, head, parseConnectionTokens(head.connection));
    // Parsed from what arrived before the client's FIN: it has left already.
    if (this.input === "ended") exchange.abort(clientGone());
    this.queue.push(exchange);
    if (head.version === "1.1" && requestsUpgrade(head.connection)) this.upgradeRequest = exchange;
    const last = lastRequestCause(exchange, host.settings, host.shuttingDown);
    if (last !== null) {
      this.disableKeepAlive();
      this.cause ??= last;
    }
    return exchange;
  }

  #dispatch(exchange: Exchange, request: Request): void {
    // The exchange is the handler's `info` (see exchange.ts).
    const result = runHandler(this.host, request, exchange, exchange);
    if (result instanceof Response) this.queue.respond(exchange, result);
    else result.then((response) => this.queue.respond(exchange, response));
  }

  /** The request cannot be read on (malformed, or too slow): answer its status, then close. */
  failRequest(error: ProtocolError): void {
    this.cause ??= causeOfProtocolError(error);
    this.closeReading();
    const exchange = this.reader.failBody(error);
    if (exchange === null) {
      // Nothing of the request was usable: a response of its own, then close.
      const failed = new Exchange(this, this.#requestCount + 1, null, CLOSE_TOKENS);
      failed.bodyState = "ended";
      this.queue.push(failed);
      return this.queue.respond(failed, plainResponse(error.status));
    }
    if (exchange.response === null && !exchange.bodyInUse) {
      // keepwire answers in the handler's place: whatever it is still doing is moot.
      exchange.abort(
        new DOMException(`the request failed: ${error.message} (${error.status})`, "AbortError"),
      );
      this.queue.respond(exchange, plainResponse(error.status));
    }
    this.closeIfDone();
  }

  // ---- events of its reader and its queue (not for other callers) ---------------

  /** The reader's parser, from the server's pool. */
  takeParser(): RequestParser {
    return this.host.takeParser();
  }

  /** The reader's parser back to the server's pool. */
  returnParser(parser: RequestParser): void {
    this.host.returnParser(parser);
  }

  /** A pipelined head is read only while fewer than {@linkcode PIPELINE_DEPTH_LIMIT} responses wait. */
  takesHead(): boolean {
    return this.upgradeRequest === null && this.queue.length < PIPELINE_DEPTH_LIMIT;
  }

  /** `info.writeInformational()` of one of this connection's exchanges (see `exchange.ts`). */
  sendInterim(exchange: Exchange, head: Uint8Array): boolean {
    return this.queue.sendInterim(exchange, head);
  }

  onFirstRead(exchange: Exchange): void {
    // A body stream read after its exchange (the queue may be gone) owes no 100.
    this.queueOrNull?.sendContinue(exchange);
  }

  onBodyEnd(exchange: Exchange): void {
    // Its response is already written: the connection may go idle now.
    if (!this.queue.has(exchange)) this.afterExchange();
  }

  onDrainOverrun(): void {
    this.cause ??= "unread_body";
    this.closeReading();
    this.closeIfDone();
  }

  responseWritten(exchange: Exchange): void {
    const { index, response } = exchange;
    // Declined (any answer but keepwire's 101): the pipeline is read on.
    if (exchange === this.upgradeRequest) this.upgradeRequest = null;
    const status = response?.status ?? 500;
    this.host.onConnectionEvent?.({
      type: "response",
      id: this.id,
      time: Date.now(),
      index,
      status,
    });
  }

  /** After the last response: what was read beyond it goes unanswered. */
  lastWritten(cause: CloseCause): void {
    this.cause ??= cause;
    this.closeReading();
    this.closePolitely();
  }

  bodyLeftUnread(exchange: Exchange): void {
    this.reader.drainBody(exchange);
  }
}
