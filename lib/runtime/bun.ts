/**
 * The Bun shim: `Bun.listen` sockets as keepwire {@linkcode Transport}s.
 *
 * Bun's socket callbacks are shared by every socket of a listener, so each
 * socket's transport rides in `socket.data`. `socket.write` takes what the
 * kernel accepts and drops the rest (checked on Bun 1.4), so the remainder
 * waits in our queue until the `drain` callback. Only the members used here
 * are declared, so the file compiles under Deno and tsc without bun-types.
 *
 * @module
 */

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
import { ByteQueue, WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
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

interface BunSocket {
  data: BunTransport;
  readonly remoteAddress: string;
  readonly remotePort: number;
  write(bytes: Uint8Array): number;
  shutdown(halfClose?: boolean): void;
  end(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface BunSocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
  close(socket: BunSocket, error?: Error): void;
}
interface BunTcpListener {
  readonly hostname: string;
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}
interface BunNamespace {
  listen(options: {
    hostname: string;
    port: number;
    reusePort?: boolean;
    allowHalfOpen?: boolean;
    socket: BunSocketHandlers;
  }): BunTcpListener;
}

class BunTransport implements Transport {
  readonly remoteAddr: NetAddr;
  handler!: TransportHandler;
  readEnded = false;
  writeEnded = false;
  closed = false;
  lastError: unknown;
  #socket: BunSocket;
  #queue = new ByteQueue();
  #needDrain = false;
  #endRequested = false;

  constructor(socket: BunSocket) {
    this.#socket = socket;
    this.remoteAddr = { transport: "tcp", hostname: socket.remoteAddress, port: socket.remotePort };
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed || this.#endRequested) return false;
    if (this.#queue.size === 0) {
      // Fast path: nothing waiting, so the socket may take it all now.
      const written = this.#socket.write(bytes);
      if (written === bytes.byteLength) return true;
      this.#queue.push(written > 0 ? bytes.subarray(written) : bytes);
    } else {
      this.#queue.push(bytes);
    }
    if (this.#queue.size > WRITE_HIGH_WATER_MARK) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  /** Called from Bun's `drain` callback (which may also fire spuriously). */
  flush(): void {
    while (this.#queue.size > 0) {
      const bytes = this.#queue.peek();
      const written = this.#socket.write(bytes);
      if (written > 0) this.#queue.consume(written);
      if (written < bytes.byteLength) return;
    }
    if (this.#needDrain) {
      this.#needDrain = false;
      this.handler.onDrain();
    }
    if (this.#endRequested && this.#queue.size === 0) this.#finishWriting();
  }

  pause(): void {
    if (!this.closed) this.#socket.pause();
  }

  resume(): void {
    if (!this.closed) this.#socket.resume();
  }

  end(): void {
    if (this.#endRequested || this.closed) return;
    this.#endRequested = true;
    if (this.#queue.size === 0) this.#finishWriting();
  }

  close(): void {
    if (this.closed) return;
    // end() closes both directions with a FIN, as Deno's close() and Node's
    // destroy() do; terminate() would send a RST. Either runs the close
    // callback synchronously, which defers onClose.
    this.#socket.end();
  }

  #finishWriting(): void {
    if (this.writeEnded) return;
    this.writeEnded = true;
    // shutdown() sends FIN and keeps reading (RFC 9112 §9.6 lingering close);
    // once the peer has sent FIN too, end() releases the socket.
    if (this.readEnded) this.#socket.end();
    else this.#socket.shutdown();
  }
}

function bunNamespace(): BunNamespace {
  const bun = (globalThis as { Bun?: BunNamespace }).Bun;
  if (bun === undefined) throw new Error("keepwire: the Bun shim needs the Bun runtime");
  return bun;
}

function socketHandlers(
  onConnection: (transport: Transport) => TransportHandler,
): BunSocketHandlers {
  return {
    open(socket) {
      socket.setNoDelay?.(true);
      const transport = new BunTransport(socket);
      socket.data = transport;
      transport.handler = onConnection(transport);
    },
    data(socket, data) {
      // Bun hands a fresh Buffer per callback (checked on 1.4), so no copy;
      // a plain Uint8Array view keeps `slice` a copy as the codec expects.
      socket.data.handler.onData(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    },
    drain(socket) {
      socket.data.flush();
    },
    end(socket) {
      const transport = socket.data;
      if (transport.readEnded) return;
      transport.readEnded = true;
      transport.handler.onEnd();
    },
    error(socket, error) {
      socket.data.lastError = error;
    },
    close(socket, error) {
      const transport = socket.data;
      if (transport === undefined || transport.closed) return;
      transport.closed = true;
      // After our shutdown() Bun reports the peer's FIN as a close without an
      // `end` callback; report it as Node does, end then close.
      const failure = error ?? transport.lastError;
      const peerFinished = failure === undefined && transport.writeEnded && !transport.readEnded;
      queueMicrotask(() => {
        if (peerFinished) {
          transport.readEnded = true;
          transport.handler.onEnd();
        }
        transport.handler.onClose(failure);
      });
    },
  };
}

/**
 * Bind a TCP listener with `Bun.listen` and hand each accepted socket to
 * `onConnection` as a {@linkcode Transport}.
 *
 * @example Echo server on a free port (runs under Bun)
 * ```ts
 * import { listenBun } from "@keepwire/keepwire/bun";
 *
 * if ("Bun" in globalThis) {
 *   const listener = await listenBun({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
 *     onData: (chunk) => void transport.write(chunk),
 *     onEnd: () => transport.end(),
 *     onDrain: () => {},
 *     onClose: () => {},
 *   }));
 *   console.log(`listening on ${listener.addr.port}`);
 *   await listener.close();
 * }
 * ```
 */
export const listenBun: ListenFunction = (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  let server: BunTcpListener;
  try {
    server = bunNamespace().listen({
      hostname: options.hostname,
      port: options.port,
      // Without it Bun closes the socket on the peer's FIN, before the last
      // response can be written.
      allowHalfOpen: true,
      ...(options.reusePort ? { reusePort: true } : {}),
      socket: socketHandlers(onConnection),
    });
  } catch (error) {
    return Promise.reject(error);
  }
  let stopped = false;
  return Promise.resolve({
    addr: { transport: "tcp", hostname: server.hostname, port: server.port },
    close: () => {
      if (!stopped) {
        stopped = true;
        // false: stop accepting but leave open connections alone.
        server.stop(false);
      }
      return Promise.resolve();
    },
  });
};

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenBun}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @param handler turns each `Request` into a `Response` (or pass it in the
 *   options, or alone, as with `Deno.serve`)
 * @returns the running server, once it listens
 *
 * @example On Bun
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/bun";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Bun"));
 * await server.finished;
 * ```
 */
export function serve(handler: Handler): Promise<Server>;
export function serve(options: ServeOptions & { handler: Handler }): Promise<Server>;
export function serve(options: ServeOptions, handler: Handler): Promise<Server>;
export function serve(
  optionsOrHandler: ServeOptions | Handler,
  handler?: Handler,
): Promise<Server> {
  return serveWith(listenBun, optionsOrHandler as ServeOptions, handler as Handler);
}
