/**
 * The Bun client shim: `Bun.connect` as a {@linkcode ClientSocket}. Bun's
 * `socket.write` takes what the kernel accepts and returns the count, so the
 * rest waits in a queue until the `drain` callback. Only the members used
 * are declared, so the file compiles without bun-types.
 *
 * @module
 */

import { ByteQueue, WRITE_HIGH_WATER_MARK } from "../runtime/_byte_queue.ts";
import type { ClientSocket, ClientSocketHandler, ConnectOptions } from "./socket.ts";

interface BunSocket {
  data: BunClientSocket;
  write(bytes: Uint8Array): number;
  flush?(): void;
  end(): void;
  pause(): void;
  resume(): void;
  ref?(): void;
  unref?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface BunNamespace {
  connect(options: {
    hostname: string;
    port: number;
    data: BunClientSocket;
    socket: {
      data(socket: BunSocket, data: Uint8Array): void;
      drain(socket: BunSocket): void;
      end(socket: BunSocket): void;
      error(socket: BunSocket, error: Error): void;
      close(socket: BunSocket, error?: Error): void;
      connectError?(socket: BunSocket, error: Error): void;
    };
  }): Promise<BunSocket>;
}

class BunClientSocket implements ClientSocket {
  socket: BunSocket | undefined;
  lastError: unknown;
  closed = false;
  readonly handler: ClientSocketHandler;
  #queue = new ByteQueue();
  #needDrain = false;
  #flushScheduled = false;

  constructor(handler: ClientSocketHandler) {
    this.handler = handler;
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (this.closed || socket === undefined) return false;
    this.#scheduleFlush(socket);
    if (this.#queue.size === 0) {
      const written = socket.write(bytes);
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

  // Bun holds bytes written outside its socket callbacks until the event
  // loop comes round (measured here: a request/response ping-pong written
  // from a promise runs at half the rate); a flush right after this tick's
  // writes sends them now, still as one batch.
  #scheduleFlush(socket: BunSocket): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (!this.closed) socket.flush?.();
    });
  }

  flush(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    while (this.#queue.size > 0) {
      const bytes = this.#queue.peek();
      const written = socket.write(bytes);
      if (written > 0) this.#queue.consume(written);
      if (written < bytes.byteLength) return;
    }
    if (this.#needDrain) {
      this.#needDrain = false;
      this.handler.onDrain();
    }
  }

  pause(): void {
    if (!this.closed) this.socket?.pause();
  }

  resume(): void {
    if (!this.closed) this.socket?.resume();
  }

  unref(): void {
    if (!this.closed) this.socket?.unref?.();
  }

  ref(): void {
    if (!this.closed) this.socket?.ref?.();
  }

  close(): void {
    if (this.closed) return;
    // end() after a FIN from us both ways; Bun then fires close.
    this.socket?.end();
    this.finish(undefined);
  }

  finish(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.handler.onClose(error);
  }
}

/** Opens a TCP connection with `Bun.connect` (Nagle off). */
export async function connectBun(
  options: ConnectOptions,
  handler: ClientSocketHandler,
): Promise<ClientSocket> {
  const bun = (globalThis as unknown as { Bun: BunNamespace }).Bun;
  const client = new BunClientSocket(handler);
  const socket = await bun.connect({
    hostname: options.hostname,
    port: options.port,
    data: client,
    socket: {
      // Bun hands a fresh Buffer per callback, passed on as is: reading its
      // `.buffer` to make a plain view cost ~5% of a request here, and the
      // client only uses subarray and set on it.
      data: (socket, data) => socket.data.handler.onData(data),
      drain: (socket) => socket.data.flush(),
      end: (socket) => {
        socket.data.handler.onEnd();
        socket.end();
      },
      error: (socket, error) => {
        socket.data.lastError = error;
      },
      close: (socket, error) => socket.data.finish(error ?? socket.data.lastError),
    },
  });
  socket.setNoDelay?.(true);
  client.socket = socket;
  return client;
}
