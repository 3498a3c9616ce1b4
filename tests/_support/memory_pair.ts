/**
 * An in-memory transport pair: a client's bytes on one end, a keepwire
 * server connection on the other, no sockets. The server runs through
 * `serveWith()` with a {@linkcode ListenFunction} whose "accept" is
 * {@linkcode MemoryServer.connect}, so everything above the transport seam
 * (the connection, its timers, the server's sweep) is the real thing.
 *
 * The pair behaves as a TCP socket with `allowHalfOpen` does: bytes are
 * delivered in order, a turn of the event loop later; each side's `end()` is
 * a FIN that arrives after the bytes written before it; the transport closes
 * once both sides have sent FIN, or at once on `close()` / `reset()`.
 *
 * @module
 */

import { serveWith } from "../../lib/connection/server.ts";
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import type { ListenFunction, Transport, TransportHandler } from "../../lib/transport.ts";
import { DEFAULT_READ_TIMEOUT_MS, ReceivedBytes } from "./received_bytes.ts";

const encoder = new TextEncoder();
const ADDR = { transport: "tcp" as const, hostname: "127.0.0.1", port: 8080 };

/** A server listening in memory: each `connect()` is a new accepted connection. */
export interface MemoryServer extends Server {
  connect(): MemoryClient;
}

/** Starts a server whose connections are in-memory pairs. */
export async function serveInMemory(
  options: ServeOptions,
  handler: Handler,
): Promise<MemoryServer> {
  let accept: ((transport: Transport) => TransportHandler) | undefined;
  const listen: ListenFunction = (_options, onConnection) => {
    accept = onConnection;
    return Promise.resolve({ addr: ADDR, close: () => Promise.resolve() });
  };
  const server = await serveWith(
    listen,
    { port: 8080, hostname: "127.0.0.1", ...options },
    handler,
  );
  const clients: MemoryClient[] = [];
  const shutdown = server.shutdown.bind(server);
  return Object.assign(server, {
    connect: () => {
      const client = new MemoryClient((transport) => accept!(transport));
      clients.push(client);
      return client;
    },
    // The clients go first, as a test's sockets are destroyed before its server stops.
    shutdown: () => {
      for (const client of clients) client.destroy();
      return shutdown();
    },
  }) as MemoryServer;
}

/** Runs `body` with a fresh in-memory server, shutting it down afterwards. */
export async function withMemoryServer(
  options: ServeOptions,
  handler: Handler,
  body: (server: MemoryServer) => Promise<void>,
): Promise<void> {
  const server = await serveInMemory({ shutdownTimeout: 1_000, ...options }, handler);
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

/** The client end of one in-memory connection, with awaitable reads as the socket tests' `RawClient`. */
export class MemoryClient {
  /** Resolves when the server's FIN arrives. */
  readonly ended: Promise<void>;
  /** Resolves when the connection is closed in both directions (or reset). */
  readonly closed: Promise<void>;
  /** Each `Transport.write` of the server, as it was made (to count batches). */
  readonly writes: Uint8Array[] = [];
  #server: TransportHandler;
  /** The server called `end()`: it writes nothing more. */
  #serverEnded = false;
  /** The server's FIN reached the client (after every byte written before it). */
  #finArrived = false;
  #clientEnded = false;
  /** The client's FIN reached the server. */
  #finDelivered = false;
  #isClosed = false;
  #serverPaused = false;
  #pendingToServer: (Uint8Array | "fin")[] = [];
  #received = new ReceivedBytes("MemoryClient", {
    atEnd: () => this.#finArrived || this.#isClosed,
    gone: () => this.#finArrived || this.#isClosed,
  });
  #resolveEnded!: () => void;
  #resolveClosed!: () => void;

  constructor(accept: (transport: Transport) => TransportHandler) {
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const transport: Transport = {
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50_000 },
      write: (bytes) => {
        if (this.#isClosed || this.#serverEnded) return false;
        const copy = bytes.slice();
        this.writes.push(copy);
        this.#sendToClient(copy);
        return true;
      },
      pause: () => {
        this.#serverPaused = true;
      },
      resume: () => {
        this.#serverPaused = false;
        this.#deliver();
      },
      end: () => {
        if (this.#serverEnded || this.#isClosed) return;
        this.#serverEnded = true;
        this.#sendToClient("fin");
      },
      close: () => {
        // What was written before still arrives, as the kernel sends what it was given.
        this.#serverEnded = true;
        this.#server.onClose(undefined);
        this.#sendToClient("close");
      },
    };
    this.#server = accept(transport);
  }

  /** Bytes received and not yet consumed by a read. */
  get buffered(): number {
    return this.#received.length;
  }

  /** Whether the server's FIN has arrived. */
  get isEnded(): boolean {
    return this.#finArrived;
  }

  /** Whether the connection is gone. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Sends bytes to the server (delivered a turn later, in order). */
  write(data: string | Uint8Array): void {
    if (this.#clientEnded || this.#isClosed) throw new Error("MemoryClient: write after end");
    this.#pendingToServer.push(typeof data === "string" ? encoder.encode(data) : data.slice());
    setTimeout(() => this.#deliver(), 0);
  }

  /** Half-close: FIN after what was written; reading continues. */
  end(): void {
    if (this.#clientEnded || this.#isClosed) return;
    this.#clientEnded = true;
    this.#pendingToServer.push("fin");
    setTimeout(() => this.#deliver(), 0);
  }

  /** Aborts the connection (as a TCP reset): the server sees an error. */
  reset(): void {
    this.#close(new Error("ECONNRESET"));
  }

  /** Waits for exactly `count` more bytes and consumes them. */
  readBytes(count: number, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.#received.readBytes(count, timeoutMs);
  }

  /** Waits until `marker` has arrived; consumes and returns the text through it. */
  readUntil(marker: string, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<string> {
    return this.#received.readUntil(marker, timeoutMs);
  }

  /** Waits for the server's FIN and consumes everything before it. */
  readToEnd(timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.#received.readToEnd(timeoutMs);
  }

  #deliver(): void {
    while (!this.#serverPaused && !this.#isClosed && this.#pendingToServer.length > 0) {
      const next = this.#pendingToServer.shift()!;
      if (next === "fin") {
        this.#finDelivered = true;
        this.#server.onEnd();
        if (this.#finArrived) this.#close(undefined);
      } else this.#server.onData(next);
    }
  }

  /** Server-to-client traffic arrives a turn later, in order. */
  #sendToClient(item: Uint8Array | "fin" | "close"): void {
    setTimeout(() => {
      if (this.#isClosed) return;
      if (item === "close") return this.#close(undefined);
      if (item === "fin") {
        this.#finArrived = true;
        this.#resolveEnded();
        this.#received.wake();
        if (this.#finDelivered) this.#close(undefined);
        return;
      }
      this.#received.push(item);
    }, 0);
  }

  /** Closes both directions now, quietly (the end of a test). */
  destroy(): void {
    this.#close(undefined);
  }

  #close(error: unknown): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#finArrived = true;
    this.#server.onClose(error);
    this.#resolveEnded();
    this.#resolveClosed();
    this.#received.wake();
  }
}
