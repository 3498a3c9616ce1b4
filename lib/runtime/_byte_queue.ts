/**
 * The outgoing-bytes queue of the Deno and Bun transports (Node's stream
 * already queues for us).
 *
 * Both runtimes can write less than they were given (Bun's `socket.write`
 * returns the count it took, Deno's `conn.write` resolves with it), so the
 * transport keeps the rest here in order. When several small chunks wait — the
 * answers to a pipelined batch — they are joined into one buffer so the batch
 * leaves in one syscall: DESIGN.md measured one write per batch at ~10× the
 * throughput of one write per response.
 *
 * @module
 */

/**
 * Above this many queued bytes `Transport.write` returns `false` (the
 * contract in lib/transport.ts). 64 KiB is Node's default for
 * file streams and about one socket send buffer on Linux.
 */
export const WRITE_HIGH_WATER_MARK: number = 64 * 1024;

/** Queued chunks are joined into one write up to this many bytes. */
export const COALESCE_LIMIT: number = 64 * 1024;

/** A FIFO of byte chunks with a running size; `peek` joins small heads. */
export class ByteQueue {
  /** Total bytes queued. */
  size = 0;
  #chunks: Uint8Array[] = [];
  #first = 0;

  /** Append a chunk (kept by reference: callers hand over ownership). */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.push(bytes);
    this.size += bytes.byteLength;
  }

  /**
   * The bytes to write next: the head chunk, or — when it is small and more
   * are waiting — the head chunks joined up to `COALESCE_LIMIT` bytes.
   * Throws nothing on an empty queue; returns an empty array then.
   */
  peek(): Uint8Array {
    const chunks = this.#chunks;
    const first = this.#first;
    const waiting = chunks.length - first;
    if (waiting === 0) return new Uint8Array(0);
    const head = chunks[first];
    if (waiting === 1 || head.byteLength >= COALESCE_LIMIT) return head;
    let joinedLength = 0;
    let last = first;
    while (last < chunks.length && joinedLength + chunks[last].byteLength <= COALESCE_LIMIT) {
      joinedLength += chunks[last].byteLength;
      last++;
    }
    if (last - first < 2) return head;
    const joined = new Uint8Array(joinedLength);
    let offset = 0;
    for (let index = first; index < last; index++) {
      joined.set(chunks[index], offset);
      offset += chunks[index].byteLength;
    }
    // Replace the joined run by the one buffer so a partial write of it
    // resumes at the right byte.
    chunks.splice(first, last - first, joined);
    return joined;
  }

  /** Drop `count` bytes from the front (what the socket accepted). */
  consume(count: number): void {
    let remaining = count;
    const chunks = this.#chunks;
    while (remaining > 0 && this.#first < chunks.length) {
      const head = chunks[this.#first];
      if (head.byteLength <= remaining) {
        remaining -= head.byteLength;
        this.size -= head.byteLength;
        this.#first++;
      } else {
        chunks[this.#first] = head.subarray(remaining);
        this.size -= remaining;
        remaining = 0;
      }
    }
    if (this.#first === chunks.length) {
      chunks.length = 0;
      this.#first = 0;
    } else if (this.#first > 64) {
      chunks.splice(0, this.#first);
      this.#first = 0;
    }
  }

  /** Forget everything (the socket is gone). */
  clear(): void {
    this.#chunks.length = 0;
    this.#first = 0;
    this.size = 0;
  }
}
