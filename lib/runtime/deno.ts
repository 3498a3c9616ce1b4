/**
 * The Deno shim: `Deno.listen` connections as keepwire {@linkcode Transport}s.
 *
 * It drives `conn.read` / `conn.write` directly: DESIGN.md measured that loop
 * at ~131k req/s against ~45k through `conn.readable` / `conn.writable`.
 * Only the members used here are declared, so the file also compiles where
 * the Deno namespace types are absent (the npm build).
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

interface DenoAddr {
  hostname: string;
  port: number;
}
interface DenoConn {
  readonly remoteAddr: DenoAddr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}
interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoNamespace {
  listen(
    options: { port: number; hostname: string; reusePort?: boolean; transport: "tcp" },
  ): DenoListener;
}

/**
 * Reads start at 4 KiB — a whole request head fits — and double while reads
 * fill the buffer, up to 64 KiB for uploads. A read in flight pins its
 * buffer, and an idle keep-alive socket always has one in flight: DESIGN.md
 * measured 62 kB per idle socket with 64 KiB buffers, so idle sockets must
 * sit on the small size. Measured here (5,000 idle sockets, RSS delta, Deno
 * 2.9): 10.8 kB each with 1 KiB reads, 14.2 kB with 4 KiB, 31.8 kB with 16 KiB.
 */
const MIN_READ_SIZE = 4 * 1024;
const MAX_READ_SIZE = 64 * 1024;

class DenoTransport implements Transport {
  readonly remoteAddr: NetAddr;
  handler!: TransportHandler;
  #conn: DenoConn;
  #queue = new ByteQueue();
  #writing = false;
  #needDrain = false;
  #endRequested = false;
  #writeEnded = false;
  #reading = false;
  #readEnded = false;
  #paused = false;
  #held: Uint8Array | undefined;
  #closed = false;
  #readSize = MIN_READ_SIZE;
  #readBuffer: Uint8Array | null = null;

  constructor(conn: DenoConn) {
    this.#conn = conn;
    this.remoteAddr = {
      transport: "tcp",
      hostname: conn.remoteAddr.hostname,
      port: conn.remoteAddr.port,
    };
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#endRequested) return false;
    this.#queue.push(bytes);
    if (!this.#writing) void this.#flush();
    if (this.#queue.size > WRITE_HIGH_WATER_MARK) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.handler.onData(held);
    }
    if (!this.#reading && !this.#paused && !this.#readEnded) void this.readLoop();
  }

  end(): void {
    if (this.#endRequested || this.#closed) return;
    this.#endRequested = true;
    if (!this.#writing) void this.#closeWrite();
  }

  close(): void {
    this.#destroy(undefined);
  }

  async readLoop(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#paused && !this.#closed) {
        if (this.#readBuffer === null || this.#readBuffer.byteLength !== this.#readSize) {
          this.#readBuffer = new Uint8Array(this.#readSize);
        }
        const buffer = this.#readBuffer;
        const count = await this.#conn.read(buffer);
        if (this.#closed) return;
        if (count === null) {
          this.#readEnded = true;
          this.handler.onEnd();
          if (this.#writeEnded) this.#destroy(undefined);
          return;
        }
        if (count === buffer.byteLength) {
          if (this.#readSize < MAX_READ_SIZE) this.#readSize *= 2;
        } else if (count < this.#readSize >> 2 && this.#readSize > MIN_READ_SIZE) {
          this.#readSize >>= 1;
        }
        // The chunk is the handler's to keep. A small read (a request head)
        // is copied out and the buffer reused: zeroing a fresh 4 KiB buffer
        // per request cost more than the copy. A large one is handed over.
        let chunk: Uint8Array;
        if (count < buffer.byteLength >> 1) chunk = buffer.slice(0, count);
        else {
          chunk = buffer.subarray(0, count);
          this.#readBuffer = null;
        }
        // pause() may have come while this read was in flight.
        if (this.#paused) {
          this.#held = chunk;
          return;
        }
        this.handler.onData(chunk);
      }
    } catch (error) {
      // Reset by the peer, or BadResource/Interrupted after our own close().
      this.#destroy(error);
    } finally {
      this.#reading = false;
    }
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.size > 0) {
        const bytes = this.#queue.peek();
        const written = await this.#conn.write(bytes);
        if (this.#closed) return;
        this.#queue.consume(written);
      }
    } catch (error) {
      this.#destroy(error);
      return;
    } finally {
      this.#writing = false;
    }
    if (this.#needDrain) {
      this.#needDrain = false;
      this.handler.onDrain();
    }
    if (this.#endRequested && !this.#writing && !this.#writeEnded) await this.#closeWrite();
  }

  async #closeWrite(): Promise<void> {
    this.#writeEnded = true;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      this.#destroy(error);
      return;
    }
    // Both directions done: nothing more can happen on this socket.
    if (this.#readEnded) this.#destroy(undefined);
  }

  #destroy(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#held = undefined;
    this.#readBuffer = null;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after an error.
    }
    // Never re-enter the handler from inside its own close() call.
    queueMicrotask(() => this.handler.onClose(error));
  }
}

function denoNamespace(): DenoNamespace {
  const deno = (globalThis as { Deno?: DenoNamespace }).Deno;
  if (deno === undefined) throw new Error("keepwire: the Deno shim needs the Deno runtime");
  return deno;
}

/**
 * Bind a TCP listener with `Deno.listen` and hand each accepted connection to
 * `onConnection` as a {@linkcode Transport}.
 *
 * @example Echo server on a free port (runs under Deno)
 * ```ts
 * import { listenDeno } from "@keepwire/keepwire/deno";
 *
 * if ("Deno" in globalThis) {
 *   const listener = await listenDeno({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
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
export const listenDeno: ListenFunction = (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  let denoListener: DenoListener;
  try {
    denoListener = denoNamespace().listen({
      port: options.port,
      hostname: options.hostname,
      transport: "tcp",
      ...(options.reusePort ? { reusePort: true } : {}),
    });
  } catch (error) {
    return Promise.reject(error);
  }
  let closing = false;
  const acceptLoop = (async () => {
    while (!closing) {
      let conn: DenoConn;
      try {
        conn = await denoListener.accept();
      } catch (error) {
        if (closing || (error as Error | undefined)?.name === "BadResource") return;
        // A transient accept failure (EMFILE, an aborted handshake): back off
        // briefly instead of spinning or giving up the listener.
        await new Promise((wake) => setTimeout(wake, 10));
        continue;
      }
      try {
        conn.setNoDelay?.(true);
      } catch {
        // The peer may already be gone; the first read will report it.
      }
      const transport = new DenoTransport(conn);
      transport.handler = onConnection(transport);
      void transport.readLoop();
    }
  })();
  const { hostname, port } = denoListener.addr;
  return Promise.resolve({
    addr: { transport: "tcp", hostname, port },
    close: async () => {
      if (closing) return acceptLoop;
      closing = true;
      denoListener.close();
      await acceptLoop;
    },
  });
};

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenDeno}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @param handler turns each `Request` into a `Response` (or pass it in the
 *   options, or alone, as with `Deno.serve`)
 * @returns the running server, once it listens
 *
 * @example On Deno
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/deno";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Deno"));
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
  return serveWith(listenDeno, optionsOrHandler as ServeOptions, handler as Handler);
}
