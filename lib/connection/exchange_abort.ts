/**
 * An exchange's abort without an `AbortController`, for keepwire's own
 * reverse proxy, which hands `request.signal` to its client on every
 * request: on Node, building the controller and adding and removing the
 * client's listener cost ~7 % of a proxied request's CPU (the profile of
 * scripts/bench_proxy_cpu.ts). The exchange (`exchange_outcome.ts`) aborts
 * it exactly when it aborts `request.signal`.
 *
 * @module
 */

/**
 * The key of an exchange's {@linkcode ExchangeAbort}: `info[exchangeAbort]`
 * in a handler of keepwire's own (the reverse proxy) that hands the
 * request's fate to its client. Not exported from mod.ts.
 */
export const exchangeAbort: unique symbol = Symbol("keepwire.exchangeAbort");

/**
 * The part of an `AbortSignal` keepwire's client reads (`aborted`, `reason`,
 * `throwIfAborted`, `abort` listeners). Made when first read.
 */
export class ExchangeAbort {
  aborted = false;
  reason: unknown = undefined;
  #listeners: (() => void)[] | null = null;

  /** Throws the reason once aborted, as `AbortSignal.throwIfAborted()`. */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** As `AbortSignal`'s, for `"abort"` (a listener runs once, as with `{ once: true }`). */
  addEventListener(type: string, listener: () => void, _options?: unknown): void {
    if (type === "abort" && !this.aborted) (this.#listeners ??= []).push(listener);
  }

  /** As `AbortSignal`'s, for `"abort"`. */
  removeEventListener(type: string, listener: () => void): void {
    const at = type === "abort" ? this.#listeners?.indexOf(listener) ?? -1 : -1;
    if (at !== -1) this.#listeners!.splice(at, 1);
  }

  /** Aborts (once) and runs the listeners. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = null;
    for (const listener of listeners ?? []) {
      // As an AbortSignal does: one listener's error is reported, not
      // allowed to stop the others or unwind into whoever aborted.
      try {
        listener();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
