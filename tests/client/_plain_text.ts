/**
 * The plain text the decompression tests code and decode: 3,000 words in
 * a fixed pseudo-random order, compressible but not to nothing.
 */

const WORDS = ["keep", "alive", "socket", "frame", "chunk", "idle", "close", "reuse"];
let seed = 7;
/** The text. */
export const TEXT: string = Array.from({ length: 3000 }, () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return WORDS[seed % WORDS.length];
}).join(" ");
/** The text's bytes (UTF-8). */
export const PLAIN: Uint8Array = new TextEncoder().encode(TEXT);
