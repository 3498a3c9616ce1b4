/**
 * The Node shim: `node:net` sockets as keepwire {@linkcode Transport}s.
 *
 * Node's stream already queues writes, signals backpressure and emits
 * `'drain'`, so this shim only renames events. `allowHalfOpen` keeps the
 * socket writable after the peer's FIN, which RFC 9112 §9.6 relies on: the
 * server must still be able to send the last response after the client has
 * half-closed.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";
import type {
  Listener,
  ListenFunction,
  ListenOptions,
  NetAddr,
  Transport,
  TransportHandler,
} from "../connection/transport.ts";
import type { Handler, ServeOptions, Server } from "../connection/options.ts";
import { serveWith } from "../connection/server.ts";
import { serveArguments } from "../connection/serve_arguments.ts";
import { WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
// Re-exported so this entry point documents the types its exports use.
export type {
  Listener,
  ListenFunction,
  ListenOptions,
  NetAddr,
  Transport,
  TransportHandler,
} from "../connection/transport.ts";
export type * from "../connection/options.ts";
export type { HttpVersion } from "../codec/events.ts";

class NodeTransport implements Transport {
  readonly remoteAddr: NetAddr;
  #socket: Socket;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
  }

  write(bytes: Uint8Array): boolean {
    // After destroy Node would report ERR_STREAM_DESTROYED through 'error';
    // the connection already got (or is about to get) onClose.
    if (this.#socket.destroyed) return false;
    return this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.end();
  }

  close(): void {
    this.#socket.destroy();
  }
}

function attach(socket: Socket, onConnection: (transport: Transport) => TransportHandler): void {
  const handler = onConnection(new NodeTransport(socket));
  let lastError: unknown;
  socket.on("data", (chunk: Uint8Array) => {
    // Node hands a Buffer, whose `slice` is a view, not a copy; a plain
    // Uint8Array view keeps `slice` meaning what the codec expects.
    handler.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  socket.on("end", () => handler.onEnd());
  socket.on("drain", () => handler.onDrain());
  socket.on("error", (error: unknown) => {
    lastError = error;
  });
  // 'close' fires once, after 'error' when there was one; with allowHalfOpen
  // Node also emits it by itself once both directions have ended.
  socket.on("close", () => handler.onClose(lastError));
}

function toNetAddr(address: ReturnType<ReturnType<typeof createServer>["address"]>): NetAddr {
  if (address === null || typeof address === "string") {
    return { transport: "tcp", hostname: String(address ?? ""), port: 0 };
  }
  return { transport: "tcp", hostname: address.address, port: address.port };
}

/**
 * Bind a TCP listener with `node:net` and hand each accepted socket to
 * `onConnection` as a {@linkcode Transport}.
 *
 * `reusePort` is passed on to `server.listen`: Node before 22.12/23.1 has no
 * SO_REUSEPORT and ignores the unknown option (there, several processes share
 * a port through `node:cluster`); newer Node honours it.
 *
 * @example Echo server on a free port
 * ```ts
 * import { listenNode } from "@keepwire/keepwire/node";
 *
 * const listener = await listenNode({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
 *   onData: (chunk) => void transport.write(chunk),
 *   onEnd: () => transport.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * console.log(`listening on ${listener.addr.port}`);
 * await listener.close();
 * ```
 */
export const listenNode: ListenFunction = (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  const server = createServer(
    { noDelay: true, allowHalfOpen: true, highWaterMark: WRITE_HIGH_WATER_MARK },
    (socket) => attach(socket, onConnection),
  );
  const listenOptions: { port: number; host: string; reusePort?: boolean } = {
    port: options.port,
    host: options.hostname,
  };
  if (options.reusePort) listenOptions.reusePort = true;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenOptions, () => {
      server.off("error", reject);
      const addr = toNetAddr(server.address());
      resolve({
        addr,
        // server.close's callback waits for every open connection to end;
        // the contract only asks for the listening socket, which Node closes
        // at once, so resolve without waiting for the callback.
        close: () => {
          if (server.listening) server.close();
          return Promise.resolve();
        },
      });
    });
  });
};

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenNode}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @param handler turns each `Request` into a `Response` (or pass it in the
 *   options, or alone, as with `Deno.serve`)
 * @returns the running server, once it listens
 *
 * @example On Node
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/node";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Node"));
 * await server.finished;
 * ```
 */
export function serve(handler: Handler): Promise<Server>;
export function serve(options: ServeOptions & { handler: Handler }): Promise<Server>;
export function serve(options: ServeOptions, handler: Handler): Promise<Server>;
export async function serve(
  optionsOrHandler: ServeOptions | Handler,
  maybeHandler?: Handler,
): Promise<Server> {
  const { options, handler } = serveArguments(optionsOrHandler, maybeHandler);
  // Node's own Request/Response cost more than the rest of an exchange.
  const lightFetchObjects = options.lightFetchObjects ?? true;
  return await serveWith(listenNode, { ...options, lightFetchObjects }, handler);
}
