/**
 * The standalone body decoders: the codec's one body reader
 * (`_body_reader.ts`: length | chunked | until-close) with a buffer of its
 * own, for bodies that do not come through a parser — the stream adapters
 * in `streams.ts` run on these. Sans-IO: `push()` bytes, `next()` events.
 *
 * @module
 */

import type { Framing, RequestData, RequestEnd } from "./events.ts";
import type { ChunkedDecoderOptions } from "./limits.ts";
import type { ByteBuffer } from "./_byte_buffer.ts";
import { BodyReader } from "./_body_reader.ts";
import { chunkedLimits } from "./_chunked_reader.ts";
import { ReaderShell } from "./_shell.ts";
import { EMPTY_BYTES } from "./_syntax.ts";

/**
 * Decodes one body framed as a {@linkcode Framing}: `data` events (views
 * into the pushed chunks where possible), then one `end` with the trailers
 * of a chunked body. A body of `length` bytes or a chunked one cut short
 * by `finish()` throws `ProtocolError(400, "incomplete-message")`; a
 * `"close"` body ends at `finish()`. A declared length or a decoded size
 * over `maxBodySize` throws `ProtocolError(413, "body-too-large")` (a
 * length at once, from the constructor). After an error every call throws
 * the same error.
 *
 * @example A body delimited by the end of its input
 * ```ts
 * import { BodyDecoder } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const decoder = new BodyDecoder({ kind: "close" }, { maxBodySize: 1024 });
 * decoder.push(new TextEncoder().encode("all of it"));
 * assert.equal(decoder.next()?.type, "data");
 * assert.equal(decoder.next(), null);
 * decoder.finish();
 * assert.deepEqual(decoder.next(), { type: "end", trailers: [] });
 * ```
 */
export class BodyDecoder extends ReaderShell<RequestData | RequestEnd> {
  #reader: BodyReader;

  /**
   * Creates a decoder for one body.
   *
   * @param framing how the body is delimited; a length must be a non-negative safe integer
   * @param options limits; see {@linkcode ChunkedDecoderOptions} for defaults
   */
  constructor(framing: Framing, options: ChunkedDecoderOptions = {}) {
    super();
    const length = framing.kind === "length" ? framing.length : 0;
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError("length must be a non-negative safe integer");
    }
    this.#reader = new BodyReader(chunkedLimits(options));
    this.#reader.start(framing.kind, length);
  }

  /**
   * The bytes after the body (e.g. the next pipelined message), consumed.
   * Empty until `next()` has returned `end`.
   */
  takeRemainder(): Uint8Array {
    if (!this.#reader.done) return EMPTY_BYTES;
    return this.input.takeAll();
  }

  /** @ignore The shell's step: the body reader on this decoder's buffer. */
  protected read(buffer: ByteBuffer, eof: boolean): RequestData | RequestEnd | null {
    return this.#reader.read(buffer, eof);
  }
}

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
export class ChunkedDecoder extends BodyDecoder {
  /**
   * Creates a decoder for one chunked body.
   *
   * @param options limits; see {@linkcode ChunkedDecoderOptions} for defaults
   */
  constructor(options: ChunkedDecoderOptions = {}) {
    super(CHUNKED, options);
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
export class LengthDecoder extends BodyDecoder {
  /**
   * Creates a decoder for a body of `length` bytes.
   *
   * @param length the body length in bytes: a non-negative safe integer
   */
  constructor(length: number) {
    super({ kind: "length", length }, UNLIMITED);
  }
}

const CHUNKED: Framing = { kind: "chunked" };
// The caller declared the length itself; no limit second-guesses it.
const UNLIMITED: ChunkedDecoderOptions = { maxBodySize: Number.MAX_SAFE_INTEGER };
