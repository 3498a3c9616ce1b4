/**
 * An upgraded connection as a byte stream pair (RFC 9110 §7.8): what the
 * peer sends after the `101` (the bytes already read past the request's
 * head first) and what the new protocol writes, with TCP back-pressure both
 * ways.
 *
 * Closing: the protocol closes `writable` when it has said its last word
 * (a FIN goes after every byte queued), and cancels `readable` when it
 * reads no more. Cancelling never cuts the socket: bytes still queued for
 * the peer (a WebSocket's last echo and its Close) would be lost in a
 * reset. Once both directions are done, `onFinished` tells the connection,
 * which lingers briefly for the peer's FIN and then closes (RFC 6455
 * §7.1.1: the server closes the TCP connection first).
 *
 * @module
 */

import type { Transport } from "../transport.ts";
import type { UpgradedDuplex } from "./upgrade.ts";

/** Unread bytes held before the socket is paused. */
const READ_HIGH_WATER_MARK = 64 * 1024;

/** The two streams over one transport, fed by the connection's socket events. */
export class UpgradedStreams {
  readonly duplex: UpgradedDuplex;
  #transport: Transport;
  #input: ReadableStreamDefaultController<Uint8Array> | null = null;
  #inputDone = false;
  #paused = false;
  #drainWaiters: (() => void)[] = [];
  #gone: Error | null = null;
  #writeDone = false;
  #onFinished: () => void;

  /** `onFinished` runs once both directions are done (read to the end or cancelled; closed). */
  constructor(transport: Transport, buffered: Uint8Array, onFinished: () => void) {
    this.#transport = transport;
    this.#onFinished = onFinished;
    const readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#input = controller;
        if (buffered.byteLength > 0) controller.enqueue(buffered);
      },
      pull: () => {
        if (this.#paused) {
          this.#paused = false;
          transport.resume();
        }
      },
      cancel: () => {
        this.#inputDone = true;
        // What the peer sends from now on is discarded (`push`); the socket
        // keeps reading so that its FIN is seen.
        if (this.#paused) {
          this.#paused = false;
          transport.resume();
        }
        this.#checkFinished();
      },
    }, { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength });
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.#gone !== null) throw this.#gone;
        if (transport.write(chunk)) return;
        return new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
      },
      close: () => {
        this.#writeDone = true;
        if (this.#gone === null) transport.end();
        this.#checkFinished();
      },
      abort: () => {
        this.#writeDone = true;
        transport.close();
      },
    });
    this.duplex = { readable, writable };
  }

  #checkFinished(): void {
    if (this.#inputDone && this.#writeDone && this.#gone === null) this.#onFinished();
  }

  /** Bytes arrived from the peer. */
  push(chunk: Uint8Array): void {
    const input = this.#input;
    if (input === null || this.#inputDone) return;
    input.enqueue(chunk);
    if ((input.desiredSize ?? 1) <= 0 && !this.#paused) {
      this.#paused = true;
      this.#transport.pause();
    }
  }

  /** The peer's FIN. */
  end(): void {
    if (this.#inputDone) return;
    this.#inputDone = true;
    this.#input?.close();
    this.#checkFinished();
  }

  /** The socket's write queue has room again. */
  drained(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The socket is gone: reading ends (errors, on a reset) and writes fail. */
  closed(error?: unknown): void {
    this.#gone = new Error("the connection is closed", { cause: error });
    if (!this.#inputDone) {
      this.#inputDone = true;
      if (error === undefined) this.#input?.close();
      else this.#input?.error(error);
    }
    this.drained();
  }
}
