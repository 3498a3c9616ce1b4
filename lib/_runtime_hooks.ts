/**
 * The few runtime-specific functions that runtime-neutral code needs, set by
 * the entry points (lib/runtime/*.ts) and read here by everyone else: the
 * connection, the client and the handlers never name a runtime, so what
 * differs between runtimes beyond the `Transport` contract is injected
 * through this one registry.
 *
 * - {@linkcode settledNow}: a promise's outcome read without waiting, where
 *   the runtime can (Bun); null elsewhere, and callers wait with `then`.
 * - {@linkcode unrefTimer}: let the process exit while only a housekeeping
 *   timer is pending. The default handles timer objects (`timer.unref()`:
 *   Node, Bun, and Deno 2.9, measured 2026-11-30); where Deno's timers are
 *   numbers, its entry point installs `Deno.unrefTimer`.
 *
 * Each is a module binding, read as such on the hot path: an entry point
 * installs it once, before a server or client it builds runs.
 *
 * @module
 */

/** What a {@linkcode SettledReader} returns for a promise still pending. */
export const PENDING: unique symbol = Symbol("pending");

/**
 * Reads `promise`'s outcome at once: its value if fulfilled,
 * {@linkcode PENDING} while pending; throws the reason of one already
 * rejected (marked handled first, so the runtime does not report it).
 */
export type SettledReader = <T>(promise: Promise<T>) => T | typeof PENDING;

/** A handle from `setTimeout` or `setInterval` on any of the runtimes. */
export type TimerHandle = ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>;

/** What an entry point may install; a member left out keeps its current value. */
export interface RuntimeHooks {
  /** The runtime's synchronous reader of a promise's state, or null when it has none. */
  readonly settledNow?: SettledReader | null;
  /** Unrefs a timer of this runtime. */
  readonly unrefTimer?: (timer: TimerHandle) => void;
}

/**
 * The runtime's {@linkcode SettledReader}, or null where it has none (the
 * default, until an entry point installs one).
 */
export let settledNow: SettledReader | null = null;

/** Timer handles that are objects (Node, Bun) have `unref()`. */
function unrefTimerObject(timer: TimerHandle): void {
  if (typeof timer === "object" && timer !== null) (timer as { unref?: () => void }).unref?.();
}

let unrefHook: (timer: TimerHandle) => void = unrefTimerObject;

/** Unref `timer` so that it alone does not keep the process alive. */
export function unrefTimer(timer: TimerHandle): void {
  unrefHook(timer);
}

/**
 * Sets the runtime's functions; called by the entry points (lib/runtime/*.ts)
 * when they are loaded.
 *
 * @param hooks the functions to set
 */
export function installRuntimeHooks(hooks: RuntimeHooks): void {
  if (hooks.settledNow !== undefined) settledNow = hooks.settledNow;
  if (hooks.unrefTimer !== undefined) unrefHook = hooks.unrefTimer;
}
