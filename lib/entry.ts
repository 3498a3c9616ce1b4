/**
 * The `serve()` and `createClient()` that every entry point exports (the
 * package root and `./deno`, `./bun`, `./node`), bound to one way of
 * listening and connecting. The entry points differ only in the sockets they
 * use and in whether keepwire's light Fetch objects are the default there.
 *
 * @module
 */

import type { ConnectFunction, ListenFunction } from "./transport.ts";
import type { Handler, ServeOptions, Server } from "./connection/options.ts";
import { serveWith } from "./connection/server.ts";
import { serveArguments } from "./connection/serve_arguments.ts";
import { KeepAliveClient } from "./client/client.ts";
import type { ClientOptions } from "./client/options.ts";
import { checkClientOptions } from "./client/option_rules.ts";
import { installLightFetchGlobals } from "./fetch/light_fetch.ts";
import { withRuntimeDecoders } from "./runtime/_zlib_decoders.ts";

/**
 * `serve()`'s three call forms, the ones `Deno.serve` accepts.
 *
 * @example
 * ```ts
 * import { serve, type ServeFunction } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const start: ServeFunction = serve;
 * const server = await start({ port: 0, hostname: "127.0.0.1", handler: () => new Response("hi") });
 * assert.equal(await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text(), "hi");
 * await server.shutdown();
 * ```
 */
export interface ServeFunction {
  /** `serve(handler)`: default options (port 8080 on all interfaces). */
  (handler: Handler): Promise<Server>;
  /** `serve({ ...options, handler })`: the handler given as an option, as with `Deno.serve`. */
  (options: ServeOptions & { handler: Handler }): Promise<Server>;
  /** `serve(options, handler)`: options and the handler apart. */
  (options: ServeOptions, handler: Handler): Promise<Server>;
}

/**
 * `serve()` bound to `listen`. The light Fetch objects replace the globals,
 * so they are installed here, at the entry point, and nowhere below: when
 * the options ask for them, or by default where `lightByDefault` says the
 * runtime's own objects are slow.
 */
export function bindServe(listen: ListenFunction, lightByDefault: boolean): ServeFunction {
  return async (first: ServeOptions | Handler, second?: Handler): Promise<Server> => {
    const { options, handler } = serveArguments(first, second);
    const lightFetchObjects = (options.lightFetchObjects ?? lightByDefault) &&
      installLightFetchGlobals();
    return await serveWith(listen, { ...options, lightFetchObjects }, handler);
  };
}

/**
 * `createClient()` bound to `connect`, unless the options bring their own.
 * `lightByDefault`: whole response bodies get keepwire's light `Response`
 * where the runtime's own is slow to build (Node). The content decoders are
 * `node:zlib`'s (see `runtime/_zlib_decoders.ts`), under the user's own.
 */
export function bindCreateClient(
  connect: ConnectFunction,
  lightByDefault: boolean,
): (options?: ClientOptions) => KeepAliveClient {
  return (options: ClientOptions = {}): KeepAliveClient => {
    // Checked before the spread below, which would turn a string into keys.
    checkClientOptions(options);
    return new KeepAliveClient({
      ...options,
      connect: options.connect ?? connect,
      lightFetchObjects: options.lightFetchObjects ?? lightByDefault,
      contentDecoders: withRuntimeDecoders(options.contentDecoders),
    });
  };
}
