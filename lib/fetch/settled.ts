/**
 * A promise's outcome read without waiting, where the runtime can:
 * `Bun.peek` and `Bun.peek.status` (found by shape, not by runtime name).
 * Elsewhere {@linkcode settledNow} is null and callers wait with `then`.
 *
 * Reading a native response body's stream on Bun, each `read()` of a body
 * held in memory returns a promise already settled; waiting for it through
 * `then` cost two closures, a promise and a microtask turn per read
 * (bench:exchange, 2026-11-30: see outgoing.ts).
 *
 * Only Bun's entry point reads it (lib/runtime/_hooks.ts), and installs it
 * in `../_runtime_hooks.ts`, where the connection layer reads it: nothing
 * below the entry points looks for a runtime.
 *
 * @module
 */

import { PENDING, type SettledReader } from "../_runtime_hooks.ts";

export { PENDING };

/** Bun's `peek`: the value, or the rejection reason, of a settled promise. */
interface Peek {
  (promise: Promise<unknown>): unknown;
  status(promise: Promise<unknown>): "pending" | "fulfilled" | "rejected";
}

function peekOf(): Peek | undefined {
  const candidate = (globalThis as { Bun?: { peek?: Peek } }).Bun?.peek;
  return typeof candidate === "function" && typeof candidate.status === "function"
    ? candidate
    : undefined;
}

const peek = peekOf();

/**
 * The value of `promise` if it is fulfilled already, {@linkcode PENDING}
 * while it is pending; throws the reason of one already rejected (marked
 * handled first, so the runtime does not report it). Null where the runtime
 * cannot read a promise's state synchronously.
 */
export const settledNow: SettledReader | null = peek === undefined
  ? null
  : <T>(promise: Promise<T>): T | typeof PENDING => {
    const status = peek.status(promise);
    if (status === "fulfilled") return peek(promise) as T;
    if (status === "pending") return PENDING;
    promise.catch(() => {});
    throw peek(promise);
  };
