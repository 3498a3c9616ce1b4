/**
 * `serve()`: a keep-alive HTTP/1.x server on whichever runtime runs it.
 *
 * @module
 */

import { bindServe, type ServeFunction } from "./entry.ts";
import { detectRuntime, listenForRuntime } from "./runtime/detect.ts";

/**
 * Starts an HTTP/1.x server that keeps connections alive by the rules of
 * RFC 9112 §9, answering each request with `handler` (a Fetch handler, as
 * for `Deno.serve` and `Bun.serve`). The socket binding for Deno, Bun or
 * Node is picked automatically.
 *
 * Call it as `serve(handler)`, `serve(options, handler)` or
 * `serve({ ...options, handler })`, as `Deno.serve`. The options are checked
 * first: an unknown or misspelt name, another server's name for an option
 * (`idleTimeout`, `fetch`, `cert`…), a wrong type or an out-of-range value
 * rejects with a `TypeError` that names it.
 *
 * @example Hello, keep-alive
 * ```ts
 * import { serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, (_request, info) =>
 *   new Response(`request #${info.connection.requestIndex}`),
 * );
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await response.text(), "request #1");
 * await server.shutdown();
 * ```
 *
 * @example The handler alone, or inside the options
 * ```ts
 * import { serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1", handler: () => new Response("hi") });
 * assert.equal(await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text(), "hi");
 * await server.shutdown();
 *
 * // Bun's name for the idle timeout is refused with what keepwire calls it.
 * await assert.rejects(
 *   serve({ idleTimeout: 10 } as never, () => new Response("hi")),
 *   { name: "TypeError", message: /keepAliveTimeout/ },
 * );
 * ```
 */
export const serve: ServeFunction = bindServe(
  async (options, handler) => (await listenForRuntime())(options, handler),
  // Light Fetch objects by default only where the native ones are slow.
  detectRuntime() === "node",
);
