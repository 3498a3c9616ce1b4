/**
 * `serve()`: a keep-alive HTTP/1.x server on whichever runtime runs it.
 *
 * @module
 */

import { serveWith } from "./connection/server.ts";
import { serveArguments } from "./connection/serve_arguments.ts";
import type { Handler, ServeOptions, Server } from "./connection/options.ts";
import { installLightFetchGlobals } from "./fetch/light_fetch.ts";
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
 * @param handler turns each `Request` into a `Response`
 * @returns the running server, once it listens
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
export function serve(handler: Handler): Promise<Server>;
/** `serve({ ...options, handler })`: the handler given as an option, as with `Deno.serve`. */
export function serve(options: ServeOptions & { handler: Handler }): Promise<Server>;
/** `serve(options, handler)`: options and the handler apart. */
export function serve(options: ServeOptions, handler: Handler): Promise<Server>;
export async function serve(
  optionsOrHandler: ServeOptions | Handler,
  maybeHandler?: Handler,
): Promise<Server> {
  const { options, handler } = serveArguments(optionsOrHandler, maybeHandler);
  // Light Fetch objects by default only where the native ones are slow
  // (Node). Installing them changes the process's globals, so it happens
  // here, in the entry point, and nowhere below.
  const lightFetchObjects = (options.lightFetchObjects ?? detectRuntime() === "node") &&
    installLightFetchGlobals();
  return serveWith(await listenForRuntime(), { ...options, lightFetchObjects }, handler);
}
