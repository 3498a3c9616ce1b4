/**
 * The read side of a connection: the parser (borrowed from the server's
 * pool only while it holds something), the pump that turns buffered bytes
 * into events while the connection's state lets it take them, and TCP
 * backpressure on the socket when the parser holds enough.
 *
 * @module
 */

import { ProtocolError } from "../codec/errors.ts";
import type { RequestEvent, RequestHead } from "../codec/events.ts";
import type { RequestParser } from "../codec/request_parser.ts";
import { PARSE_BUFFER_HIGH_WATER_MARK } from "./exchange.ts";
import type { ConnectionState } from "./state.ts";
import type { Transport } from "./transport.ts";

/** Where parsers come from and go back to. */
export interface ParserPool {
  /** A parser with the server's limits, fresh or pooled. */
  takeParser(): RequestParser;
  /** A parser back from an idle connection, at rest with nothing buffered. */
  returnParser(parser: RequestParser): void;
}

/** What the reader hands its connection. */
export interface ReadEvents {
  /** Whether the connection takes another event now (a full pipeline or a full body stream wait). */
  takesEvent(): boolean;
  onHead(head: RequestHead): void;
  onBodyData(bytes: Uint8Array): void;
  onBodyEnd(): void;
  /** The bytes are not HTTP: nothing more can be read. */
  onMalformed(error: ProtocolError): void;
}

/** The parser and the pump of one connection. */
export class RequestReader {
  /** When the first byte of the head being parsed arrived (0 when none is). */
  headStartedAt = 0;
  /**
   * Held only while requests are in flight or bytes are buffered: an idle
   * keep-alive connection hands it back to the server's pool, which saves
   * ~0.6 kB of parser state per idle connection.
   */
  #parser: RequestParser | null = null;
  /** Re-entrancy of `pump` (a handler may read its body from inside a parse run). */
  #pumping: "no" | "yes" | "again" = "no";
  #pool: ParserPool;
  #transport: Transport;
  #state: ConnectionState;
  #events: ReadEvents;

  constructor(pool: ParserPool, transport: Transport, state: ConnectionState, events: ReadEvents) {
    this.#pool = pool;
    this.#transport = transport;
    this.#state = state;
    this.#events = events;
  }

  /** Nothing of a request is buffered or half-parsed. */
  get atRest(): boolean {
    return this.#parser === null || this.#parser.state === "idle";
  }

  /** Bytes from the socket. */
  push(chunk: Uint8Array): void {
    (this.#parser ??= this.#pool.takeParser()).push(chunk);
    this.pump();
  }

  /** The peer's FIN: parse what is left; an unfinished request is malformed. */
  finish(): void {
    (this.#parser ??= this.#pool.takeParser()).finish();
    this.pump();
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
      } while (this.#again() && this.#state.lifecycle === "open");
    } finally {
      this.#pumping = "no";
    }
    this.#applyBackpressure();
  }

  #again(): boolean {
    return this.#pumping === "again";
  }

  #parseAvailable(): void {
    const parser = this.#parser;
    if (parser === null) return;
    const events = this.#events;
    while (this.#state.lifecycle === "open" && events.takesEvent()) {
      let event: RequestEvent | null;
      try {
        event = parser.next();
      } catch (error) {
        events.onMalformed(
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
      if (event.type === "head") {
        this.headStartedAt = 0;
        events.onHead(event);
      } else if (event.type === "data") events.onBodyData(event.bytes);
      else events.onBodyEnd();
    }
  }

  /** Stops reading the socket while the parser holds enough, so TCP pushes back on the peer. */
  #applyBackpressure(): void {
    const state = this.#state;
    if (state.lifecycle !== "open" || state.input === "ended") return;
    const full = (this.#parser?.buffered ?? 0) >= PARSE_BUFFER_HIGH_WATER_MARK;
    if (full && state.input === "flowing") {
      state.input = "paused";
      this.#transport.pause();
    } else if (!full && state.input === "paused") this.resumeInput();
  }

  /** Reads the socket again (closing: what still arrives is discarded). */
  resumeInput(): void {
    if (this.#state.input !== "paused") return;
    this.#state.input = "flowing";
    this.#transport.resume();
  }

  /** Hands the parser back to the pool when it holds nothing of this connection. */
  releaseIfIdle(): void {
    const parser = this.#parser;
    const state = this.#state;
    if (
      parser === null || state.lifecycle !== "open" || state.reading !== "head" ||
      state.input === "ended" || parser.buffered !== 0 || parser.state !== "idle"
    ) return;
    this.#parser = null;
    this.#pool.returnParser(parser);
  }
}
