/**
 * What a handler can learn about the fate of its exchange: `request.signal`,
 * which aborts when the connection closes or fails before the response is
 * fully written, and `info.completed`, which settles when the response's
 * last byte is handed to the socket (or cannot be).
 *
 * Both are made only when a handler asks: an `AbortController` and a promise
 * per request cost more than the rest of a small exchange on some runtimes
 * (a `Request` built with a `signal` measured 2–5× a plain one on Deno and
 * Node, where the constructor links a dependent signal). The connection
 * reports what happens, whether or not anyone is listening.
 *
 * @module
 */

import { NativeRequest } from "../fetch/_native.ts";
import { ExchangeAbort, exchangeAbort } from "./exchange_abort.ts";

/** Where an exchange stands, as far as its handler is concerned. */
type Fate = "open" | "aborted" | "completed" | "failed";

/**
 * One exchange's signal and completion. The connection calls
 * {@linkcode abort}, {@linkcode complete} and {@linkcode fail}; the handler
 * reads {@linkcode signal} (through `request.signal`) and
 * {@linkcode completed} (through `info.completed`). The exchange itself
 * extends it (`exchange.ts`): one object per request, not two.
 */
export class ExchangeOutcome {
  #fate: Fate = "open";
  #reason: unknown = undefined;
  #controller: AbortController | null = null;
  #abort: ExchangeAbort | null = null;
  #completed: Promise<void> | null = null;
  #settle: ((ok: boolean) => void) | null = null;
  #streaming: ReadableStreamDefaultReader<unknown> | null = null;

  /** Aborts once the client is gone or the connection fails before the response is complete; never after. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#fate === "aborted" || this.#fate === "failed") this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** {@linkcode signal}'s aborts without an `AbortController`, for keepwire's own proxy. */
  get [exchangeAbort](): ExchangeAbort {
    if (this.#abort === null) {
      this.#abort = new ExchangeAbort();
      if (this.#fate === "aborted" || this.#fate === "failed") this.#abort.abort(this.#reason);
    }
    return this.#abort;
  }

  /**
   * Resolves when the response's last byte is handed to the socket; rejects
   * when it could not be. Marked handled: nobody has to observe it.
   */
  get completed(): Promise<void> {
    if (this.#completed === null) {
      if (this.#fate === "completed") this.#completed = Promise.resolve();
      else if (this.#fate === "failed") this.#completed = Promise.reject(this.#reason);
      else {
        this.#completed = new Promise<void>((resolve, reject) => {
          this.#settle = (ok) => (ok ? resolve() : reject(this.#reason));
        });
      }
      this.#completed.catch(() => {});
    }
    return this.#completed;
  }

  /** The signal has aborted (whether or not anyone has read it). */
  get aborted(): boolean {
    return this.#fate === "aborted" || this.#fate === "failed";
  }

  /** The exchange can no longer complete. */
  get failed(): boolean {
    return this.#fate === "failed";
  }

  /**
   * The client is gone as far as the handler should care (its FIN arrived
   * while the request was in flight): abort the signal. A response not yet
   * started may still be written (a half-closed client still reads), so
   * completion stays open; a body being streamed is cancelled, as the
   * client most likely left ({@linkcode fail}).
   */
  abort(reason: unknown): void {
    if (this.#fate !== "open") return;
    this.#fate = "aborted";
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#abort?.abort(reason);
    if (this.#streaming !== null) this.fail(reason);
  }

  /** The response's last byte was handed to the socket. The signal never aborts after this. */
  complete(): void {
    if (this.#fate === "completed" || this.#fate === "failed") return;
    this.#fate = "completed";
    this.#streaming = null;
    this.#settle?.(true);
  }

  /**
   * The response cannot be written to its end (the connection closed or
   * failed, the body stream failed): abort the signal, reject `completed`,
   * and cancel the body being streamed at once so its source stops now,
   * not when its next chunk is ready.
   */
  fail(reason: unknown): void {
    if (this.#fate === "completed" || this.#fate === "failed") return;
    const wasAborted = this.#fate === "aborted";
    this.#fate = "failed";
    if (!wasAborted) {
      this.#reason = reason;
      this.#controller?.abort(reason);
      this.#abort?.abort(reason);
    }
    this.#settle?.(false);
    const reader = this.#streaming;
    this.#streaming = null;
    reader?.cancel(this.#reason).catch(() => {});
  }

  /**
   * The response body is being read from `reader` (null: done). {@linkcode fail}
   * cancels it; a client that has left already ({@linkcode abort} came
   * first) gets no streamed body, so it is cancelled at once.
   */
  streaming(reader: ReadableStreamDefaultReader<unknown> | null): void {
    this.#streaming = reader;
    if (reader !== null && this.#fate === "aborted") this.fail(this.#reason);
    else if (reader !== null && this.#fate === "failed") {
      this.#streaming = null;
      reader.cancel(this.#reason).catch(() => {});
    }
  }
}

/** The abort reason when the client closes or resets the connection first (`cause`: the socket's error, if any). */
export function clientGone(cause?: unknown): DOMException {
  const reason = new DOMException("the client closed the connection", "AbortError");
  if (cause !== undefined) Object.defineProperty(reason, "cause", { value: cause });
  return reason;
}

/** The abort reason when the server closes the connection first (shutdown past its timeout, eviction, send timeout). */
export function serverClosed(): DOMException {
  return new DOMException("the server closed the connection", "AbortError");
}

/**
 * The native `Request` a handler receives, with `signal` answered by its
 * exchange. Passing a `signal` to the constructor instead would link a
 * dependent signal on every request, used or not; this one is made when
 * read. `request.clone()` and `new Request(request)` follow it where the
 * runtime reads `signal` through the property (Node); `fetch(request)` may
 * not, so a handler that forwards a request passes `signal: request.signal`.
 */
export class ServedRequest extends NativeRequest {
  #outcome: ExchangeOutcome;

  constructor(url: string, init: RequestInit, outcome: ExchangeOutcome) {
    super(url, init);
    this.#outcome = outcome;
  }

  // `signal` aborts when the client goes away before the response is fully
  // written. It is defined on the prototype rather than as an accessor in the
  // class body: the declarations the npm build emits would otherwise
  // override @types/node's `Request.signal` property with an accessor, which
  // `tsc` refuses (TS2611) in every Node user's type check.
  static {
    Object.defineProperty(this.prototype, "signal", {
      configurable: true,
      enumerable: true,
      get(this: ServedRequest): AbortSignal {
        return this.#outcome.signal;
      },
    });
  }
}

/** An error that only says the request was aborted (what `signal.throwIfAborted()` and an aborted `fetch` throw). */
export function isAbortError(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as { name?: unknown }).name === "AbortError";
}
