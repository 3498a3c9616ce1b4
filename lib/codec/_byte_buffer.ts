/**
 * The pending input of a parser or decoder: one contiguous byte range.
 *
 * Theory of operation: when everything pushed so far has been consumed (the
 * common case: a read holds whole requests), a pushed chunk is adopted as is,
 * so heads are parsed in place and body data goes out as views into the
 * caller's chunk, with no copy. Only when bytes are left over (a head or
 * chunk line split across reads) are they joined into storage this buffer
 * owns, grown geometrically so a head trickling in byte by byte costs
 * amortised O(1) per byte. Owned storage is only ever written past `end`,
 * and a view handed out always lies before `end`, so views stay valid;
 * joining always copies into fresh storage rather than compacting in place.
 *
 * @module
 */

import { EMPTY_BYTES } from "./_syntax.ts";

// Joined storage starts at least this big, and grows by at most this much
// beyond what is needed, so a large read appended to a small leftover does
// not double the memory it pins.
const MIN_STORAGE = 256;
const MAX_SLACK = 16384;

/** Pending input bytes: `bytes[start, end)`. Fields are public for the parsers' hot loops. */
export class ByteBuffer {
  /** Backing bytes; only `[start, end)` is pending. */
  bytes: Uint8Array = EMPTY_BYTES;
  /** Index of the first pending byte. */
  start = 0;
  /** Index just past the last pending byte. */
  end = 0;
  #owned = false;

  /** Number of pending bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** Appends a chunk; adopts it without copying when nothing is pending. */
  push(chunk: Uint8Array): void {
    const length = chunk.length;
    if (length === 0) return;
    if (this.start === this.end) {
      this.bytes = chunk;
      this.start = 0;
      this.end = length;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.bytes.length - this.end >= length) {
      this.bytes.set(chunk, this.end);
      this.end += length;
      return;
    }
    const pending = this.end - this.start;
    const needed = pending + length;
    const storage = new Uint8Array(Math.max(MIN_STORAGE, needed + Math.min(needed, MAX_SLACK)));
    storage.set(this.bytes.subarray(this.start, this.end));
    storage.set(chunk, pending);
    this.bytes = storage;
    this.start = 0;
    this.end = needed;
    this.#owned = true;
  }

  /** Marks `count` pending bytes consumed; releases the storage once all are. */
  advance(count: number): void {
    this.start += count;
    if (this.start === this.end) this.clear();
  }

  /** Consumes `count` bytes and returns them as a view (no copy). */
  take(count: number): Uint8Array {
    const view = this.bytes.subarray(this.start, this.start + count);
    this.advance(count);
    return view;
  }

  /** Consumes and returns everything pending (a view). */
  takeAll(): Uint8Array {
    return this.take(this.end - this.start);
  }

  /** Drops everything pending and the storage with it. */
  clear(): void {
    this.bytes = EMPTY_BYTES;
    this.start = 0;
    this.end = 0;
    this.#owned = false;
  }
}
