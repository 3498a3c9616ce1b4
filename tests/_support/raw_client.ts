/**
 * A raw TCP client for socket tests, built on `node:net` because Deno, Bun
 * and Node all provide it: the same test file drives each runtime's server
 * shim with the same client code.
 *
 * It buffers everything it receives (see `ReceivedBytes`); `readBytes` /
 * `readUntil` / `readToEnd` consume from that buffer, each failing after a
 * timeout instead of hanging the test run.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { DEFAULT_READ_TIMEOUT_MS, ReceivedBytes } from "./received_bytes.ts";

const encoder = new TextEncoder();

export { DEFAULT_READ_TIMEOUT_MS };

/** One client connection with buffered, awaitable reads. */
export class RawClient {
  /** Resolves when the server's FIN arrives (all its bytes have been received). */
  readonly ended: Promise<void>;
  /** Resolves when the socket is fully closed. */
  readonly closed: Promise<void>;
  /** The error the socket closed with, if any (e.g. ECONNRESET). */
  error: (Error & { code?: string }) | undefined;
  #socket: Socket;
  #isEnded = false;
  #isClosed = false;
  #received = new ReceivedBytes("RawClient", {
    atEnd: () => this.#isEnded || this.#isClosed,
    gone: () => this.#isClosed,
  });

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.ended = new Promise((resolve) => socket.once("end", () => resolve()));
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Uint8Array) => {
      this.#received.push(new Uint8Array(chunk));
    });
    socket.on("end", () => {
      this.#isEnded = true;
      this.#received.wake();
    });
    socket.on("error", (error: Error) => {
      this.error = error;
    });
    socket.on("close", () => {
      this.#isClosed = true;
      this.#received.wake();
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
    return this.#received.length;
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
    return this.#received.readBytes(count, timeoutMs);
  }

  /** Wait until `marker` has arrived; consume and return the text through it. */
  readUntil(marker: string, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<string> {
    return this.#received.readUntil(marker, timeoutMs);
  }

  /** Wait for the server's FIN and consume everything before it. */
  readToEnd(timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Uint8Array> {
    return this.#received.readToEnd(timeoutMs);
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
