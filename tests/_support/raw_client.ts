/**
 * A raw TCP client for socket tests, built on `node:net` because Deno, Bun
 * and Node all provide it: the same test file drives each runtime's server
 * shim with the same client code.
 *
 * It buffers everything it receives; `readBytes` / `readUntil` / `readToEnd`
 * consume from that buffer, each failing after a timeout instead of hanging
 * the test run.
 *
 * @module
 */

import { connect, type Socket } from "node:net";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How long a read waits before failing the test. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

type Waiter = () => boolean;

/** One client connection with buffered, awaitable reads. */
export class RawClient {
  /** Resolves when the server's FIN arrives (all its bytes have been received). */
  readonly ended: Promise<void>;
  /** Resolves when the socket is fully closed. */
  readonly closed: Promise<void>;
  /** The error the socket closed with, if any (e.g. ECONNRESET). */
  error: (Error & { code?: string }) | undefined;
  #socket: Socket;
  // Received chunks, flattened only when a read needs them (an 8 MiB
  // transfer must not be re-copied on every chunk).
  #chunks: Uint8Array[] = [];
  #bufferedLength = 0;
  #isEnded = false;
  #isClosed = false;
  #waiters = new Set<Waiter>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.ended = new Promise((resolve) => socket.once("end", () => resolve()));
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(new Uint8Array(chunk));
      this.#bufferedLength += chunk.byteLength;
      this.#wake();
    });
    socket.on("end", () => {
      this.#isEnded = true;
      this.#wake();
    });
    socket.on("error", (error: Error) => {
      this.error = error;
    });
    socket.on("close", () => {
      this.#isClosed = true;
      this.#wake();
    });
  }

  /**
   * Open a connection. Like a browser or curl, the client closes its side
   * when the server's FIN arrives, so `closed` resolves after a server-side
   * `end()`. Pass `{ allowHalfOpen: true }` to keep sending after the
   * server's FIN (then only `ended` tells that the server is done). Either
   * way `end()` half-closes the client side and reading continues.
   */
  static connect(
    port: number,
    hostname = "127.0.0.1",
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        port,
        host: hostname,
        allowHalfOpen: options.allowHalfOpen ?? false,
      });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** The client's own port, as the server sees it in `remoteAddr`. */
  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  /** Bytes received and not yet consumed by a read. */
  get buffered(): number {
    return this.#bufferedLength;
  }

  /** Send bytes; resolves once the runtime has handed them to the kernel. */
  write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /** Send each write as its own TCP segment at once (disable Nagle's algorithm). */
  setNoDelay(enabled = true): void {
    this.#socket.setNoDelay(enabled);
  }

  /** Half-close: send FIN, keep reading. */
  end(): void {
    this.#socket.end();
  }

  /** Abort with a TCP RST. */
  reset(): void {
    this.#socket.resetAndDestroy();
  }

  /** Close both directions now. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Stop reading from the socket (the server's writes back up). */
  pause(): void {
    this.#socket.pause();
  }

  /** Read again after `pause`. */
  resume(): void {
    this.#socket.resume();
  }

  /** Wait for exactly `count` more bytes and consume them. */
  readBytes(count: number, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.#until(`${count} bytes`, timeoutMs, () => {
      if (this.#bufferedLength < count) return undefined;
      return this.#take(count);
    });
  }

  /** Wait until `marker` has arrived; consume and return the text through it. */
  readUntil(marker: string, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<string> {
    return this.#until(JSON.stringify(marker), timeoutMs, () => {
      const text = decoder.decode(this.#flatten());
      const at = text.indexOf(marker);
      if (at === -1) return undefined;
      const through = text.slice(0, at + marker.length);
      this.#take(encoder.encode(through).byteLength);
      return through;
    });
  }

  /** Wait for the server's FIN and consume everything before it. */
  readToEnd(timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.#until("end of stream", timeoutMs, () => {
      if (!this.#isEnded && !this.#isClosed) return undefined;
      return this.#take(this.#bufferedLength);
    });
  }

  #flatten(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const joined = new Uint8Array(this.#bufferedLength);
    let offset = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#chunks = this.#bufferedLength === 0 ? [] : [joined];
    return joined;
  }

  #take(count: number): Uint8Array {
    const all = this.#flatten();
    const taken = all.slice(0, count);
    const rest = all.subarray(count);
    this.#chunks = rest.byteLength === 0 ? [] : [rest];
    this.#bufferedLength = rest.byteLength;
    return taken;
  }

  #wake(): void {
    for (const waiter of this.#waiters) if (waiter()) this.#waiters.delete(waiter);
  }

  #until<T>(what: string, timeoutMs: number, attempt: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`RawClient: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter = () => {
        const result = attempt();
        if (result !== undefined) {
          clearTimeout(timer);
          resolve(result);
          return true;
        }
        if (this.#isClosed) {
          clearTimeout(timer);
          reject(new Error(`RawClient: closed while waiting for ${what}`));
          return true;
        }
        return false;
      };
      if (!waiter()) this.#waiters.add(waiter);
    });
  }
}

/** Resolve after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `condition` every few ms until it holds, failing after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = DEFAULT_READ_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(5);
  }
}
