/**
 * Gathers a connection's outgoing bytes and writes them once per batch: the
 * server's one output batch (heads, bodies and chunk frames of every
 * response ready together). The transport below only queues what its socket
 * has not taken yet; it joins queued batches only while the socket is behind.
 *
 * Pipelined responses that are ready together leave in one write (one
 * syscall, one TCP segment when small): DESIGN.md measured node:net
 * answering a 16-deep batch with one write at ~1.3M req/s against ~55k for
 * node:http's write per response.
 *
 * @module
 */

import { allocate } from "../codec/_pool.ts";
import type { Transport } from "../transport.ts";

/** Pieces at least this large are written as they are rather than copied into a batch. */
const DIRECT_WRITE_SIZE = 16 * 1024;

/** Batched bytes that trigger a flush before more are gathered. */
const BATCH_LIMIT = 64 * 1024;

/** A write batch over one transport, with backpressure as a promise. */
export class OutputBuffer {
  #transport: Transport;
  #pieces: Uint8Array[] = [];
  #size = 0;
  #blocked = false;
  #blockedSince = 0;
  #closed = false;
  #waiters: (() => void)[] = [];
  /** Called after a flush has handed bytes to the transport (the responses in the batch are complete). */
  onFlush: (() => void) | null = null;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** The transport reported it is over its high-water mark. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** When the transport last went over its high-water mark without draining since (ms), else 0. */
  get blockedSince(): number {
    return this.#blocked ? this.#blockedSince : 0;
  }

  /** Queues bytes for the next flush (large pieces flush the batch and go straight out). */
  push(bytes: Uint8Array): void {
    if (this.#closed || bytes.byteLength === 0) return;
    if (bytes.byteLength >= DIRECT_WRITE_SIZE) {
      this.flush();
      this.#write(bytes);
      return;
    }
    this.#pieces.push(bytes);
    this.#size += bytes.byteLength;
    if (this.#size >= BATCH_LIMIT) this.flush();
  }

  /** Writes everything gathered, as one piece. */
  flush(): void {
    const pieces = this.#pieces;
    if (pieces.length === 0 || this.#closed) return;
    let batch: Uint8Array;
    if (pieces.length === 1) batch = pieces[0];
    else {
      // Pooled: a head and a small body are joined once per response.
      batch = allocate(this.#size);
      let offset = 0;
      for (const piece of pieces) {
        batch.set(piece, offset);
        offset += piece.byteLength;
      }
    }
    this.#pieces = [];
    this.#size = 0;
    this.#write(batch);
    this.onFlush?.();
  }

  /** Resolves once the transport can take more (at once when it can now). */
  ready(): Promise<void> | undefined {
    if (!this.#blocked || this.#closed) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The transport flushed its queue. */
  drained(): void {
    this.#blocked = false;
    this.#release();
  }

  /** The transport is gone: nothing more is written; waiters are released. */
  closed(): void {
    this.#closed = true;
    this.#pieces = [];
    this.#size = 0;
    this.#release();
  }

  /** Whether the transport is gone. */
  get isClosed(): boolean {
    return this.#closed;
  }

  #write(bytes: Uint8Array): void {
    if (!this.#transport.write(bytes) && !this.#blocked) {
      this.#blocked = true;
      this.#blockedSince = Date.now();
    }
  }

  #release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
