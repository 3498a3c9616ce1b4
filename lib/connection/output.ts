/**
 * Gathers a connection's outgoing bytes and writes them once per batch: the
 * server's one output batch (heads, bodies and chunk frames of every
 * response ready together). The transport below only queues what its socket
 * has not taken yet; it joins queued batches only while the socket is behind.
 *
 * Pipelined responses that are ready together leave in one write (one
 * syscall, one TCP segment when small): DESIGN.md measured node:net
 * answering a 16-deep batch with one write at ~1.3M req/s against ~55k for
 * node:http's write per response. While the connection is handling the
 * bytes of one read it holds the batch ({@linkcode OutputBuffer.hold}):
 * every response its handlers answer at once leaves in one write when the
 * read is done, however the responses are written one by one.
 *
 * @module
 */

import { allocate } from "../codec/_pool.ts";
import type { Transport } from "../transport.ts";

/** Pieces at least this large are written as they are rather than copied into a batch. */
const DIRECT_WRITE_SIZE = 16 * 1024;

/** Batched bytes that trigger a flush before more are gathered. */
const BATCH_LIMIT = 64 * 1024;

/** The empty batch every output starts with and returns to; never pushed to. */
const NO_PIECES: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/** The connection is handling the bytes of one read ({@linkcode OutputBuffer.hold}). */
const HOLDING = 1;
/** The transport is gone. */
const CLOSED = 2;

/** Told after each flush (an object, not a closure: one less allocation per connection). */
export interface FlushListener {
  /** A flush has handed bytes to the transport: the responses in the batch are complete. */
  flushed(): void;
}

/** A write batch over one transport, with backpressure as a promise. */
export class OutputBuffer {
  #transport: Transport;
  #listener: FlushListener;
  /** {@linkcode NO_PIECES} when empty (as ResponseQueue's lists, for JavaScriptCore's sake). */
  #pieces: Uint8Array[] = NO_PIECES;
  #size = 0;
  /**
   * When the transport last went over its high-water mark without draining
   * since (ms); 0 while it is not. One field for both: every idle connection
   * holds this object, and JavaScriptCore sized it at 112 B with nine
   * fields, 80 B with seven (Bun 1.4.5, 2026-11-30).
   */
  #blockedSince = 0;
  /** {@linkcode HOLDING} and {@linkcode CLOSED}, as bits. */
  #flags = 0;
  /** Made when someone first waits for the transport (most connections never do). */
  #waiters: (() => void)[] | null = null;

  constructor(transport: Transport, listener: FlushListener) {
    this.#transport = transport;
    this.#listener = listener;
  }

  /** The transport reported it is over its high-water mark. */
  get blocked(): boolean {
    return this.#blockedSince !== 0;
  }

  /** When the transport last went over its high-water mark without draining since (ms), else 0. */
  get blockedSince(): number {
    return this.#blockedSince;
  }

  /** Nothing gathered, not blocked, nobody waiting, no read being handled. */
  get holdsNothing(): boolean {
    return this.#pieces.length === 0 && this.#blockedSince === 0 && this.#waiters === null &&
      (this.#flags & HOLDING) === 0;
  }

  /** Queues bytes for the next flush (large pieces flush the batch and go straight out). */
  push(bytes: Uint8Array): void {
    if ((this.#flags & CLOSED) !== 0 || bytes.byteLength === 0) return;
    if (bytes.byteLength >= DIRECT_WRITE_SIZE) {
      this.flush();
      this.#write(bytes);
      return;
    }
    if (this.#pieces === NO_PIECES) this.#pieces = [bytes];
    else this.#pieces.push(bytes);
    this.#size += bytes.byteLength;
    if (this.#size >= BATCH_LIMIT) this.flush();
  }

  /** Writes everything gathered, as one piece; the listener hears of it even when there was nothing left to write. */
  flush(): void {
    if ((this.#flags & CLOSED) !== 0) return;
    const pieces = this.#pieces;
    if (pieces.length > 0) {
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
      this.#pieces = NO_PIECES;
      this.#size = 0;
      this.#write(batch);
    }
    this.#listener.flushed();
  }

  /**
   * The connection is handling the bytes of one read: {@linkcode flushBatch}
   * waits for {@linkcode release}, so every response answered during the
   * read leaves in one write (a pipelined batch, or one response whose head
   * and body were pushed apart).
   */
  hold(): void {
    this.#flags |= HOLDING;
  }

  /** The read is handled: what was held is written now. */
  release(): void {
    this.#flags &= ~HOLDING;
    this.flush();
  }

  /** The end of a run of ready responses: written now, or when the read being handled is done. */
  flushBatch(): void {
    if ((this.#flags & HOLDING) === 0) this.flush();
  }

  /** Resolves once the transport can take more (at once when it can now). */
  ready(): Promise<void> | undefined {
    if (this.#blockedSince === 0 || (this.#flags & CLOSED) !== 0) return undefined;
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** The transport flushed its queue. */
  drained(): void {
    this.#blockedSince = 0;
    this.#release();
  }

  /** The transport is gone: nothing more is written; waiters are released. */
  closed(): void {
    this.#flags |= CLOSED;
    this.#pieces = NO_PIECES;
    this.#size = 0;
    this.#release();
  }

  /** Whether the transport is gone. */
  get isClosed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  #write(bytes: Uint8Array): void {
    if (!this.#transport.write(bytes) && this.#blockedSince === 0) {
      this.#blockedSince = Date.now();
    }
  }

  #release(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const wake of waiters) wake();
  }
}
