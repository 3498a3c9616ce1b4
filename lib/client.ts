/**
 * `createClient()`: a keep-alive HTTP/1.1 client on whichever runtime runs it.
 *
 * @module
 */

import type { KeepAliveClient } from "./client/client.ts";
import { bindCreateClient } from "./entry.ts";
import type { ClientOptions } from "./client/options.ts";
import type { ConnectFunction } from "./transport.ts";
import { connectForRuntime, detectRuntime } from "./runtime/detect.ts";

// Loaded on the first connection, so creating a client stays synchronous.
let runtimeConnect: Promise<ConnectFunction> | undefined;
const connectDetected: ConnectFunction = async (options, handler) =>
  (await (runtimeConnect ??= connectForRuntime()))(options, handler);

/**
 * Creates a keep-alive client that connects with the running runtime's
 * sockets (Deno, Bun or Node). See `ClientOptions` for limits, timeouts,
 * TLS and Unix sockets; call `close()` when done.
 *
 * @example Sequential requests share one connection
 * ```ts
 * import { createClient, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * const client = createClient();
 * for (let i = 0; i < 3; i++) {
 *   const response = await client.fetch(`http://127.0.0.1:${server.addr.port}/`);
 *   assert.equal(await response.text(), "hi");
 * }
 * assert.equal(client.stats.connectionsOpened, 1);
 * await client.close();
 * await server.shutdown();
 * ```
 */
export const createClient: (options?: ClientOptions) => KeepAliveClient = bindCreateClient(
  connectDetected,
  // Only Node's Response is slow enough to be worth the light one.
  detectRuntime() === "node",
);
