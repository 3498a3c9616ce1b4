/**
 * One persistent connection: parse requests as bytes arrive, hand each to
 * the handler, answer strictly in request order, and decide after every
 * exchange whether the connection lives on.
 *
 * Theory of operation. Reading and writing are two cursors over one queue
 * of exchanges. The read cursor (`#current`) is the request whose body is
 * being parsed; heads after it are parsed only once its body has ended, so
 * a body can never be read as a request. The write cursor is the queue's
 * front: only it may write, so responses leave in request order however the
 * handlers finish. Output is gathered and written once per batch, which is
 * what makes pipelining fast. Timers are not per connection: the server
 * sweeps every connection a few times a second and calls {@linkcode Connection.tick}.
 *
 * @module
 */

import { ProtocolError } from "../codec/errors.ts";
import type { RequestHead } from "../codec/events.ts";
import type { RequestParser } from "../codec/request_parser.ts";
import {
  encodeContinue,
  encodeResponseHead,
  type ResponseFraming,
} from "../codec/response_writer.ts";
import { httpDate } from "./date.ts";
import {
  type ConnectionSettings,
  Exchange,
  LINGER_TIMEOUT,
  PARSE_BUFFER_HIGH_WATER_MARK,
  PIPELINE_DEPTH_LIMIT,
  UNREAD_BODY_DRAIN_LIMIT,
} from "./exchange.ts";
import { createLightRequest } from "../fetch/light_fetch.ts";
import {
  buildRequest,
  IncomingBody,
  isMethodFetchForbids,
  methodAllowsFetchBody,
  normalizeMethod,
  requestUrl,
} from "./incoming.ts";
import { parseConnectionTokens } from "../codec/rules.ts";
import { decidePersistence, type PersistenceFraming } from "./keep_alive.ts";
import { causeOfProtocolError, causeOfSocketClose } from "./close_cause.ts";
import type { CloseCause, ConnectionEventListener } from "./observer.ts";
import type { Handler, ServeInfo } from "./options.ts";
import { prepareResponse } from "./outgoing.ts";
import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { writeBody } from "./write_body.ts";
import { OutputBuffer } from "./output.ts";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly settings: ConnectionSettings;
  readonly handler: Handler;
  readonly onError: (error: unknown) => Response | Promise<Response>;
  /** `host:port` used to build URLs for requests without `Host` (HTTP/1.0). */
  readonly fallbackAuthority: string;
  /** The server is shutting down: answer what is in flight with `Connection: close`. */
  readonly shuttingDown: boolean;
  /** Counts a parsed request (`reused` when not the first on its connection). */
  countRequest(reused: boolean): void;
  /** The connection is gone. */
  connectionClosed(connection: Connection): void;
  /** A parser with the server's limits, fresh or pooled. */
  takeParser(): RequestParser;
  /** A parser back from an idle connection, at rest with nothing buffered. */
  returnParser(parser: RequestParser): void;
  /** The server's observer (observer.ts); null while nobody listens. */
  readonly onConnectionEvent: ConnectionEventListener | null;
}

type Phase = "open" | "lingering" | "closed";

/** The lifecycle of one accepted socket. */
export class Connection implements TransportHandler {
  readonly id: number;
  readonly openedAt: number;
  #host: ConnectionHost;
  #transport: Transport;
  /**
   * Held only while requests are in flight or bytes are buffered: an idle
   * keep-alive connection hands it back to the server's pool, which saves
   * ~0.6 kB of parser state per idle connection.
   */
  #parser: RequestParser | null = null;
  #output: OutputBuffer;
  #phase: Phase = "open";
  #exchanges: Exchange[] = [];
  #current: Exchange | null = null;
  #requestCount = 0;
  #readingHeads = true;
  #parserFailed = false;
  #peerEnded = false;
  #socketPaused = false;
  #pumping = false;
  #pumpAgain = false;
  #writing = false;
  /** When the connection last became idle (0 while busy). */
  #idleSince: number;
  /** When the first byte of the head being parsed arrived (0 when none is). */
  #headStartedAt = 0;
  /** When body bytes last arrived for the request being read. */
  #bodyActivityAt = 0;
  #lingerDeadline = 0;
  /**
   * Why it closes, for observers: set by the first reason to stop reading
   * or to close (every `#closeCause ??=` line), read once it has closed.
   */
  #closeCause: CloseCause | null = null;

  constructor(id: number, transport: Transport, host: ConnectionHost, now: number) {
    this.id = id;
    this.openedAt = now;
    this.#idleSince = now;
    this.#transport = transport;
    this.#host = host;
    this.#output = new OutputBuffer(transport);
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    return this.#transport.remoteAddr;
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
  get state(): "idle" | "busy" | "closing" {
    if (this.#phase !== "open" || !this.#readingHeads) return "closing";
    return this.#isIdle() ? "idle" : "busy";
  }

  /** Milliseconds since the connection went idle, or -1 when busy or closing. */
  idleFor(now: number): number {
    return this.#phase === "open" && this.#readingHeads && this.#isIdle()
      ? now - this.#idleSince
      : -1;
  }

  // ---- socket events -------------------------------------------------------

  onData(chunk: Uint8Array): void {
    if (this.#phase !== "open") return; // lingering: discard what the peer still sends
    if (!this.#readingHeads && this.#current === null) return;
    (this.#parser ??= this.#host.takeParser()).push(chunk);
    this.#pump();
  }

  onEnd(): void {
    this.#peerEnded = true;
    this.#closeCause ??= "client_close";
    if (this.#phase === "lingering") return this.#destroy();
    if (this.#phase !== "open") return;
    (this.#parser ??= this.#host.takeParser()).finish();
    this.#pump();
    // Nothing more can arrive: finish what is in flight, then close.
    this.#readingHeads = false;
    if (this.#exchanges.length === 0 && !this.#writing) this.#closePolitely();
  }

  onDrain(): void {
    this.#output.drained();
  }

  onClose(error?: unknown): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#closeCause ??= causeOfSocketClose(error);
    const reason = error ?? new Error("connection closed");
    for (const exchange of this.#exchanges) exchange.body?.error(reason);
    this.#current?.body?.error(reason);
    this.#exchanges.length = 0;
    this.#current = null;
    this.#output.closed();
    this.#host.connectionClosed(this);
  }

  // ---- timers (called by the server's sweep) ---------------------------------

  /** Applies idle, headers, body and linger timeouts. */
  tick(now: number): void {
    const settings = this.#host.settings;
    if (this.#phase === "lingering") {
      if (now >= this.#lingerDeadline) this.#destroy();
      return;
    }
    if (this.#phase !== "open") return;
    // A peer that stops reading would hold responses in memory forever.
    const blockedSince = this.#output.blockedSince;
    if (blockedSince !== 0 && now - blockedSince >= settings.sendTimeout) {
      this.#closeCause ??= "send_timeout";
      this.#destroy();
      return;
    }
    if (this.#readingHeads && this.#isIdle()) {
      // RFC 9112 §9.8: close idle connections; never before the advertised timeout.
      if (now - this.#idleSince >= settings.keepAliveTimeout) {
        this.#closeCause ??= "idle_timeout";
        this.#closePolitely(false);
      }
      return;
    }
    if (this.#headStartedAt !== 0 && now - this.#headStartedAt >= settings.headersTimeout) {
      this.#failRequest(
        new ProtocolError(408, "headers-timeout", "request header section took too long"),
      );
      return;
    }
    const current = this.#current;
    if (
      current !== null && !current.waitingForRead && this.#bodyActivityAt !== 0 &&
      now - this.#bodyActivityAt >= settings.requestBodyTimeout
    ) {
      this.#failRequest(new ProtocolError(408, "body-timeout", "request body arrived too slowly"));
    }
  }

  /** Graceful shutdown: idle connections close now, busy ones after their in-flight responses. */
  shutdown(): void {
    if (this.#phase !== "open") return;
    this.#closeCause ??= "shutdown";
    this.#readingHeads = false;
    if (this.#isIdle()) this.#closePolitely(false);
    else if (this.#exchanges.length === 0 && !this.#writing) this.#closePolitely();
  }

  /** Closes at once, losing whatever is in flight (shutdown deadline, eviction). */
  destroy(cause: CloseCause = "error"): void {
    this.#closeCause ??= cause;
    this.#destroy();
  }

  // ---- reading ---------------------------------------------------------------

  #isIdle(): boolean {
    return this.#exchanges.length === 0 && this.#current === null && !this.#writing &&
      (this.#parser === null || this.#parser.state === "idle");
  }

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#parseAvailable();
      } while (this.#pumpAgain && this.#phase === "open");
    } finally {
      this.#pumping = false;
    }
    this.#applySocketBackpressure();
  }

  #parseAvailable(): void {
    const parser = this.#parser;
    if (parser === null) return;
    while (this.#phase === "open" && !this.#parserFailed) {
      const current = this.#current;
      if (current === null) {
        if (!this.#readingHeads || this.#exchanges.length >= PIPELINE_DEPTH_LIMIT) return;
      } else if (current.waitingForRead) {
        return;
      }
      let event;
      try {
        event = parser.next();
      } catch (error) {
        this.#failRequest(
          error instanceof ProtocolError
            ? error
            : new ProtocolError(400, "malformed-request", "malformed request"),
        );
        return;
      }
      if (event === null) {
        if (parser.state === "head" && this.#headStartedAt === 0) {
          this.#headStartedAt = Date.now();
        }
        return;
      }
      if (event.type === "head") this.#onHead(event);
      else if (event.type === "data") this.#onBodyData(event.bytes);
      else this.#onBodyEnd();
    }
  }

  #applySocketBackpressure(): void {
    if (this.#phase !== "open") return;
    const full = (this.#parser?.buffered ?? 0) >= PARSE_BUFFER_HIGH_WATER_MARK;
    if (full && !this.#socketPaused) {
      this.#socketPaused = true;
      this.#transport.pause();
    } else if (!full && this.#socketPaused) {
      this.#socketPaused = false;
      this.#transport.resume();
    }
  }

  #onHead(head: RequestHead): void {
    const now = Date.now();
    this.#headStartedAt = 0;
    this.#bodyActivityAt = now;
    const index = ++this.#requestCount;
    this.#host.countRequest(index > 1);
    this.#host.onConnectionEvent?.({ type: "request", id: this.id, time: now, index });
    const exchange = new Exchange(index, head);
    this.#exchanges.push(exchange);
    this.#current = exchange;

    // RFC 9112 §9.6: after a request that closes, read no further requests.
    const tokens = parseConnectionTokens(head.connection);
    if (
      tokens.close || (head.version === "1.0" && !tokens.keepAlive) ||
      index >= this.#host.settings.maxRequestsPerConnection || this.#host.shuttingDown
    ) {
      exchange.last = true;
      this.#readingHeads = false;
      this.#closeCause ??= this.#host.shuttingDown
        ? "shutdown"
        : index >= this.#host.settings.maxRequestsPerConnection
        ? "max_requests"
        : "request_close";
    }

    if (isMethodFetchForbids(head.method)) {
      this.#respond(exchange, plainResponse(501));
      return;
    }
    if (head.framing !== "none" && methodAllowsFetchBody(head.method)) {
      exchange.body = new IncomingBody({
        onPull: (first) => this.#onBodyPull(exchange, first),
        onCancel: () => this.#onBodyPull(exchange, false),
      });
    }
    if (head.expectContinue && this.#host.settings.eagerContinue) this.#sendContinue(exchange);

    let request: Request;
    try {
      const url = requestUrl(head, this.#host.fallbackAuthority);
      const body = exchange.body?.stream ?? null;
      if (!this.#host.settings.lightFetch) request = buildRequest(head, url, body);
      // The real Request would refuse a URL that does not parse, and RFC
      // 3986 allows more in a Host (`%00`, `.0`) than the URL parser does.
      else if (!urlParses(head, url)) throw new TypeError(url);
      else request = createLightRequest(normalizeMethod(head.method), url, head.headers, body);
    } catch {
      exchange.body?.error(new TypeError("invalid request"));
      this.#respond(exchange, plainResponse(400));
      return;
    }
    const info: ServeInfo = {
      remoteAddr: this.#transport.remoteAddr,
      httpVersion: head.version,
      connection: { id: this.id, requestIndex: index },
    };
    let result: Response | Promise<Response>;
    try {
      result = this.#host.handler(request, info);
    } catch (error) {
      this.#onHandlerError(exchange, error);
      return;
    }
    if (result instanceof Response) this.#respond(exchange, result);
    else {
      Promise.resolve(result).then(
        (response) => this.#respond(exchange, response),
        (error) => this.#onHandlerError(exchange, error),
      );
    }
  }

  #onBodyData(bytes: Uint8Array): void {
    this.#bodyActivityAt = Date.now();
    const exchange = this.#current!;
    const body = exchange.body;
    if (body !== null && !body.cancelled && !body.finished) {
      if (!body.push(bytes)) exchange.waitingForRead = true;
      return;
    }
    exchange.discardedBytes += bytes.byteLength;
    if (exchange.discardedBytes > UNREAD_BODY_DRAIN_LIMIT && exchange.response !== null) {
      // Draining would cost more than a new connection: stop after this exchange.
      this.#closeCause ??= "unread_body";
      exchange.last = true;
      this.#readingHeads = false;
      if (!this.#exchanges.includes(exchange)) this.#closePolitely();
    }
  }

  #onBodyEnd(): void {
    const exchange = this.#current!;
    exchange.bodyEnded = true;
    exchange.waitingForRead = false;
    exchange.body?.close();
    this.#current = null;
    this.#bodyActivityAt = 0;
    if (!this.#exchanges.includes(exchange)) {
      // Its response is already written: the connection may go idle now.
      this.#afterExchange();
    }
  }

  #onBodyPull(exchange: Exchange, first: boolean): void {
    if (first && exchange.head?.expectContinue) this.#sendContinue(exchange);
    if (exchange.waitingForRead) {
      exchange.waitingForRead = false;
      this.#pump();
    }
  }

  /** RFC 9110 §10.1.1: tell the client to send the body, unless a response already went out. */
  #sendContinue(exchange: Exchange): void {
    if (exchange.continueSent || exchange.bodyEnded || this.#phase !== "open") return;
    if (exchange.head?.version !== "1.1") return;
    if (this.#exchanges[0] !== exchange || this.#writing) return;
    exchange.continueSent = true;
    this.#output.push(encodeContinue());
    this.#output.flush();
  }

  /** The request cannot be read on: answer its status, then close. */
  #failRequest(error: ProtocolError): void {
    this.#closeCause ??= causeOfProtocolError(error);
    this.#parserFailed = true;
    this.#readingHeads = false;
    this.#headStartedAt = 0;
    const current = this.#current;
    if (current !== null) {
      this.#current = null;
      current.broken = true;
      current.last = true;
      current.body?.error(error);
      if (current.response === null && !current.bodyInUse) {
        this.#respond(current, errorResponse(error));
      }
      if (!this.#exchanges.includes(current) && !this.#writing) this.#closePolitely();
      return;
    }
    const exchange = new Exchange(this.#requestCount + 1, null);
    exchange.last = true;
    exchange.bodyEnded = true;
    this.#exchanges.push(exchange);
    this.#respond(exchange, errorResponse(error));
  }

  #onHandlerError(exchange: Exchange, error: unknown): void {
    if (error instanceof ProtocolError) {
      this.#respond(exchange, errorResponse(error));
      return;
    }
    let result: Response | Promise<Response>;
    try {
      result = this.#host.onError(error);
    } catch {
      result = plainResponse(500);
    }
    Promise.resolve(result).then(
      (response) => this.#respond(exchange, response),
      () => this.#respond(exchange, plainResponse(500)),
    );
  }

  // ---- writing ---------------------------------------------------------------

  #respond(exchange: Exchange, response: unknown): void {
    if (this.#phase === "closed" || exchange.response !== null) return;
    if (!(response instanceof Response)) {
      this.#onHandlerError(exchange, new TypeError("handler did not return a Response"));
      return;
    }
    exchange.response = response;
    if (this.#exchanges[0] === exchange && !this.#writing) this.#writeResponses();
  }

  async #writeResponses(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#phase === "open") {
        const exchange = this.#exchanges[0];
        if (exchange === undefined || exchange.response === null) break;
        const persist = await this.#writeExchange(exchange);
        this.#exchanges.shift();
        this.#host.onConnectionEvent?.({
          type: "response",
          id: this.id,
          time: Date.now(),
          index: exchange.index,
          status: exchange.response?.status ?? 500,
        });
        if (!persist) {
          this.#closeCause ??= "error"; // undecided until now: the body could not be sent whole
          this.#writing = false;
          this.#closeAfter();
          return;
        }
        if (!exchange.bodyEnded && !exchange.bodyInUse && exchange.body !== null) {
          // The handler answered without reading: drain the rest (bounded).
          exchange.waitingForRead = false;
          exchange.body.stream.cancel().catch(() => {});
        }
      }
    } catch {
      this.#writing = false;
      this.#closeCause ??= "error";
      this.#destroy();
      return;
    }
    this.#writing = false;
    this.#output.flush();
    this.#afterExchange();
  }

  /** After a response: go idle, or keep parsing what the pipeline holds. */
  #afterExchange(): void {
    if (this.#phase !== "open") return;
    if (
      !this.#readingHeads && this.#exchanges.length === 0 && this.#current === null &&
      !this.#writing
    ) {
      this.#closePolitely();
      return;
    }
    if (this.#isIdle()) {
      this.#idleSince = Date.now();
      this.#host.onConnectionEvent?.({ type: "idle", id: this.id, time: this.#idleSince });
    }
    this.#pump();
    this.#releaseParserIfIdle();
  }

  /** Hands the parser back to the pool when it holds nothing of this connection. */
  #releaseParserIfIdle(): void {
    const parser = this.#parser;
    if (
      parser === null || this.#phase !== "open" || this.#parserFailed || this.#peerEnded ||
      this.#current !== null || parser.buffered !== 0 || parser.state !== "idle"
    ) return;
    this.#parser = null;
    this.#host.returnParser(parser);
  }

  /** Writes one exchange's response; resolves whether the connection persists. */
  async #writeExchange(exchange: Exchange): Promise<boolean> {
    const head = exchange.head;
    let outgoing;
    try {
      outgoing = await prepareResponse(exchange.response!, exchange.isHead);
    } catch (error) {
      exchange.response = null;
      // A body already used or locked, or a handler bug in its stream.
      void error;
      outgoing = await prepareResponse(plainResponse(500), exchange.isHead);
    }
    if (this.#phase !== "open") return false;

    const version = head?.version ?? "1.1";
    let framing: PersistenceFraming;
    if (outgoing.length.kind === "none") framing = "none";
    else if (outgoing.length.kind === "length") framing = "length";
    else framing = version === "1.1" ? "chunked" : "close";

    const decision = decidePersistence({
      version,
      requestConnection: head?.connection ?? "close",
      responseConnection: outgoing.connection,
      framing,
      requestIndex: exchange.index,
      maxRequests: this.#host.settings.maxRequestsPerConnection,
      mustClose: this.#mustClose(exchange),
    }, {
      enabled: this.#host.settings.keepAliveHint,
      timeoutMs: this.#host.settings.keepAliveTimeout,
    });
    if (!decision.persist) {
      // Left undecided so far: the response's own say, or a body it left unread.
      this.#closeCause ??= this.#mustClose(exchange) ? "unread_body" : "response_close";
      exchange.last = true;
      this.#readingHeads = false;
    }

    const headers = outgoing.headers;
    if (!outgoing.hasDate) headers.push("date", httpDate());
    if (decision.connection !== null) headers.push("connection", decision.connection);
    if (decision.keepAlive !== null) headers.push("keep-alive", decision.keepAlive);
    let wireFraming: ResponseFraming;
    if (outgoing.length.kind === "length") {
      wireFraming = { kind: "length", length: outgoing.length.length };
    } else if (framing === "chunked") wireFraming = { kind: "chunked" };
    else if (framing === "close") wireFraming = { kind: "close" };
    else wireFraming = { kind: "none" };
    this.#output.push(encodeResponseHead({
      status: outgoing.status,
      statusText: outgoing.statusText === "" ? undefined : outgoing.statusText,
      headers,
      framing: wireFraming,
    }));

    // A HEAD response announces the length of a body it never carries.
    const complete = exchange.isHead || await writeBody(this.#output, outgoing, framing);
    return complete && decision.persist;
  }

  /** Reasons outside the headers that forbid persisting after this exchange. */
  #mustClose(exchange: Exchange): boolean {
    if (exchange.last || exchange.broken || this.#peerEnded) return true;
    if (this.#host.shuttingDown && this.#exchanges.length === 1) return true;
    if (exchange.bodyEnded || exchange.bodyInUse || exchange.head === null) return false;
    // The handler answered without reading the body.
    const head = exchange.head;
    if (head.expectContinue && !exchange.continueSent) return true; // the client may never send it
    if (head.framing !== "length") return true;
    const seen = exchange.discardedBytes;
    return head.contentLength - seen > UNREAD_BODY_DRAIN_LIMIT;
  }

  // ---- closing ---------------------------------------------------------------

  /** After the last response: FIN once written, then close when the peer is done. */
  #closeAfter(): void {
    for (const exchange of this.#exchanges) exchange.body?.error(new Error("connection closing"));
    this.#exchanges.length = 0;
    this.#closePolitely();
  }

  /**
   * Lingering close (RFC 9112 §9.6): half-close, keep reading and discarding
   * for a while, then close. Closing with unread input would make the kernel
   * send a reset, which can destroy the response before the client reads it.
   */
  #closePolitely(linger = true): void {
    if (this.#phase !== "open") return;
    this.#phase = "lingering";
    // After a response the peer may still be sending (a pipeline, a body):
    // linger. An idle close owes nothing unread, so the next sweep ends it.
    this.#lingerDeadline = Date.now() + (linger ? LINGER_TIMEOUT : 0);
    this.#current?.body?.error(new Error("connection closing"));
    this.#current = null;
    this.#output.flush();
    if (this.#socketPaused) {
      this.#socketPaused = false;
      this.#transport.resume();
    }
    this.#transport.end();
    if (this.#peerEnded) this.#destroy();
  }

  #destroy(): void {
    if (this.#phase === "closed") return;
    this.#transport.close();
    this.onClose();
  }
}

/** The last Host whose URLs are known to parse: most requests repeat it. */
let lastParsedHost = "";

/**
 * Whether the request's URL parses. Under a given Host every origin-form
 * path does (the URL parser escapes rather than refuses), so the Host is
 * checked once and remembered.
 */
function urlParses(head: RequestHead, url: string): boolean {
  if (head.target.charCodeAt(0) !== 0x2f) return URL.canParse(url);
  const host = head.host;
  if (host === lastParsedHost) return true;
  if (!URL.canParse(url)) return false;
  lastParsedHost = host;
  return true;
}

/** A short plain-text response for a status keepwire answers itself. */
function plainResponse(status: number): Response {
  const text = STATUS_TEXT[status] ?? "Error";
  return new Response(text + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function errorResponse(error: ProtocolError): Response {
  return plainResponse(error.status);
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};
