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

/** Until `attach`: the address of a socket not yet open (shared, never written). */
const NO_ADDRESS: NetAddr = Object.freeze({ transport: "tcp", hostname: "", port: 0 });

// The transport's yes/no state, as bits of one field (see BunTransport's doc).
const READ_ENDED = 1;
const WRITE_ENDED = 2;
const CLOSED = 4;
const NEED_DRAIN = 8;
const END_REQUESTED = 16;
const FLUSH_SCHEDULED = 32;

/**
 * One Bun socket. `attach` binds it once Bun has opened it.
 *
 * Every idle keep-alive connection holds one, so it is kept to eight
 * fields: JavaScriptCore sized it at 160 B with thirteen (six of them
 * booleans, now the bits of `#flags`) and at 80 B with eight (Bun 1.4.5,
 * `estimateShallowMemoryUsageOf`, 2026-11-30).
 */
export class BunTransport implements Transport {
  handler!: TransportHandler;
  readonly role: SocketRole;
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
  #flags = 0;
  /**
   * The peer's address once asked for; until then the peer's port alone (a
   * number, no allocation). Most connections are never asked, and an idle
   * one held an address object and its host string (~90 B of heap, Bun
   * 1.4.5, 2026-11-30). The port is taken at `attach` because Bun forgets
   * it once the socket closes; the host it keeps.
   */
  #remote: NetAddr | number = NO_ADDRESS;

  constructor(role: SocketRole) {
    this.role = role;
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    const remote = this.#remote;
    if (typeof remote !== "number") return remote;
    return this.#remote = {
      transport: "tcp",
      hostname: this.#socket?.remoteAddress ?? "",
      port: remote,
    };
  }

  /** The peer's FIN has been seen (or reported). */
  get readEnded(): boolean {
    return (this.#flags & READ_ENDED) !== 0;
  }
  set readEnded(value: boolean) {
    this.#set(READ_ENDED, value);
  }

  /** Our FIN is sent (or the socket ended). */
  get writeEnded(): boolean {
    return (this.#flags & WRITE_ENDED) !== 0;
  }
  set writeEnded(value: boolean) {
    this.#set(WRITE_ENDED, value);
  }

  /** The socket is gone. */
  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }
  set closed(value: boolean) {
    this.#set(CLOSED, value);
  }

  #has(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #set(bit: number, value: boolean): void {
    this.#flags = value ? this.#flags | bit : this.#flags & ~bit;
  }

  attach(socket: BunSocket, unixPath?: string): void {
    this.#socket = socket;
    socket.setNoDelay?.(true);
    this.#remote = unixPath !== undefined
      ? { transport: "unix", hostname: "", port: 0, path: unixPath }
      : socket.remotePort ?? 0;
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (this.closed || this.#has(END_REQUESTED) || socket === undefined) return false;
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
      this.#set(NEED_DRAIN, true);
      return false;
    }
    return true;
  }

  // Bun holds bytes written outside its socket callbacks until the event
  // loop comes round (measured for the client: a request/response ping-pong
  // written from a promise runs at half the rate); a flush right after this
  // tick's writes sends them now, still as one batch.
  #scheduleFlush(socket: BunSocket): void {
    if (this.#has(FLUSH_SCHEDULED)) return;
    this.#set(FLUSH_SCHEDULED, true);
    queueMicrotask(() => {
      this.#set(FLUSH_SCHEDULED, false);
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
    if (this.#has(NEED_DRAIN)) {
      this.#set(NEED_DRAIN, false);
      this.handler.onDrain();
    }
    if (this.#has(END_REQUESTED)) this.#finishWriting();
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
    if (this.#has(END_REQUESTED) || this.closed) return;
    this.#set(END_REQUESTED, true);
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
 * Chunks up to this size are copied into a plain array; larger ones are
 * viewed in place. JavaScriptCore keeps a typed array this small inside its
 * own heap cell, and reading its `buffer` moves the bytes out to a new
 * allocation plus an `ArrayBuffer` (`get buffer` and `Uint8Array` were 7.7 %
 * of the server's samples under wrk, 2026-11-30); a copy is one small
 * allocation. A larger array already lives apart, so its view is cheap and a
 * copy is not (Bun 1.4.5, 2026-11-30: 72 B: view 0.29 µs, copy 0.12; 64 KiB:
 * view 2.2, copy 8.7).
 */
const COPIED_CHUNK_SIZE = 1024;

/**
 * Bun's Buffer as a plain Uint8Array for the server's codec, whose body
 * chunks reach handlers (where `slice` must copy, as a Uint8Array's does).
 * Bun hands a fresh Buffer per callback (checked on 1.4), so a view of it
 * is never overwritten.
 */
function plainBytes(data: Uint8Array): Uint8Array {
  return data.byteLength <= COPIED_CHUNK_SIZE
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
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
      // The client only uses subarray and set, and making a plain array cost
      // it ~5% of a request, so a dialled socket passes Bun's Buffer on.
      transport.handler.onData(transport.role === "dialled" ? data : plainBytes(data));
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
