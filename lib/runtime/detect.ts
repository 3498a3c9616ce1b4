/**
 * Pick the socket shim for the runtime this code is running on.
 *
 * The shims are loaded with dynamic `import()` so a Node bundle never
 * evaluates the Deno or Bun shim (and the reverse): each names globals that
 * exist only on its own runtime.
 *
 * @module
 */

import type { ListenFunction } from "../connection/transport.ts";
// Re-exported so this entry point documents the types its exports use.
export type {
  Listener,
  ListenFunction,
  ListenOptions,
  NetAddr,
  Transport,
  TransportHandler,
} from "../connection/transport.ts";

/**
 * The runtimes keepwire has a socket shim for.
 *
 * @example
 * ```ts
 * import { detectRuntime, type RuntimeName } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const runtime: RuntimeName = detectRuntime();
 * assert.ok(["deno", "bun", "node"].includes(runtime));
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node";

/**
 * Name the runtime executing this code.
 *
 * Deno is checked first and Bun second because both also provide a
 * Node-compatible `process`; whatever has neither global is treated as Node.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["deno", "bun", "node"].includes(detectRuntime()));
 * ```
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Deno?: { version?: { deno?: string } }; Bun?: unknown };
  if (typeof global.Deno?.version?.deno === "string") return "deno";
  if (global.Bun !== undefined) return "bun";
  return "node";
}

/**
 * Load the {@linkcode ListenFunction} of the running runtime's shim.
 *
 * @example Bind a free port with whichever runtime runs this
 * ```ts
 * import { listenForRuntime } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const listen = await listenForRuntime();
 * const listener = await listen({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
 *   onData: () => transport.close(),
 *   onEnd: () => transport.close(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * assert.ok(listener.addr.port > 0);
 * await listener.close();
 * ```
 */
export async function listenForRuntime(): Promise<ListenFunction> {
  switch (detectRuntime()) {
    case "deno":
      return (await import("./deno.ts")).listenDeno;
    case "bun":
      return (await import("./bun.ts")).listenBun;
    case "node":
      return (await import("./node.ts")).listenNode;
  }
}
