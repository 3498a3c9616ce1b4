/**
 * A streaming UTF-8 validator: text messages are checked as their bytes
 * arrive, across frame and read boundaries, so invalid text fails the
 * connection as soon as the offending byte is seen (RFC 6455 §8.1).
 *
 * @module
 */

/**
 * Validates UTF-8 (RFC 3629, the well-formed sequences of Unicode Table
 * 3-7: no overlongs, no surrogates, nothing above U+10FFFF) fed in pieces.
 *
 * @example A code point split across two pieces
 * ```ts
 * import { Utf8Validator } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const validator = new Utf8Validator();
 * assert.equal(validator.feed(new Uint8Array([0x68, 0xe2, 0x82])), -1);
 * assert.equal(validator.complete, false); // inside "€"
 * assert.equal(validator.feed(new Uint8Array([0xac])), -1);
 * assert.equal(validator.complete, true);
 * assert.equal(validator.feed(new Uint8Array([0xc0, 0xaf])), 0); // an overlong "/"
 * ```
 */
export class Utf8Validator {
  // Continuation bytes still expected, and the range the next one must lie in
  // (narrower than 80..BF right after E0, ED, F0 and F4).
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;

  /** True when the bytes fed so far end on a code point boundary. */
  get complete(): boolean {
    return this.#need === 0;
  }

  /** Forgets any partial code point: the next byte starts a new sequence. */
  reset(): void {
    this.#need = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  /**
   * Checks `bytes[start, end)`; returns the index of the first byte that
   * cannot continue valid UTF-8, or -1 when all of them can. After a
   * failure the state is unspecified: call {@linkcode reset} before reuse.
   */
  feed(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
    let need = this.#need;
    let lower = this.#lower;
    let upper = this.#upper;
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i];
      if (need === 0) {
        if (byte < 0x80) continue;
        if (byte >= 0xc2 && byte <= 0xdf) need = 1;
        else if (byte >= 0xe0 && byte <= 0xef) {
          need = 2;
          if (byte === 0xe0) lower = 0xa0; // overlong
          else if (byte === 0xed) upper = 0x9f; // UTF-16 surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          need = 3;
          if (byte === 0xf0) lower = 0x90; // overlong
          else if (byte === 0xf4) upper = 0x8f; // above U+10FFFF
        } else {
          break; // 80..C1 cannot start a sequence, F5..FF never appear
        }
      } else {
        if (byte < lower || byte > upper) break;
        need--;
        lower = 0x80;
        upper = 0xbf;
      }
    }
    this.#need = need;
    this.#lower = lower;
    this.#upper = upper;
    return i < end ? i : -1;
  }
}
