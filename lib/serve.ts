/**
 * `serve()`: a keep-alive HTTP/1.x server on whichever runtime runs it.
 *
 * @module
 */

import { serveWith } from "./connection/server.ts";
import type { Handler, ServeOptions, Server } from "./connection/options.ts";
import { detectRuntime, listenForRuntime } from "./runtime/detect.ts";

/**
 * Starts an HTTP/1.x server that keeps connections alive by the rules of
 * RFC 9112 §9, answering each request with `handler` (a Fetch handler, as
 * for `Deno.serve` and `Bun.serve`). The socket binding for Deno, Bun or
 * Node is picked automatically.
 *
 * @param options where to listen, timeouts and limits (see {@linkcode ServeOptions})
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
 */
export async function serve(options: ServeOptions, handler: Handler): Promise<Server> {
  // Light Fetch objects by default only where the native ones are slow (Node).
  const lightFetchObjects = options.lightFetchObjects ?? detectRuntime() === "node";
  return serveWith(await listenForRuntime(), { ...options, lightFetchObjects }, handler);
}
