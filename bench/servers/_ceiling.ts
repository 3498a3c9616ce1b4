/**
 * The "ceiling" servers' shared part: count requests by their blank line
 * ("\r\n\r\n") across chunk boundaries and answer each with one canned
 * response, a whole batch in one write. No parsing, no Request, no Response:
 * the fastest a JavaScript server on a given runtime can answer wrk.
 *
 * @module
 */

import { HELLO_BODY } from "./_common.ts";

const CANNED = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\n" +
    `Content-Length: ${HELLO_BODY.length}\r\n\r\n${HELLO_BODY}`,
);

/** Pre-built batches for up to this many requests per read (wrk pipelines 16). */
const CACHED_BATCHES = 64;
const batches: Uint8Array[] = [new Uint8Array(0)];
for (let count = 1; count <= CACHED_BATCHES; count++) {
  const batch = new Uint8Array(CANNED.byteLength * count);
  for (let i = 0; i < count; i++) batch.set(CANNED, i * CANNED.byteLength);
  batches.push(batch);
}

/** The bytes answering `count` requests, in one buffer. */
export function cannedResponses(count: number): Uint8Array {
  if (count <= CACHED_BATCHES) return batches[count];
  const batch = new Uint8Array(CANNED.byteLength * count);
  for (let i = 0; i < count; i++) batch.set(CANNED, i * CANNED.byteLength);
  return batch;
}

const CR = 13;
const LF = 10;

/**
 * Counts "\r\n\r\n" in a byte stream fed in arbitrary pieces. `matched` is how
 * many bytes of the pattern the previous piece ended with, so a blank line
 * split across two reads still counts once.
 */
export class BlankLineCounter {
  #matched = 0;

  /** Feeds one piece; returns how many blank lines it completed. */
  push(bytes: Uint8Array): number {
    let matched = this.#matched;
    let found = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === CR) matched = matched === 2 ? 3 : 1;
      else if (byte === LF && (matched === 1 || matched === 3)) {
        if (matched === 3) {
          found++;
          matched = 0;
        } else matched = 2;
      } else matched = 0;
    }
    this.#matched = matched;
    return found;
  }
}
