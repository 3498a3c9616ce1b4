/**
 * The read side of a connection: the parser (borrowed from the server's
 * pool only while it holds something), the pump that turns buffered bytes
 * into events while the connection's state lets it take them, where each
 * request body's bytes go (the handler's stream, or drained), and TCP
 * backpressure on the socket when the parser holds enough.
 *
 * @module
 */

import { ProtocolError } from "../codec/errors.ts";
import type { RequestEvent, RequestHead } from "../codec/events.ts";
import type { RequestParser } from "../codec/request_parser.ts";
import {
  type ConnectionSettings,
  type Exchange,
  PARSE_BUFFER_HIGH_WATER_MARK,
} from "./exchange.ts";
import { IncomingBody } from "./incoming.ts";
import type { ConnectionState } from "./state.ts";
import type { Transport } from "../transport.ts";

/** Where parsers come from and go back to. */
export interface ParserPool {
  /** A parser with the server's limits, fresh or pooled. */
  takeParser(): RequestParser;
  /** A parser back from an idle connection, at rest with nothing buffered. */
  returnParser(parser: RequestParser): void;
}

/** What the reader asks and tells its connection. */
export interface ReadEvents {
  /** Whether another head may be parsed now (the pipeline is not full). */
  takesHead(): boolean;
  /** A request head: the connection starts its exchange. */
  onHead(head: RequestHead): Exchange;
  /** The handler asked for the body for the first time (the moment for `100 Continue`). */
  onFirstRead(exchange: Exchange): void;
  /** The exchange's body ended (its response may be written already). */
  onBodyEnd(exchange: Exchange): void;
  /** An unread body passed the drain bound: nothing more will be read. */
  onDrainOverrun(): void;
  /** The bytes are not HTTP: nothing more can be read. */
  failRequest(error: ProtocolError): void;
}

/** What a reader needs of its connection. */
export type ReaderHost = ConnectionState & ReadEvents & ParserPool;

/** The parser, the pump and the request bodies of one connection. */
export class RequestReader {
  /** When the first byte of the head being parsed arrived (0 when none is). */
  headStartedAt = 0;
  /** When the first byte of the request whose body is being read arrived (0 when none is). */
  requestStartedAt = 0;
  /** When body bytes last arrived for the request being read. */
  bodyActivityAt = 0;
  /** The exchange whose body is being read: set exactly while reading is `"body"`. */
  inBody: Exchange | null = null;
  /**
   * Held only while requests are in flight or bytes are buffered: an idle
   * keep-alive connection hands it back to the server's pool, which saves
   * ~0.6 kB of parser state per idle connection.
   */
  #parser: RequestParser | null = null;
  /** Re-entrancy of `pump` (a handler may read its body from inside a parse run). */
  #pumping: "no" | "yes" | "again" = "no";
  #transport: Transport;
  /**
   * The connection: its state, the events the reader tells it, and where
   * parsers come from. One field for the three (it is all of them): every
   * idle connection holds a reader, and JavaScriptCore sized it at 112 B
   * with ten fields, 80 B with eight (Bun 1.4.5, 2026-11-30).
   */
  #connection: ReaderHost;

  constructor(transport: Transport, connection: ReaderHost) {
    this.#transport = transport;
    this.#connection = connection;
  }

  /** Nothing of a request is buffered or half-parsed. */
  get atRest(): boolean {
    return this.#parser === null || this.#parser.state === "idle";
  }

  /** No parser, no body, no read under way: the connection may drop it while idle. */
  get holdsNothing(): boolean {
    return this.#parser === null && this.inBody === null && this.#pumping === "no" &&
      this.headStartedAt === 0;
  }

  /** Bytes from the socket. */
  push(chunk: Uint8Array): void {
    (this.#parser ??= this.#connection.takeParser()).push(chunk);
    this.pump();
  }

  /** The peer's FIN: parse what is left; an unfinished request is malformed. */
  finish(): void {
    (this.#parser ??= this.#connection.takeParser()).finish();
    this.pump();
  }

  /** Removes the bytes read but not parsed: the upgraded protocol's first bytes. */
  takeBuffered(): Uint8Array {
    const parser = this.#parser;
    return parser === null ? new Uint8Array(0) : parser.takeBuffered();
  }

  /** Parses as far as the buffered bytes and the connection's state allow. */
  pump(): void {
    if (this.#pumping !== "no") {
      this.#pumping = "again";
      return;
    }
    try {
      do {
        this.#pumping = "yes";
        this.#parseAvailable();
      } while (this.#again() && this.#connection.lifecycle === "open");
    } finally {
      this.#pumping = "no";
    }
    this.#applyBackpressure();
  }

  #again(): boolean {
    return this.#pumping === "again";
  }

  /** The state gates the parser: no head past the last request or a full pipeline, no body bytes the stream cannot take. */
  #takesEvent(): boolean {
    const reading = this.#connection.reading;
    if (reading === "head") return this.#connection.takesHead();
    return reading === "body" && this.inBody!.bodyState !== "paused";
  }

  #parseAvailable(): void {
    const parser = this.#parser;
    if (parser === null) return;
    while (this.#connection.lifecycle === "open" && this.#takesEvent()) {
      let event: RequestEvent | null;
      try {
        event = parser.next();
      } catch (error) {
        this.#connection.failRequest(
          error instanceof ProtocolError
            ? error
            : new ProtocolError(400, "malformed-request", "malformed request"),
        );
        return;
      }
      if (event === null) {
        if (parser.state === "head" && this.headStartedAt === 0) this.headStartedAt = Date.now();
        return;
      }
      if (event.type === "head") this.#onHead(event);
      else if (event.type === "data") this.#onBodyData(event.bytes);
      else this.#onBodyEnd();
    }
  }

  #onHead(head: RequestHead): void {
    const now = Date.now();
    // A head that arrived in one piece started now.
    this.requestStartedAt = this.headStartedAt === 0 ? now : this.headStartedAt;
    this.headStartedAt = 0;
    this.bodyActivityAt = now;
    this.#connection.headParsed();
    this.inBody = this.#connection.onHead(head);
  }

  /** A body Fetch can carry is streamed to the handler (as it reads); any other is drained. */
  openBody(exchange: Exchange): ReadableStream<Uint8Array> {
    exchange.body = new IncomingBody({
      onPull: (first) => this.#onBodyPull(exchange, first),
      onCancel: () => this.#stopReadingBody(exchange),
    });
    exchange.bodyState = "stream";
    return exchange.body.stream;
  }

  #onBodyData(bytes: Uint8Array): void {
    this.bodyActivityAt = Date.now();
    const exchange = this.inBody!;
    exchange.received += bytes.byteLength;
    if (exchange.bodyState === "stream") {
      if (!exchange.body!.push(bytes)) exchange.bodyState = "paused";
      return;
    }
    exchange.drainBudget -= bytes.byteLength;
    if (exchange.drainBudget < 0) {
      // Draining would cost more than a new connection: stop after this exchange.
      this.#endBody(exchange, "failed");
      this.#connection.onDrainOverrun();
    }
  }

  #onBodyEnd(): void {
    const exchange = this.inBody!;
    this.#endBody(exchange, "ended");
    exchange.body?.close();
    this.#connection.bodyEnded();
    this.#connection.onBodyEnd(exchange);
  }

  #endBody(exchange: Exchange, end: "ended" | "failed"): void {
    exchange.bodyState = end;
    this.inBody = null;
    this.requestStartedAt = 0;
    this.bodyActivityAt = 0;
  }

  #onBodyPull(exchange: Exchange, first: boolean): void {
    if (first) this.#connection.onFirstRead(exchange);
    if (exchange.bodyState === "paused") {
      exchange.bodyState = "stream";
      this.pump();
    }
  }

  /** Nobody will read the rest of this body: drain it (bounded once its response is decided). */
  #stopReadingBody(exchange: Exchange): void {
    if (exchange.bodyState !== "stream" && exchange.bodyState !== "paused") return;
    exchange.bodyState = "drain";
    this.pump();
  }

  /** The handler answered without reading its whole body: the rest is drained. */
  drainBody(exchange: Exchange): void {
    this.#stopReadingBody(exchange);
    exchange.body?.stream.cancel().catch(() => {});
  }

  /** The body being read cannot be read on (protocol error, timeout); returns its exchange. */
  failBody(error: unknown): Exchange | null {
    const exchange = this.inBody;
    this.headStartedAt = 0;
    if (exchange === null) return null;
    this.#endBody(exchange, "failed");
    exchange.body?.error(error);
    return exchange;
  }

  /** The read that has run out of time at `now`, as the 408 to answer; null when none has. */
  overdue(now: number, settings: ConnectionSettings): ProtocolError | null {
    if (this.headStartedAt !== 0 && now - this.headStartedAt >= settings.headersTimeout) {
      return new ProtocolError(408, "headers-timeout", "request header section took too long");
    }
    const inBody = this.inBody;
    // node:http's requestTimeout: the whole request, however steadily it trickles.
    const requestStartedAt = inBody !== null ? this.requestStartedAt : this.headStartedAt;
    if (
      settings.requestTimeout > 0 && requestStartedAt !== 0 &&
      now - requestStartedAt >= settings.requestTimeout
    ) return new ProtocolError(408, "request-timeout", "request took too long to arrive");
    // A body waiting for its handler to read is not late: the handler is.
    if (
      inBody !== null && inBody.bodyState !== "paused" && this.bodyActivityAt !== 0 &&
      now - this.bodyActivityAt >= settings.requestBodyTimeout
    ) return new ProtocolError(408, "body-timeout", "request body arrived too slowly");
    return null;
  }

  /** Stops reading the socket while the parser holds enough, so TCP pushes back on the peer. */
  #applyBackpressure(): void {
    const state = this.#connection;
    if (state.lifecycle !== "open" || state.input === "ended") return;
    const full = (this.#parser?.buffered ?? 0) >= PARSE_BUFFER_HIGH_WATER_MARK;
    if (full && state.input === "flowing") {
      state.input = "paused";
      this.#transport.pause();
    } else if (!full && state.input === "paused") this.resumeInput();
  }

  /** Reads the socket again (closing: what still arrives is discarded). */
  resumeInput(): void {
    if (this.#connection.input !== "paused") return;
    this.#connection.input = "flowing";
    this.#transport.resume();
  }

  /** Hands the parser back to the pool when it holds nothing of this connection. */
  releaseIfIdle(): void {
    const parser = this.#parser;
    const state = this.#connection;
    if (
      parser === null || state.lifecycle !== "open" || state.reading !== "head" ||
      state.input === "ended" || parser.buffered !== 0 || parser.state !== "idle"
    ) return;
    this.#parser = null;
    this.#connection.returnParser(parser);
  }
}
