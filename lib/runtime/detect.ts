/**
 * Pick the runtime file for the runtime this code is running on.
 *
 * The runtime files are loaded with dynamic `import()` so a Node bundle never
 * evaluates the Deno or Bun one (and the reverse): each names globals that
 * exist only on its own runtime. The entry points (`serve()`,
 * `createClient()`) are the only callers in `lib/`: nothing below them
 * chooses a runtime.
 *
 * @module
 */

import type { ConnectFunction, ListenFunction } from "../transport.ts";
import { installHooksFor } from "./_hooks.ts";
// Re-exported so this entry point documents the types its exports use.
export type * from "../transport.ts";

/**
 * The runtimes keepwire has a binding for.
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

// The package root's serve() and createClient() load this module: what the
// runtime-neutral layers need of the running runtime is set here, before
// the runtime's own module is (lazily) loaded.
installHooksFor(detectRuntime());

/**
 * Load the {@linkcode ListenFunction} of the running runtime.
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

/**
 * Load the {@linkcode ConnectFunction} of the running runtime.
 *
 * @example Open a connection with whichever runtime runs this
 * ```ts
 * import { connectForRuntime, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * const connect = await connectForRuntime();
 * const closed = Promise.withResolvers<void>();
 * const transport = await connect({ hostname: "127.0.0.1", port: server.addr.port }, {
 *   onData: () => {},
 *   onEnd: () => {},
 *   onDrain: () => {},
 *   onClose: () => closed.resolve(),
 * });
 * assert.equal(transport.remoteAddr.port, server.addr.port);
 * transport.close();
 * await closed.promise;
 * await server.shutdown();
 * ```
 */
export async function connectForRuntime(): Promise<ConnectFunction> {
  switch (detectRuntime()) {
    case "deno":
      return (await import("./deno.ts")).connectDeno;
    case "bun":
      return (await import("./bun.ts")).connectBun;
    case "node":
      return (await import("./node.ts")).connectNode;
  }
}
