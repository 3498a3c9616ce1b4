/**
 * What each runtime injects into the runtime-neutral layers
 * (`../_runtime_hooks.ts`): Bun's synchronous read of a promise's state
 * (`Bun.peek`, found by shape in `../fetch/settled.ts`), and Deno's way of
 * unreffing a timer whose handle is a number. Node needs neither: its
 * timers have `unref()`, the default (so do Deno 2.9's).
 *
 * Every entry point installs them when it is loaded: `deno.ts` and
 * `bun.ts` for their runtime (`node.ts` has nothing to install), and
 * `detect.ts`, which the package root's `serve()` and `createClient()`
 * load, for the running one (every entry of the package loads one). Code
 * that imports lib/connection directly loads none: it works without them,
 * on the slower, `then`-based path (scripts/bench_exchange.ts installs them).
 *
 * @module
 */

import { installRuntimeHooks, type TimerHandle } from "../_runtime_hooks.ts";
import { settledNow } from "../fetch/settled.ts";

/** A Deno timer handle that is a number goes to `Deno.unrefTimer`; an object has `unref()`. */
function unrefDenoTimer(timer: TimerHandle): void {
  if (typeof timer === "object" && timer !== null) {
    // Deno 2.9 hands out Node-style Timeout objects from the globals too.
    (timer as { unref?: () => void }).unref?.();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  deno?.unrefTimer?.(timer as unknown as number);
}

/**
 * Installs `runtime`'s functions in the runtime-neutral registry. Calling
 * it again (several entry points loaded) sets the same functions.
 *
 * @param runtime the runtime this process runs on
 */
export function installHooksFor(runtime: "deno" | "bun" | "node"): void {
  if (runtime === "deno") installRuntimeHooks({ unrefTimer: unrefDenoTimer });
  else if (runtime === "bun") installRuntimeHooks({ settledNow });
}
