/**
 * Standalone body decoders: chunked (RFC 9112 §7.1) and Content-Length
 * (RFC 9112 §6.2). Both are sans-IO: `push()` bytes, `next()` events.
 * {@linkcode RequestParser} runs the same state machine on its own buffer;
 * these classes are for stream adapters and a future response parser.
 *
 * @module
 */

import type { RequestData, RequestEnd } from "./events.ts";
import type { ProtocolError } from "./errors.ts";
import type { ChunkedDecoderOptions } from "./limits.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import { chunkedLimits, ChunkedReader, incompleteMessage } from "./_chunked_reader.ts";
import { EMPTY_BYTES, NO_FIELDS } from "./_syntax.ts";

/**
 * Decodes one chunked body: `data` events with the chunk bytes (views into
 * the pushed chunks where possible), then one `end` with the trailers.
 * Bare LF, bare CR, malformed sizes or extensions and forbidden trailer
 * fields (framing, routing, authentication, content metadata) throw
 * {@linkcode ProtocolError}; after that every call throws the same error.
 *
 * @example Decode a body split across reads
 * ```ts
 * import { ChunkedDecoder } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const decoder = new ChunkedDecoder();
 * const encoder = new TextEncoder();
 * decoder.push(encoder.encode("5\r\nhel"));
 * decoder.push(encoder.encode("lo\r\n0\r\nX-Sum: 1\r\n\r\nNEXT"));
 * let text = "";
 * for (let event = decoder.next(); event !== null; event = decoder.next()) {
 *   if (event.type === "data") text += new TextDecoder().decode(event.bytes);
 *   else assert.deepEqual(event.trailers, ["X-Sum", "1"]);
 * }
 * assert.equal(text, "hello");
 * assert.equal(new TextDecoder().decode(decoder.takeRemainder()), "NEXT");
 * ```
 */
export class ChunkedDecoder {
  #buffer = new ByteBuffer();
  #reader: ChunkedReader;
  #eof = false;
  #error: ProtocolError | null = null;

  /**
   * Creates a decoder for one chunked body.
   *
   * @param options limits; see {@linkcode ChunkedDecoderOptions} for defaults
   */
  constructor(options: ChunkedDecoderOptions = {}) {
    this.#reader = new ChunkedReader(chunkedLimits(options));
  }

  /** Appends bytes. Never decodes. Do not mutate `chunk` afterwards: data events may be views into it. */
  push(chunk: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#eof) throw new TypeError("push() after finish()");
    this.#buffer.push(chunk);
  }

  /** The next event, or null when more input is needed (or after `end`). Throws ProtocolError. */
  next(): RequestData | RequestEnd | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#reader.read(this.#buffer, this.#eof);
    } catch (error) {
      this.#error = error as ProtocolError;
      throw error;
    }
  }

  /** The input ended: from now on, running out of bytes before `end` throws `incomplete-message`. */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    this.#eof = true;
  }

  /**
   * The bytes after the body's final CRLF (e.g. the next pipelined message),
   * consumed. Empty until `next()` has returned `end`.
   */
  takeRemainder(): Uint8Array {
    if (!this.#reader.done) return EMPTY_BYTES;
    return this.#buffer.takeAll();
  }
}

/**
 * Decodes a body of exactly `length` bytes (Content-Length framing): `data`
 * events as views into the pushed chunks, then `end`. EOF before `length`
 * bytes throws `ProtocolError(400, "incomplete-message")`: a body cut short
 * is never reported as a complete shorter one.
 *
 * @example
 * ```ts
 * import { LengthDecoder } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const decoder = new LengthDecoder(3);
 * decoder.push(new Uint8Array([1, 2, 3, 4]));
 * assert.deepEqual(decoder.next(), { type: "data", bytes: new Uint8Array([1, 2, 3]) });
 * assert.deepEqual(decoder.next(), { type: "end", trailers: [] });
 * assert.deepEqual(decoder.takeRemainder(), new Uint8Array([4]));
 * ```
 */
export class LengthDecoder {
  #buffer = new ByteBuffer();
  #remaining: number;
  #done = false;
  #eof = false;
  #error: ProtocolError | null = null;

  /**
   * Creates a decoder for a body of `length` bytes.
   *
   * @param length the body length in bytes: a non-negative safe integer
   */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError("length must be a non-negative safe integer");
    }
    this.#remaining = length;
  }

  /** Appends bytes. Never decodes. Do not mutate `chunk` afterwards: data events may be views into it. */
  push(chunk: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#eof) throw new TypeError("push() after finish()");
    this.#buffer.push(chunk);
  }

  /** The next event, or null when more input is needed (or after `end`). Throws ProtocolError. */
  next(): RequestData | RequestEnd | null {
    if (this.#error !== null) throw this.#error;
    if (this.#done) return null;
    if (this.#remaining === 0) {
      this.#done = true;
      return { type: "end", trailers: NO_FIELDS };
    }
    const available = this.#buffer.size;
    if (available === 0) {
      if (this.#eof) throw (this.#error = incompleteMessage());
      return null;
    }
    const count = available < this.#remaining ? available : this.#remaining;
    this.#remaining -= count;
    return { type: "data", bytes: this.#buffer.take(count) };
  }

  /** The input ended: from now on, running out of bytes before `end` throws `incomplete-message`. */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    this.#eof = true;
  }

  /** The bytes after the body, consumed. Empty until `next()` has returned `end`. */
  takeRemainder(): Uint8Array {
    if (!this.#done) return EMPTY_BYTES;
    return this.#buffer.takeAll();
  }
}
