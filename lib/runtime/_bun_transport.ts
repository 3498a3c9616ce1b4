/**
 * A Bun socket (TCP, TLS or Unix, accepted or dialled) as a keepwire
 * {@linkcode Transport}, and the socket callbacks that drive it.
 *
 * Bun's socket callbacks are shared by every socket of a listener, so each
 * socket's transport rides in `socket.data`. `socket.write` takes what the
 * kernel accepts and drops the rest (checked on Bun 1.4), so the remainder
 * waits in our queue until the `drain` callback. Over TLS, `open` comes
 * before the handshake and bytes written before it are lost (checked on Bun
 * 1.4), so a TLS transport is handed up only from the `handshake` callback.
 * Only the members used here are declared, so the file compiles under Deno
 * and tsc without bun-types.
 *
 * @module
 */

import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { ByteQueue, WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
import type { SocketRole } from "./_sockets.ts";

/** The members of Bun's `Socket` used here. */
export interface BunSocket {
  data: BunTransport;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  write(bytes: Uint8Array): number;
  flush?(): void;
  shutdown(halfClose?: boolean): void;
  end(): void;
  pause(): void;
  resume(): void;
  ref?(): void;
  unref?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** Bun's socket callbacks. */
export interface BunSocketHandlers {
  open(socket: BunSocket): void;
  handshake(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
  close(socket: BunSocket, error?: Error): void;
}

/** One Bun socket. `attach` binds it once Bun has opened it. */
export class BunTransport implements Transport {
  remoteAddr: NetAddr = { transport: "tcp", hostname: "", port: 0 };
  handler!: TransportHandler;
  readonly role: SocketRole;
  readEnded = false;
  writeEnded = false;
  closed = false;
  lastError: unknown;
  /** Set while a TLS handshake is under way: called once with its outcome. */
  onHandshake: ((error?: unknown) => void) | undefined;
  #socket: BunSocket | undefined;
  /**
   * What the socket has not taken yet; made at the first short write and
   * dropped once empty, as most sockets never fill their send buffer (an
   * idle connection holding an empty queue was two objects of heap each).
   */
  #queue: ByteQueue | null = null;
  #needDrain = false;
  #endRequested = false;
  #flushScheduled = false;

  constructor(role: SocketRole) {
    this.role = role;
  }

  attach(socket: BunSocket, unixPath?: string): void {
    this.#socket = socket;
    socket.setNoDelay?.(true);
    this.remoteAddr = unixPath !== undefined
      ? { transport: "unix", hostname: "", port: 0, path: unixPath }
      : { transport: "tcp", hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (this.closed || this.#endRequested || socket === undefined) return false;
    if (this.role === "dialled") this.#scheduleFlush(socket);
    let queue = this.#queue;
    if (queue === null) {
      // Fast path: nothing waiting, so the socket may take it all now.
      const written = socket.write(bytes);
      if (written === bytes.byteLength) return true;
      queue = this.#queue = new ByteQueue();
      queue.push(written > 0 ? bytes.subarray(written) : bytes);
    } else {
      queue.push(bytes);
    }
    if (queue.size > WRITE_HIGH_WATER_MARK) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  // Bun holds bytes written outside its socket callbacks until the event
  // loop comes round (measured for the client: a request/response ping-pong
  // written from a promise runs at half the rate); a flush right after this
  // tick's writes sends them now, still as one batch.
  #scheduleFlush(socket: BunSocket): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (!this.closed) socket.flush?.();
    });
  }

  /** Called from Bun's `drain` callback (which may also fire spuriously). */
  flush(): void {
    const socket = this.#socket;
    if (socket === undefined || this.closed) return;
    const queue = this.#queue;
    if (queue !== null) {
      while (queue.size > 0) {
        const bytes = queue.peek();
        const written = socket.write(bytes);
        if (written > 0) queue.consume(written);
        if (written < bytes.byteLength) return;
      }
      this.#queue = null;
    }
    if (this.#needDrain) {
      this.#needDrain = false;
      this.handler.onDrain();
    }
    if (this.#endRequested) this.#finishWriting();
  }

  pause(): void {
    if (!this.closed) this.#socket?.pause();
  }

  resume(): void {
    if (!this.closed) this.#socket?.resume();
  }

  unref(): void {
    if (!this.closed) this.#socket?.unref?.();
  }

  ref(): void {
    if (!this.closed) this.#socket?.ref?.();
  }

  end(): void {
    if (this.#endRequested || this.closed) return;
    this.#endRequested = true;
    if (this.#queue === null) this.#finishWriting();
  }

  close(): void {
    if (this.closed) return;
    // end() closes both directions with a FIN, as Deno's close() and Node's
    // destroy() do; terminate() would send a RST. Either runs the close
    // callback synchronously, which defers onClose.
    this.#socket?.end();
  }

  #finishWriting(): void {
    if (this.writeEnded) return;
    this.writeEnded = true;
    // shutdown() sends FIN and keeps reading (RFC 9112 §9.6 lingering close);
    // once the peer has sent FIN too, end() releases the socket.
    if (this.readEnded) this.#socket?.end();
    else this.#socket?.shutdown();
  }
}

/**
 * The callbacks for a listener's or a dialled socket's events. `open` is
 * the caller's (it differs between accepting and dialling).
 */
export function bunSocketHandlers(open: (socket: BunSocket) => void): BunSocketHandlers {
  return {
    open,
    handshake(socket, success, authorizationError) {
      const settle = socket.data?.onHandshake;
      if (settle === undefined) return;
      socket.data.onHandshake = undefined;
      // On a server, authorizationError is about the (absent) client certificate.
      settle(success ? undefined : authorizationError ?? new Error("TLS handshake failed"));
    },
    data(socket, data) {
      const transport = socket.data;
      // Bun hands a fresh Buffer per callback (checked on 1.4), so no copy.
      // The server's codec wants a plain Uint8Array (whose `slice` copies);
      // the client only uses subarray and set, and making the view cost it
      // ~5% of a request, so a dialled socket passes the Buffer on.
      transport.handler.onData(
        transport.role === "dialled"
          ? data
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    },
    drain(socket) {
      socket.data.flush();
    },
    end(socket) {
      const transport = socket.data;
      if (transport.readEnded || transport.closed) return;
      transport.readEnded = true;
      transport.handler.onEnd();
      if (transport.role === "dialled") transport.close();
    },
    error(socket, error) {
      if (socket.data !== undefined) socket.data.lastError = error;
    },
    close(socket, error) {
      const transport = socket.data;
      if (transport === undefined || transport.closed) return;
      transport.closed = true;
      const failure = error ?? transport.lastError;
      const settle = transport.onHandshake;
      if (settle !== undefined) {
        // Gone before the handshake finished: nobody above knows this socket.
        transport.onHandshake = undefined;
        settle(failure ?? new Error("the peer closed during the TLS handshake"));
        return;
      }
      // After our shutdown() Bun reports the peer's FIN as a close without an
      // `end` callback; report it as Node does, end then close.
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
