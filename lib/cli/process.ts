/**
 * The few process facilities the CLI needs — arguments, exit, and shutdown
 * signals — on Deno, Bun and Node, without importing any runtime module.
 *
 * Only the members used here are declared, as hono's adapters do: Deno is
 * detected first because Deno 2 also exposes a Node-compatible `process`.
 *
 * @module
 */

/** The signals that ask the CLI to shut down gracefully. */
export type ShutdownSignal = "SIGINT" | "SIGTERM";

interface DenoProcess {
  readonly args: string[];
  readonly build: { readonly os: string };
  exit(code: number): never;
  addSignalListener(signal: ShutdownSignal, listener: () => void): void;
  removeSignalListener(signal: ShutdownSignal, listener: () => void): void;
}

interface NodeProcess {
  readonly argv: string[];
  readonly platform: string;
  exit(code: number): never;
  on(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
}

const runtime = globalThis as unknown as { Deno?: DenoProcess; process?: NodeProcess };

/**
 * The command-line arguments after the runtime and the script.
 *
 * @example
 * ```ts
 * import { commandLineArgs } from "./process.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Array.isArray(commandLineArgs()));
 * ```
 *
 * @returns the arguments (a copy)
 */
export function commandLineArgs(): string[] {
  if (runtime.Deno !== undefined) return [...runtime.Deno.args];
  if (runtime.process !== undefined) return runtime.process.argv.slice(2);
  return [];
}

/**
 * Ends the process with `code`.
 *
 * @example
 * ```ts ignore
 * import { exitProcess } from "./process.ts";
 *
 * exitProcess(0);
 * ```
 *
 * @param code the exit status
 * @returns never
 */
export function exitProcess(code: number): never {
  if (runtime.Deno !== undefined) runtime.Deno.exit(code);
  if (runtime.process !== undefined) runtime.process.exit(code);
  throw new Error(`exit ${code}: no process to exit`);
}

/**
 * Calls `listener` once when SIGINT or SIGTERM arrives; returns a function
 * that removes the listeners. Signals the platform cannot watch (SIGTERM on
 * Windows under Deno) are skipped rather than fatal.
 *
 * While installed, the listeners replace the default "terminate at once"
 * action, which is the point: the server gets to finish in-flight requests.
 *
 * @example
 * ```ts
 * import { onShutdownSignal } from "./process.ts";
 *
 * const stop = onShutdownSignal((signal) => console.log(`got ${signal}`));
 * stop();
 * ```
 *
 * @param listener called with the signal's name, at most once
 * @returns a function that removes the listeners
 */
export function onShutdownSignal(listener: (signal: ShutdownSignal) => void): () => void {
  const signals: ShutdownSignal[] = ["SIGINT", "SIGTERM"];
  const removers: Array<() => void> = [];
  let fired = false;
  const remove = (): void => {
    for (const removeOne of removers.splice(0)) removeOne();
  };
  for (const signal of signals) {
    const onSignal = (): void => {
      if (fired) return;
      fired = true;
      listener(signal);
    };
    const deno = runtime.Deno;
    const node = runtime.process;
    try {
      if (deno !== undefined) {
        deno.addSignalListener(signal, onSignal);
        removers.push(() => deno.removeSignalListener(signal, onSignal));
      } else if (node !== undefined) {
        node.on(signal, onSignal);
        removers.push(() => node.off(signal, onSignal));
      }
    } catch {
      // Deno on Windows only lets SIGINT and SIGBREAK be watched; SIGTERM throws.
    }
  }
  return remove;
}
