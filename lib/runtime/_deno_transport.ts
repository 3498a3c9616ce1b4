/**
 * A Deno connection (TCP, TLS or Unix, accepted or dialled) as a keepwire
 * {@linkcode Transport}.
 *
 * It drives `conn.read` / `conn.write` directly: DESIGN.md measured that loop
 * at ~131k req/s against ~45k through `conn.readable` / `conn.writable`.
 * Only the members used here are declared, so the file also compiles where
 * the Deno namespace types are absent (the npm build).
 *
 * @module
 */

import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { ByteQueue, WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
import type { SocketRole } from "./_sockets.ts";

/** A Deno address: `Deno.NetAddr` or `Deno.UnixAddr`. */
export interface DenoAddr {
  transport?: string;
  hostname?: string;
  port?: number;
  path?: string | null;
}

/** The members of `Deno.Conn` (and `TlsConn`, `UnixConn`) used here. */
export interface DenoConn {
  readonly remoteAddr: DenoAddr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  handshake?(): Promise<unknown>;
  ref?(): void;
  unref?(): void;
}

/** Deno's address shape as keepwire's. */
export function toNetAddr(addr: DenoAddr): NetAddr {
  if (addr.transport === "unix") {
    return { transport: "unix", hostname: "", port: 0, path: addr.path ?? "" };
  }
  return { transport: "tcp", hostname: addr.hostname ?? "", port: addr.port ?? 0 };
}

/**
 * Reads start at 1 KiB — most request heads fit (a browser's runs 0.4–1
 * KiB) — and double while reads fill the buffer, up to 64 KiB for uploads
 * and large responses; a head that does not fit costs one more read, once
 * per connection, as the size then stays up. A read in flight pins its
 * buffer, and an idle keep-alive socket always has one in flight: DESIGN.md
 * measured 62 kB per idle socket with 64 KiB buffers, so idle sockets must
 * sit on the small size. Measured (5,000 idle sockets, RSS delta, Deno
 * 2.9): 10.8 kB each with 1 KiB reads, 14.2 kB with 4 KiB, 31.8 kB with 16
 * KiB; again with the benchmark's server (bench/PROFILE.md), 8.6 kB with
 * 1 KiB against 11.3 kB with 4 KiB (the Deno.listen ceiling, which reads
 * 4 KiB: 9.0–9.5 kB).
 */
const MIN_READ_SIZE = 1024;
const MAX_READ_SIZE = 64 * 1024;

/**
 * The next read goes into the rest of the current buffer while that rest is
 * at least this big and twice the last read, else into a fresh buffer: a
 * window too small for the next request would split its head in two reads.
 */
const MIN_READ_WINDOW = 256;

/** How long a close() waits for bytes still being written before it drops them. */
const CLOSE_FLUSH_TIMEOUT_MS = 2_000;

/** One Deno connection; call `readLoop()` once the handler is set. */
export class DenoTransport implements Transport {
  readonly remoteAddr: NetAddr;
  handler!: TransportHandler;
  #conn: DenoConn;
  #role: SocketRole;
  #queue = new ByteQueue();
  #writing = false;
  /** In {@linkcode DenoTransport.#pending}: `#writing`, but no `conn.write` started yet. */
  #flushQueued = false;
  #needDrain = false;
  #endRequested = false;
  #writeEnded = false;
  #reading = false;
  #readEnded = false;
  #paused = false;
  #held: Uint8Array | undefined;
  #closed = false;
  /** close() came while a write was owed to the socket: it closes once that is out. */
  #closing: ReturnType<typeof setTimeout> | undefined;
  #readSize = MIN_READ_SIZE;
  /** The buffer reads go into, from `#readOffset`; what lies before was handed out. */
  #readBuffer: Uint8Array | null = null;
  #readOffset = 0;

  constructor(conn: DenoConn, role: SocketRole) {
    this.#conn = conn;
    this.#role = role;
    this.remoteAddr = toNetAddr(conn.remoteAddr);
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#endRequested) return false;
    this.#queue.push(bytes);
    if (!this.#writing) {
      // Not written here but with the other connections' (see #flushPending).
      this.#writing = true;
      this.#flushQueued = true;
      if (DenoTransport.#pending.push(this) === 1) queueMicrotask(DenoTransport.#flushPending);
    }
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
    if (!this.#paused || this.#closed || this.#closing !== undefined) return;
    this.#paused = false;
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.handler.onData(held);
    }
    if (!this.#reading && !this.#paused && !this.#readEnded && !this.#closed) {
      void this.readLoop();
    }
  }

  end(): void {
    if (this.#endRequested || this.#closed) return;
    this.#endRequested = true;
    if (!this.#writing) void this.#closeWrite();
  }

  close(): void {
    if (this.#closed || this.#closing !== undefined) return;
    // Deno's write op is asynchronous: closing now would drop bytes that a
    // Node socket would already have handed to the kernel, such as the last
    // response to a client that half-closed after its request. Up to a
    // high-water mark of them still go out, then the socket closes; a peer
    // that does not read them gets the close after CLOSE_FLUSH_TIMEOUT_MS.
    if (this.#writing && this.#queue.size <= WRITE_HIGH_WATER_MARK) {
      this.#endRequested = true;
      this.#closing = setTimeout(() => this.#destroy(undefined), CLOSE_FLUSH_TIMEOUT_MS);
      return;
    }
    this.#destroy(undefined);
  }

  unref(): void {
    if (!this.#closed) this.#conn.unref?.();
  }

  ref(): void {
    if (!this.#closed) this.#conn.ref?.();
  }

  async readLoop(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#paused && !this.#closed) {
        let buffer = this.#readBuffer;
        let offset = this.#readOffset;
        if (buffer === null || buffer.byteLength !== this.#readSize) {
          buffer = this.#readBuffer = new Uint8Array(this.#readSize);
          offset = this.#readOffset = 0;
        }
        const window = offset === 0 ? buffer : buffer.subarray(offset);
        const count = await this.#conn.read(window);
        if (this.#closed || this.#closing !== undefined) return;
        if (count === null) {
          this.#readEnded = true;
          this.handler.onEnd();
          // A dialled socket has nothing left to do once the server is done.
          if (this.#writeEnded || this.#role === "dialled") this.#destroy(undefined);
          return;
        }
        // The chunk is the handler's to keep: a view, never written again.
        // The next read takes the rest of the buffer while it is big enough,
        // else a fresh one. Copying each chunk out of one reused buffer (a new
        // backing store per read, ~0.4 µs on Deno 2.9 for a 78-byte head) and
        // the garbage it makes cost more than a fresh 1 KiB buffer every ten
        // or so small requests.
        const chunk = window.subarray(0, count);
        const end = offset + count;
        const room = buffer.byteLength - end;
        if (room >= MIN_READ_WINDOW && room >= count * 2) this.#readOffset = end;
        else this.#readBuffer = null;
        if (offset === 0 && count === buffer.byteLength) {
          if (this.#readSize < MAX_READ_SIZE) this.#readSize *= 2;
        } else if (count < this.#readSize >> 2 && this.#readSize > MIN_READ_SIZE) {
          this.#readSize >>= 1;
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

  /** Transports whose first `conn.write` waits for {@linkcode DenoTransport.#flushPending}. */
  static #pending: DenoTransport[] = [];

  /**
   * Starts, in a row, the writes that `write` asked for since the last run:
   * one microtask after the first, so after the other read continuations of
   * the same event-loop turn. Written at once, a light response (written in
   * the handler's turn) left between one connection's parse and the next;
   * the client, woken by each `send`, went back to sleep before the next,
   * and the kernel charges every wake-up (and, on this VM, its interrupt) to
   * the sender. wrk -c50 against the light server: 0.06-0.11 wrk sleeps per
   * request written at once, 0.023-0.025 in a row (the default path's, whose
   * writes wait for a promise anyway, 0.03); bench/PROFILE.md, session 3.
   */
  static #flushPending = (): void => {
    const pending = DenoTransport.#pending;
    DenoTransport.#pending = [];
    for (const transport of pending) if (transport.#flushQueued) void transport.#flush();
  };

  async #flush(): Promise<void> {
    this.#flushQueued = false;
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
    if (this.#closing !== undefined) return this.#destroy(undefined);
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
    clearTimeout(this.#closing);
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
