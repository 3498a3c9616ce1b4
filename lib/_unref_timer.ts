/**
 * Letting the process exit while only a housekeeping timer is pending.
 *
 * Timers are not part of the `Transport` contract the runtimes
 * supply, and the client's sweeper and the proxy's tunnel linger start them
 * in runtime-neutral code, so the one difference between the runtimes' timer
 * handles is bridged here, by feature, in one place: Node and Bun return an
 * object with `unref()`, Deno returns a number that `Deno.unrefTimer` takes.
 *
 * @module
 */

/** A handle from `setTimeout` or `setInterval` on any of the runtimes. */
export type TimerHandle = ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>;

/** Unref `timer` so that it alone does not keep the process alive. */
export function unrefTimer(timer: TimerHandle): void {
  if (typeof timer === "object" && timer !== null) {
    (timer as { unref?: () => void }).unref?.();
    return;
  }
  const runtimeGlobal = globalThis as { Deno?: { unrefTimer?(id: number): void } };
  runtimeGlobal.Deno?.unrefTimer?.(timer as unknown as number);
}
