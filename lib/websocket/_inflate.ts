/**
 * A raw DEFLATE decoder (RFC 1951) for permessage-deflate (RFC 7692 §7.2.2),
 * synchronous and bounded.
 *
 * Why not `DecompressionStream("deflate-raw")`: a permessage-deflate
 * message is a sync-flushed fragment of one long DEFLATE stream, never
 * finished, and the next message may refer back into it (context
 * takeover). A DecompressionStream errors when closed on an unfinished
 * stream and cannot say when the output of one written chunk is complete;
 * and its output cannot be bounded before it is produced. This decoder
 * stops the moment a message inflates past the limit (a 1 KiB message
 * cannot make the server allocate gigabytes), keeps the last 32 KiB as the
 * window for the next message, and runs in the read loop's own step.
 *
 * Decoding follows the canonical-Huffman scheme of RFC 1951 §3.2.2: codes
 * of each length are consecutive, so a symbol is found by counting codes
 * per length, a bit at a time.
 *
 * @module
 */

const LENGTH_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LENGTH_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DISTANCE_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DISTANCE_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
// §3.2.7: the order in which code length code lengths are sent.
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const WINDOW = 32768;

/** Invalid DEFLATE data. */
export class InflateError extends Error {}

interface Huffman {
  counts: Uint16Array; // codes of each length 0..15
  symbols: Uint16Array; // symbols ordered by code
}

function buildHuffman(lengths: ArrayLike<number>, offset: number, count: number): Huffman {
  const counts = new Uint16Array(16);
  for (let i = 0; i < count; i++) counts[lengths[offset + i]]++;
  let left = 1;
  for (let length = 1; length < 16; length++) {
    left = (left << 1) - counts[length];
    if (left < 0) throw new InflateError("an over-subscribed Huffman code");
  }
  const starts = new Uint16Array(16);
  for (let length = 1; length < 15; length++) starts[length + 1] = starts[length] + counts[length];
  const symbols = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const length = lengths[offset + i];
    if (length !== 0) symbols[starts[length]++] = i;
  }
  return { counts, symbols };
}

const FIXED_LENGTHS = (() => {
  const lengths = new Uint8Array(288 + 30);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  lengths.fill(5, 288);
  return lengths;
})();
const FIXED_LITERALS = buildHuffman(FIXED_LENGTHS, 0, 288);
const FIXED_DISTANCES = buildHuffman(FIXED_LENGTHS, 288, 30);

/** Inflates the messages of one direction of one connection, in order. */
export class RawInflater {
  #history: Uint8Array = new Uint8Array(0);
  // Per call.
  #input: Uint8Array = new Uint8Array(0);
  #position = 0;
  #bitBuffer = 0;
  #bitCount = 0;
  #out: Uint8Array = new Uint8Array(0);
  #length = 0;
  #limit = 0;
  /** After `inflate()`: the bit offset of the last block's header. */
  lastBlockBit = 0;
  /** After `inflate()`: the bit offset just past the last block. */
  endBit = 0;

  /** Forgets the window: the next message may not refer to earlier ones. */
  reset(): void {
    this.#history = new Uint8Array(0);
  }

  /**
   * Inflates one message's DEFLATE data (the caller has appended the
   * 00 00 FF FF that the sender removed, RFC 7692 §7.2.2). Returns the
   * bytes, or null as soon as they would exceed `limit`. Throws
   * {@linkcode InflateError} on data that is not DEFLATE or ends inside a block.
   */
  inflate(input: Uint8Array, limit: number): Uint8Array | null {
    const history = this.#history;
    this.#input = input;
    this.#position = 0;
    this.#bitBuffer = 0;
    this.#bitCount = 0;
    this.#out = new Uint8Array(history.length + Math.min(limit, Math.max(1024, input.length * 4)));
    this.#out.set(history);
    this.#length = history.length;
    this.#limit = history.length + limit;
    try {
      for (;;) {
        // A sync flush ends on a byte boundary with an empty stored block;
        // nothing left then means the message is complete.
        if (this.#position >= input.length && this.#bitCount === 0) break;
        this.lastBlockBit = this.#position * 8 - this.#bitCount;
        const final = this.#bits(1);
        const type = this.#bits(2);
        if (type === 0) this.#stored();
        else if (type === 1) this.#codes(FIXED_LITERALS, FIXED_DISTANCES);
        else if (type === 2) this.#dynamic();
        else throw new InflateError("block type 3 is reserved");
        // §7.2.3.4 of RFC 7692: a sender may end a message with BFINAL; what
        // follows (the rest of the appended empty block) is not data.
        if (final) break;
        if (this.#position >= input.length && this.#bitCount < 8 && this.#bitBuffer === 0) break;
      }
      this.endBit = this.#position * 8 - this.#bitCount;
    } catch (error) {
      if (error === OVER_LIMIT) return null;
      throw error;
    }
    const out = this.#out;
    const result = out.slice(history.length, this.#length);
    this.#history = out.slice(Math.max(0, this.#length - WINDOW), this.#length);
    this.#out = new Uint8Array(0);
    this.#input = new Uint8Array(0);
    return result;
  }

  #bits(count: number): number {
    let buffer = this.#bitBuffer;
    let have = this.#bitCount;
    while (have < count) {
      if (this.#position >= this.#input.length) {
        throw new InflateError("the data ends inside a block");
      }
      buffer |= this.#input[this.#position++] << have;
      have += 8;
    }
    this.#bitBuffer = buffer >>> count;
    this.#bitCount = have - count;
    return buffer & ((1 << count) - 1);
  }

  #decode(huffman: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let length = 1; length < 16; length++) {
      code |= this.#bits(1);
      const count = huffman.counts[length];
      if (code - first < count) return huffman.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError("an invalid Huffman code");
  }

  #reserve(count: number): void {
    const needed = this.#length + count;
    if (needed > this.#limit) throw OVER_LIMIT;
    if (needed <= this.#out.length) return;
    const grown = new Uint8Array(Math.min(this.#limit, Math.max(needed, this.#out.length * 2)));
    grown.set(this.#out.subarray(0, this.#length));
    this.#out = grown;
  }

  #stored(): void {
    this.#bitBuffer = 0;
    this.#bitCount = 0;
    const input = this.#input;
    const at = this.#position;
    if (at + 4 > input.length) throw new InflateError("the data ends inside a block");
    const length = input[at] | (input[at + 1] << 8);
    const complement = input[at + 2] | (input[at + 3] << 8);
    if ((length ^ 0xffff) !== complement) {
      throw new InflateError("a stored block's LEN and NLEN disagree");
    }
    if (at + 4 + length > input.length) throw new InflateError("the data ends inside a block");
    this.#reserve(length);
    this.#out.set(input.subarray(at + 4, at + 4 + length), this.#length);
    this.#length += length;
    this.#position = at + 4 + length;
  }

  #dynamic(): void {
    const literalCount = this.#bits(5) + 257;
    const distanceCount = this.#bits(5) + 1;
    const codeLengthCount = this.#bits(4) + 4;
    if (literalCount > 286 || distanceCount > 30) throw new InflateError("too many codes");
    const codeLengths = new Uint8Array(19);
    for (let i = 0; i < codeLengthCount; i++) codeLengths[CODE_LENGTH_ORDER[i]] = this.#bits(3);
    const codeLengthCode = buildHuffman(codeLengths, 0, 19);
    const lengths = new Uint8Array(literalCount + distanceCount);
    for (let i = 0; i < lengths.length;) {
      const symbol = this.#decode(codeLengthCode);
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (symbol === 16) {
        if (i === 0) throw new InflateError("a repeat with no previous length");
        value = lengths[i - 1];
        repeat = 3 + this.#bits(2);
      } else if (symbol === 17) repeat = 3 + this.#bits(3);
      else repeat = 11 + this.#bits(7);
      if (i + repeat > lengths.length) throw new InflateError("code lengths overflow");
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new InflateError("no end-of-block code");
    this.#codes(
      buildHuffman(lengths, 0, literalCount),
      buildHuffman(lengths, literalCount, distanceCount),
    );
  }

  #codes(literals: Huffman, distances: Huffman): void {
    for (;;) {
      const symbol = this.#decode(literals);
      if (symbol < 256) {
        this.#reserve(1);
        this.#out[this.#length++] = symbol;
        continue;
      }
      if (symbol === 256) return;
      const lengthIndex = symbol - 257;
      if (lengthIndex >= 29) throw new InflateError("an invalid length symbol");
      const length = LENGTH_BASE[lengthIndex] + this.#bits(LENGTH_EXTRA[lengthIndex]);
      const distanceSymbol = this.#decode(distances);
      if (distanceSymbol >= 30) throw new InflateError("an invalid distance symbol");
      const distance = DISTANCE_BASE[distanceSymbol] + this.#bits(DISTANCE_EXTRA[distanceSymbol]);
      if (distance > this.#length) throw new InflateError("a distance before the window");
      this.#reserve(length);
      const out = this.#out;
      let at = this.#length;
      // Byte by byte: a copy may overlap its own output (distance < length).
      for (let from = at - distance, end = at + length; at < end;) out[at++] = out[from++];
      this.#length = at;
    }
  }
}

const OVER_LIMIT = new Error("over the limit");
