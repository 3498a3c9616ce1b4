/**
 * One persistent connection: parse requests as bytes arrive, hand each to
 * the handler, answer strictly in request order, and close by the rules of
 * RFC 9112 §9.
 *
 * Its state is a {@linkcode ConnectionState} (`state.ts` explains the
 * model); this class moves it, between a {@linkcode RequestReader} (the
 * parser and its pump) and a {@linkcode ResponseQueue} (responses in order,
 * the reuse decision, one output batch). A head starts an exchange in named
 * steps (`#onHead`); body events feed the handler's stream or drain it.
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

import { ProtocolError } from "../codec/errors.ts";
import type { RequestHead } from "../codec/events.ts";
import { type HandlerHost, plainResponse, runHandler, toRequest } from "./dispatch.ts";
import {
  type ConnectionSettings,
  Exchange,
  LINGER_TIMEOUT,
  PIPELINE_DEPTH_LIMIT,
} from "./exchange.ts";
import { IncomingBody, isMethodFetchForbids, methodAllowsFetchBody } from "./incoming.ts";
import { type ConnectionTokens, parseConnectionTokens } from "./keep_alive.ts";
import { type ParserPool, RequestReader } from "./request_reader.ts";
import { ResponseQueue } from "./response_queue.ts";
import { ConnectionState, readsAnother } from "./state.ts";
import type { NetAddr, Transport, TransportHandler } from "./transport.ts";

/** What a connection needs from its server. */
export interface ConnectionHost extends HandlerHost, ParserPool {
  readonly settings: ConnectionSettings;
  /** `host:port` used to build URLs for requests without `Host` (HTTP/1.0). */
  readonly fallbackAuthority: string;
  /** The server is shutting down: answer what is in flight with `Connection: close`. */
  readonly shuttingDown: boolean;
  /** Counts a parsed request (`reused` when not the first on its connection). */
  countRequest(reused: boolean): void;
  /** The connection is gone. */
  connectionClosed(connection: Connection): void;
}

const CLOSE_TOKENS: ConnectionTokens = parseConnectionTokens("close");

/** The lifecycle of one accepted socket. */
export class Connection implements TransportHandler {
  readonly id: number;
  readonly openedAt: number;
  #host: ConnectionHost;
  #transport: Transport;
  #state = new ConnectionState();
  #reader: RequestReader;
  #queue: ResponseQueue;
  /** The exchange whose body is being read: set exactly while reading is `"body"`. */
  #inBody: Exchange | null = null;
  #requestCount = 0;
  /** When the connection last became idle. */
  #idleSince: number;
  /** When body bytes last arrived for the request being read. */
  #bodyActivityAt = 0;
  #lingerDeadline = 0;

  constructor(id: number, transport: Transport, host: ConnectionHost, now: number) {
    this.id = id;
    this.openedAt = now;
    this.#idleSince = now;
    this.#transport = transport;
    this.#host = host;
    this.#reader = new RequestReader(host, transport, this.#state, {
      takesEvent: () => this.#takesEvent(),
      onHead: (head) => this.#onHead(head),
      onBodyData: (bytes) => this.#onBodyData(bytes),
      onBodyEnd: () => this.#onBodyEnd(),
      onMalformed: (error) => this.#failRequest(error),
    });
    this.#queue = new ResponseQueue(transport, this.#state, host.settings, {
      written: () => this.#afterExchange(),
      lastWritten: () => this.#closeAfterLast(),
      bodyLeftUnread: (exchange) => this.#drainBody(exchange),
      failed: () => this.#destroy(),
    });
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    return this.#transport.remoteAddr;
  }

  /** Requests parsed so far. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** `idle` between requests, `busy` in an exchange, `closing` once no further request will be read. */
  get state(): "idle" | "busy" | "closing" {
    if (this.#state.lifecycle !== "open" || this.#state.keepAlive === "off") return "closing";
    return this.#isIdle() ? "idle" : "busy";
  }

  /** Milliseconds since the connection went idle, or -1 when busy or closing. */
  idleFor(now: number): number {
    return this.state === "idle" ? now - this.#idleSince : -1;
  }

  // ---- socket events -------------------------------------------------------

  onData(chunk: Uint8Array): void {
    // Lingering, or past the last request: discard what the peer still sends.
    if (this.#state.lifecycle !== "open" || this.#state.reading === "closed") return;
    this.#reader.push(chunk);
  }

  onEnd(): void {
    const state = this.#state;
    state.input = "ended";
    if (state.lifecycle === "lingering") return this.#destroy();
    if (state.lifecycle !== "open") return;
    this.#reader.finish();
    // Nothing more can arrive: answer what was read, then close.
    state.disableKeepAlive();
    this.#closeIfDone();
  }

  onDrain(): void {
    this.#queue.output.drained();
  }

  onClose(error?: unknown): void {
    if (this.#state.lifecycle === "closed") return;
    this.#state.lifecycle = "closed";
    this.#state.closeReading();
    this.#abandon(error ?? new Error("connection closed"));
    this.#queue.output.closed();
    this.#host.connectionClosed(this);
  }

  // ---- timers (called by the server's sweep) ---------------------------------

  /** Applies idle, headers, body, send and linger timeouts. */
  tick(now: number): void {
    const settings = this.#host.settings;
    const lifecycle = this.#state.lifecycle;
    if (lifecycle === "lingering" && now >= this.#lingerDeadline) this.#destroy();
    if (lifecycle !== "open") return;
    // A peer that stops reading would hold responses in memory forever.
    const blockedSince = this.#queue.output.blockedSince;
    if (blockedSince !== 0 && now - blockedSince >= settings.sendTimeout) return this.#destroy();
    if (this.state === "idle") {
      // RFC 9112 §9.8: close idle connections; never before the advertised timeout.
      if (now - this.#idleSince >= settings.keepAliveTimeout) this.#closePolitely(false);
      return;
    }
    const headStartedAt = this.#reader.headStartedAt;
    if (headStartedAt !== 0 && now - headStartedAt >= settings.headersTimeout) {
      return this.#failRequest(
        new ProtocolError(408, "headers-timeout", "request header section took too long"),
      );
    }
    const inBody = this.#inBody;
    if (
      inBody !== null && inBody.bodyState !== "paused" && this.#bodyActivityAt !== 0 &&
      now - this.#bodyActivityAt >= settings.requestBodyTimeout
    ) {
      this.#failRequest(new ProtocolError(408, "body-timeout", "request body arrived too slowly"));
    }
  }

  /** Graceful shutdown: idle connections close now, busy ones after their in-flight responses. */
  shutdown(): void {
    if (this.#state.lifecycle !== "open") return;
    const idle = this.#isIdle();
    this.#state.disableKeepAlive();
    if (idle) this.#closePolitely(false);
    else this.#closeIfDone();
  }

  /** Closes at once, losing whatever is in flight (shutdown deadline, eviction). */
  destroy(): void {
    this.#destroy();
  }

  // ---- reading ---------------------------------------------------------------

  #isIdle(): boolean {
    return this.#state.reading === "head" && this.#queue.length === 0 &&
      this.#state.writing === "idle" && this.#reader.atRest;
  }

  /** The state gates the parser: no head past the last request or a full pipeline, no body bytes the stream cannot take. */
  #takesEvent(): boolean {
    const reading = this.#state.reading;
    if (reading === "head") return this.#queue.length < PIPELINE_DEPTH_LIMIT;
    return reading === "body" && this.#inBody!.bodyState !== "paused";
  }

  /** A request head: start its exchange, open its body, build the request, run the handler. */
  #onHead(head: RequestHead): void {
    const exchange = this.#startExchange(head);
    if (isMethodFetchForbids(head.method)) return this.#queue.respond(exchange, plainResponse(501));
    this.#openBody(exchange);
    if (this.#host.settings.eagerContinue) this.#queue.sendContinue(exchange);
    const request = toRequest(
      head,
      exchange.body?.stream ?? null,
      this.#host.fallbackAuthority,
      this.#host.settings.lightFetch,
    );
    if (request === null) {
      exchange.body?.error(new TypeError("invalid request"));
      return this.#queue.respond(exchange, plainResponse(400));
    }
    this.#dispatch(exchange, request);
  }

  /** Queues the exchange; its request decides whether another head is read (RFC 9112 §9.6). */
  #startExchange(head: RequestHead): Exchange {
    this.#bodyActivityAt = Date.now();
    const index = ++this.#requestCount;
    this.#host.countRequest(index > 1);
    const exchange = new Exchange(index, head, parseConnectionTokens(head.connection));
    this.#queue.push(exchange);
    this.#inBody = exchange;
    this.#state.headParsed();
    if (!readsAnother(exchange, this.#host.settings, this.#host.shuttingDown)) {
      this.#state.disableKeepAlive();
    }
    return exchange;
  }

  /** A body Fetch can carry is streamed to the handler; any other is drained. */
  #openBody(exchange: Exchange): void {
    const head = exchange.head!;
    if (head.framing === "none" || !methodAllowsFetchBody(head.method)) return;
    exchange.body = new IncomingBody({
      onPull: (first) => this.#onBodyPull(exchange, first),
      onCancel: () => this.#stopReadingBody(exchange),
    });
    exchange.bodyState = "stream";
  }

  #dispatch(exchange: Exchange, request: Request): void {
    const result = runHandler(this.#host, request, {
      remoteAddr: this.#transport.remoteAddr,
      httpVersion: exchange.head!.version,
      connection: { id: this.id, requestIndex: exchange.index },
    });
    if (result instanceof Response) this.#queue.respond(exchange, result);
    else result.then((response) => this.#queue.respond(exchange, response));
  }

  #onBodyData(bytes: Uint8Array): void {
    this.#bodyActivityAt = Date.now();
    const exchange = this.#inBody!;
    exchange.received += bytes.byteLength;
    if (exchange.bodyState === "stream") {
      if (!exchange.body!.push(bytes)) exchange.bodyState = "paused";
      return;
    }
    exchange.drainBudget -= bytes.byteLength;
    if (exchange.drainBudget < 0) {
      // Draining would cost more than a new connection: stop after this exchange.
      this.#endBody(exchange, "failed");
      this.#state.closeReading();
      this.#closeIfDone();
    }
  }

  #onBodyEnd(): void {
    const exchange = this.#inBody!;
    this.#endBody(exchange, "ended");
    exchange.body?.close();
    this.#state.bodyEnded();
    // Its response is already written: the connection may go idle now.
    if (!this.#queue.has(exchange)) this.#afterExchange();
  }

  #endBody(exchange: Exchange, end: "ended" | "failed"): void {
    exchange.bodyState = end;
    this.#inBody = null;
    this.#bodyActivityAt = 0;
  }

  #onBodyPull(exchange: Exchange, first: boolean): void {
    if (first) this.#queue.sendContinue(exchange);
    if (exchange.bodyState === "paused") {
      exchange.bodyState = "stream";
      this.#reader.pump();
    }
  }

  /** Nobody will read the rest of this body: drain it (bounded once its response is decided). */
  #stopReadingBody(exchange: Exchange): void {
    if (exchange.bodyState !== "stream" && exchange.bodyState !== "paused") return;
    exchange.bodyState = "drain";
    this.#reader.pump();
  }

  /** The handler answered without reading its body. */
  #drainBody(exchange: Exchange): void {
    this.#stopReadingBody(exchange);
    exchange.body?.stream.cancel().catch(() => {});
  }

  /** The request cannot be read on: answer its status, then close. */
  #failRequest(error: ProtocolError): void {
    this.#state.closeReading();
    this.#reader.headStartedAt = 0;
    const exchange = this.#inBody;
    if (exchange === null) {
      // Nothing of the request was usable: a response of its own, then close.
      const failed = new Exchange(this.#requestCount + 1, null, CLOSE_TOKENS);
      failed.bodyState = "ended";
      this.#queue.push(failed);
      return this.#queue.respond(failed, plainResponse(error.status));
    }
    this.#endBody(exchange, "failed");
    exchange.body?.error(error);
    if (exchange.response === null && !exchange.bodyInUse) {
      this.#queue.respond(exchange, plainResponse(error.status));
    }
    this.#closeIfDone();
  }

  // ---- between exchanges, and closing -------------------------------------------

  /** After a response: close if nothing more will come, else go idle or parse what the pipeline holds. */
  #afterExchange(): void {
    if (this.#state.lifecycle !== "open" || this.#closeIfDone()) return;
    if (this.#isIdle()) this.#idleSince = Date.now();
    this.#reader.pump();
    this.#reader.releaseIfIdle();
  }

  /** Closes once reading is over and every response is written. Returns whether it did. */
  #closeIfDone(): boolean {
    const state = this.#state;
    if (state.reading !== "closed" || this.#queue.length !== 0 || state.writing !== "idle") {
      return false;
    }
    this.#closePolitely();
    return true;
  }

  /** After the last response: what was read beyond it goes unanswered. */
  #closeAfterLast(): void {
    this.#state.closeReading();
    this.#closePolitely();
  }

  /** The exchanges in flight end without their response: the connection is closing or gone. */
  #abandon(reason: unknown): void {
    this.#queue.abandon(reason);
    this.#inBody?.body?.error(reason);
    this.#inBody = null;
  }

  /**
   * Lingering close (RFC 9112 §9.6): half-close, keep reading and discarding
   * for a while, then close. Closing with unread input would make the kernel
   * send a reset, which can destroy the response before the client reads it.
   */
  #closePolitely(linger = true): void {
    const state = this.#state;
    if (state.lifecycle !== "open") return;
    state.lifecycle = "lingering";
    state.closeReading();
    // After a response the peer may still be sending (a pipeline, a body):
    // linger. An idle close owes nothing unread, so the next sweep ends it.
    this.#lingerDeadline = Date.now() + (linger ? LINGER_TIMEOUT : 0);
    this.#abandon(new Error("connection closing"));
    this.#queue.output.flush();
    this.#reader.resumeInput();
    this.#transport.end();
    if (state.input === "ended") this.#destroy();
  }

  #destroy(): void {
    if (this.#state.lifecycle === "closed") return;
    this.#transport.close();
    this.onClose();
  }
}
