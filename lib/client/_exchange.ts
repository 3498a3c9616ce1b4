/**
 * One request/response on a client connection: what to write, and the
 * promise of the response head with its body. The connection feeds it
 * parser events; it turns them into a body (bytes when the whole body came
 * with the head, a `ReadableStream` otherwise) and settles once.
 *
 * @module
 */

import type { ResponseHead, ResponseInterim } from "../codec/response_events.ts";
import type { AbortSignalLike } from "./_prepare.ts";

const ONCE = { once: true };

/** The request as the connection writes it. */
export interface OutgoingRequest {
  /** The method (frames the response: HEAD has no content). */
  readonly method: string;
  /** The encoded request head. */
  readonly head: Uint8Array;
  /** The body: bytes, a stream (sent chunked), or none. */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** A stream body's declared length (sent as is); undefined: the stream is sent chunked. */
  readonly streamLength?: number;
  /** Wait for `100 Continue` before sending the body. */
  readonly expectContinue: boolean;
  /** The request carried `Connection: close`. */
  readonly saysClose: boolean;
  /** Told of each interim (1xx) response (see `PreparedRequest`). */
  readonly onInterim?: (interim: ResponseInterim) => void;
}

/** A settled exchange: the head and its body. */
export interface ExchangeResult {
  /** The final response head. */
  readonly head: ResponseHead;
  /** The body: null for none, bytes when it was complete at once, else a stream. */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/** How an exchange failed, for the retry rules. */
export interface ExchangeFailure {
  /** The error to report. */
  readonly error: unknown;
  /** The connection had carried a request before this one. */
  readonly reused: boolean;
  /** No byte of this exchange's response had arrived. */
  readonly beforeResponse: boolean;
}

/** Hooks the exchange needs from its connection. */
export interface BodyFlow {
  /** The reader wants more: resume reading the socket. */
  resumeReading(): void;
  /** The queue is full: pause reading. */
  pauseReading(): void;
  /** The caller cancelled a body still arriving: the connection cannot be reused. */
  cancelBody(exchange: Exchange): void;
}

// Bytes of body the stream buffers before the socket is paused.
const BODY_HIGH_WATER_MARK = 64 * 1024;

/** One exchange; created by the client, driven by the connection. */
export class Exchange {
  readonly request: OutgoingRequest;
  /** Set when the connection writes it. */
  reused = false;
  /** A byte of the response has arrived. */
  started = false;
  /** The request body has been written completely. */
  bodySent = false;
  /** Runs the deferred body write once `100 Continue` (or its timeout) comes. */
  sendBody: (() => void) | null = null;
  head: ResponseHead | null = null;
  done = false;
  /**
   * The abort signal watched while the exchange runs, and its listener:
   * removed once the response is complete or the exchange failed.
   */
  #abortSignal: AbortSignalLike | null = null;
  #onAbort: (() => void) | null = null;
  readonly settled: Promise<ExchangeResult>;
  #resolve!: (result: ExchangeResult) => void;
  #reject!: (failure: ExchangeFailure) => void;
  #isSettled = false;
  #chunks: Uint8Array[] = [];
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #streamClosed = false;

  constructor(request: OutgoingRequest) {
    this.request = request;
    this.settled = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject as (failure: ExchangeFailure) => void;
    });
  }

  /** True once the caller has the head (a stream may still be filling). */
  get resolved(): boolean {
    return this.#isSettled;
  }

  /**
   * Runs `onAbort` if `signal` aborts before the exchange is done (once:
   * the listener goes when it is).
   */
  watchAbort(signal: AbortSignalLike, onAbort: () => void): void {
    this.#abortSignal = signal;
    this.#onAbort = onAbort;
    signal.addEventListener("abort", onAbort, ONCE);
  }

  #stopWatching(): void {
    const onAbort = this.#onAbort;
    if (onAbort === null) return;
    this.#onAbort = null;
    this.#abortSignal!.removeEventListener("abort", onAbort);
  }

  /** Body bytes arrived. */
  data(bytes: Uint8Array, flow: BodyFlow): void {
    const controller = this.#controller;
    if (controller === null) {
      this.#chunks.push(bytes);
      return;
    }
    if (this.#streamClosed) return;
    controller.enqueue(bytes);
    if ((controller.desiredSize ?? 1) <= 0) flow.pauseReading();
  }

  /** The response ended: settle with the whole body, or close the stream. */
  end(): void {
    this.done = true;
    this.#stopWatching();
    if (!this.#isSettled) {
      this.#settle(this.#wholeBody());
      return;
    }
    if (this.#controller !== null && !this.#streamClosed) {
      this.#streamClosed = true;
      this.#controller.close();
    }
  }

  /** The head arrived and more body is to come: settle with a stream. */
  settleStreaming(flow: BodyFlow): void {
    if (this.#isSettled) return;
    const pending = this.#chunks;
    this.#chunks = [];
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        for (const chunk of pending) controller.enqueue(chunk);
      },
      pull: () => flow.resumeReading(),
      cancel: () => {
        this.#streamClosed = true;
        if (!this.done) flow.cancelBody(this);
      },
    }, { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength });
    this.#settle(stream);
  }

  /** The exchange failed: reject, or error the body stream the caller already has. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.#stopWatching();
    if (!this.#isSettled) {
      this.#isSettled = true;
      this.#reject({ error, reused: this.reused, beforeResponse: !this.started });
      return;
    }
    if (this.#controller !== null && !this.#streamClosed) {
      this.#streamClosed = true;
      this.#controller.error(error);
    }
  }

  #wholeBody(): Uint8Array | null {
    const chunks = this.#chunks;
    this.#chunks = [];
    if (chunks.length === 0) return this.head!.framing === "none" ? null : new Uint8Array(0);
    if (chunks.length === 1) return chunks[0];
    let total = 0;
    for (const chunk of chunks) total += chunk.byteLength;
    const body = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return body;
  }

  #settle(body: Uint8Array | ReadableStream<Uint8Array> | null): void {
    this.#isSettled = true;
    this.#resolve({ head: this.head!, body });
  }
}
