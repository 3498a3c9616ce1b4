/**
 * The chunked transfer coding (RFC 9112 §7.1) as a resumable state machine
 * reading from a {@linkcode ByteBuffer}: the chunked case of the body
 * reader (`_body_reader.ts`), which both parsers drive on the connection's
 * buffer (so body bytes are never copied) and the standalone decoders and
 * stream adapters on their own.
 *
 * States: `size` (a chunk line), `data` (chunk bytes still owed), `data-end`
 * (the CRLF after chunk data), `trailers` (field lines after the last
 * chunk), `done` (the end event was returned).
 *
 * Errors are decided so that the same input gives the same error however
 * it is split: on a line whose end has not arrived only length limits are
 * checked, and a complete line checks the same limits first.
 *
 * @module
 */

import type { RequestData, RequestEnd } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import type { ChunkedDecoderOptions } from "./limits.ts";
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_CHUNK_EXTENSION_SIZE,
  DEFAULT_MAX_CHUNK_SIZE_DIGITS,
  DEFAULT_MAX_TRAILER_SIZE,
} from "./limits.ts";
import type { ByteBuffer } from "./_byte_buffer.ts";
import { FieldSpan, parseFieldLine } from "./_field_line.ts";
import {
  bareLf,
  CR,
  HEX_VALUE,
  HTAB,
  incompleteMessage,
  latin1,
  LF,
  NO_FIELDS,
  skipParameters,
  SP,
  unexpectedByte,
} from "./_syntax.ts";

/** Chunked limits with every default applied. */
export interface ChunkedLimits {
  readonly maxChunkSizeDigits: number;
  readonly maxChunkExtensionSize: number;
  readonly maxTrailerSize: number;
  readonly maxBodySize: number;
}

/** Applies the defaults of {@linkcode ChunkedDecoderOptions}. */
export function chunkedLimits(options: ChunkedDecoderOptions): ChunkedLimits {
  return {
    maxChunkSizeDigits: options.maxChunkSizeDigits ?? DEFAULT_MAX_CHUNK_SIZE_DIGITS,
    maxChunkExtensionSize: options.maxChunkExtensionSize ?? DEFAULT_MAX_CHUNK_EXTENSION_SIZE,
    maxTrailerSize: options.maxTrailerSize ?? DEFAULT_MAX_TRAILER_SIZE,
    maxBodySize: options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
  };
}

/**
 * Trailer fields we refuse (RFC 9110 §6.5.1: framing, routing, connection
 * control, request modifiers, authentication and content metadata must not
 * come from trailers). Rejecting rather than dropping them is the strict
 * choice: a peer that sends them is confused or probing, and a proxy in
 * front of us might have merged them.
 */
const FORBIDDEN_TRAILERS = new Set([
  "authorization",
  "cache-control",
  "connection",
  "content-encoding",
  "content-length",
  "content-range",
  "content-type",
  "cookie",
  "expect",
  "host",
  "keep-alive",
  "max-forwards",
  "proxy-authorization",
  "proxy-connection",
  "range",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

type ChunkedState = "size" | "data" | "data-end" | "trailers" | "done";

/** Decodes one chunked body from a buffer it shares with its owner. */
export class ChunkedReader {
  #limits: ChunkedLimits;
  #state: ChunkedState = "size";
  // Offset from buffer.start where the search for the current line's LF resumes.
  #scan = 0;
  #remaining = 0;
  #total = 0;
  #trailerBytes = 0;
  #trailers: string[] | null = null;
  #span = new FieldSpan();

  constructor(limits: ChunkedLimits) {
    this.#limits = limits;
  }

  /** True once the end event has been returned. */
  get done(): boolean {
    return this.#state === "done";
  }

  /** Prepares for the next body. */
  reset(): void {
    this.#state = "size";
    this.#scan = 0;
    this.#remaining = 0;
    this.#total = 0;
    this.#trailerBytes = 0;
    this.#trailers = null;
  }

  /**
   * The next event, or null when more input is needed. With `eof`, running
   * out of input inside the body throws `incomplete-message` instead.
   */
  read(buffer: ByteBuffer, eof: boolean): RequestData | RequestEnd | null {
    for (;;) {
      switch (this.#state) {
        case "size":
          if (!this.#readSizeLine(buffer)) return needMore(eof);
          break;
        case "data": {
          const available = buffer.end - buffer.start;
          if (available === 0) return needMore(eof);
          const count = available < this.#remaining ? available : this.#remaining;
          this.#remaining -= count;
          if (this.#remaining === 0) this.#state = "data-end";
          return { type: "data", bytes: buffer.take(count) };
        }
        case "data-end":
          if (!this.#readDataEnd(buffer)) return needMore(eof);
          break;
        case "trailers": {
          const end = this.#readTrailers(buffer);
          return end ?? needMore(eof);
        }
        case "done":
          return null;
      }
    }
  }

  #readSizeLine(buffer: ByteBuffer): boolean {
    const { bytes, start, end } = buffer;
    const lf = bytes.indexOf(LF, start + this.#scan);
    if (lf === -1 || lf >= end) {
      this.#checkPartialSizeLine(bytes, start, end);
      this.#scan = end - start;
      return false;
    }
    const crlf = lf > start && bytes[lf - 1] === CR;
    const size = this.#checkSizeLine(bytes, start, crlf ? lf - 1 : lf);
    buffer.advance(lf + 1 - start);
    this.#scan = 0;
    if (size === 0) {
      this.#state = "trailers";
      return true;
    }
    // RFC 9112 §7.1: the body length is only known at the end; checking the
    // running total at each chunk-size refuses a large body before reading it.
    if (this.#total + size > this.#limits.maxBodySize) {
      throw new ProtocolError(413, "body-too-large", "chunked body exceeds the size limit");
    }
    this.#total += size;
    this.#remaining = size;
    this.#state = "data";
    return true;
  }

  /**
   * A chunk line whose LF has not arrived: throws as soon as the bytes seen
   * guarantee an error, and exactly the error the complete line will get,
   * so an endless line is refused early however it is split.
   */
  #checkPartialSizeLine(bytes: Uint8Array, start: number, end: number): void {
    const maxDigits = this.#limits.maxChunkSizeDigits;
    let digits = 0;
    let size = 0;
    while (start + digits < end && digits <= maxDigits) {
      const digit = HEX_VALUE[bytes[start + digits]];
      if (digit < 0) break;
      size = size * 16 + digit;
      digits++;
    }
    if (digits > maxDigits) throw chunkSizeTooLong();
    const seen = end - start;
    if (digits === seen) return;
    // A non-hex first byte that is not the CR of an empty line's CRLF.
    if (digits === 0) {
      if (seen > 1) {
        throw unexpectedByte(bytes[start], "invalid-chunk-size", "chunk-size is not hex");
      }
      return;
    }
    if (size > Number.MAX_SAFE_INTEGER) throw chunkSizeOverflow();
    // A trailing CR may be the first half of the CRLF, so it does not count yet.
    if (seen - digits - (bytes[end - 1] === CR ? 1 : 0) > this.#limits.maxChunkExtensionSize) {
      throw chunkExtensionTooLarge();
    }
  }

  /**
   * Validates `chunk-size [ chunk-ext ]` in bytes[start, end), the line
   * without its line ending, and returns the size. Length limits come
   * before syntax, as in {@linkcode #checkPartialSizeLine}.
   */
  #checkSizeLine(bytes: Uint8Array, start: number, end: number): number {
    let i = start;
    let size = 0;
    for (; i < end; i++) {
      const digit = HEX_VALUE[bytes[i]];
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    const digits = i - start;
    if (digits === 0) {
      if (start === end) throw new ProtocolError(400, "invalid-chunk-size", "empty chunk-size");
      throw unexpectedByte(bytes[start], "invalid-chunk-size", "chunk-size is not hex");
    }
    if (digits > this.#limits.maxChunkSizeDigits) throw chunkSizeTooLong();
    if (size > Number.MAX_SAFE_INTEGER) throw chunkSizeOverflow();
    if (end - i > this.#limits.maxChunkExtensionSize) throw chunkExtensionTooLarge();
    if (bytes[end] !== CR) throw bareLf();
    if (i < end) checkChunkExtension(bytes, i, end);
    return size;
  }

  #readDataEnd(buffer: ByteBuffer): boolean {
    const available = buffer.end - buffer.start;
    if (available === 0) return false;
    const first = buffer.bytes[buffer.start];
    if (first !== CR) {
      if (first === LF) throw bareLf();
      throw new ProtocolError(400, "invalid-chunk-data-end", "chunk data not followed by CRLF");
    }
    if (available === 1) return false;
    if (buffer.bytes[buffer.start + 1] !== LF) throw unexpectedByte(CR, "", "");
    buffer.advance(2);
    this.#state = "size";
    return true;
  }

  #readTrailers(buffer: ByteBuffer): RequestEnd | null {
    const max = this.#limits.maxTrailerSize;
    for (;;) {
      const { bytes, start, end } = buffer;
      const lf = bytes.indexOf(LF, start + this.#scan);
      if (lf === -1 || lf >= end) {
        if (this.#trailerBytes + (end - start) > max) throw trailersTooLarge();
        this.#scan = end - start;
        return null;
      }
      const lineLength = lf + 1 - start;
      this.#trailerBytes += lineLength;
      if (this.#trailerBytes > max) throw trailersTooLarge();
      if (lf === start || bytes[lf - 1] !== CR) throw bareLf();
      buffer.advance(lineLength);
      this.#scan = 0;
      if (lineLength === 2) {
        this.#state = "done";
        const trailers = this.#trailers ?? NO_FIELDS;
        this.#trailers = null;
        return { type: "end", trailers };
      }
      const span = this.#span;
      parseFieldLine(bytes, start, lf - 1, span);
      const name = latin1(bytes, start, span.colon);
      if (FORBIDDEN_TRAILERS.has(name.toLowerCase())) {
        throw new ProtocolError(400, "forbidden-trailer", "trailer field not allowed in trailers");
      }
      (this.#trailers ??= []).push(name, latin1(bytes, span.valueStart, span.valueEnd));
    }
  }
}

/** RFC 9112 §7.1.1: `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )`, validated then discarded. */
function checkChunkExtension(bytes: Uint8Array, start: number, end: number): void {
  const first = bytes[start];
  if (first !== 0x3b && first !== SP && first !== HTAB) {
    throw unexpectedByte(first, "invalid-chunk-size", "chunk-size is not hex");
  }
  for (let i = start; i < end; i++) {
    if (bytes[i] === CR) throw unexpectedByte(CR, "", "");
  }
  if (skipParameters(bytes, start, end) !== end) {
    throw new ProtocolError(400, "invalid-chunk-extension", "malformed chunk extension");
  }
}

function needMore(eof: boolean): null {
  if (eof) throw incompleteMessage();
  return null;
}

function trailersTooLarge(): ProtocolError {
  return new ProtocolError(
    431,
    "trailer-section-too-large",
    "trailer section exceeds the size limit",
  );
}

function chunkSizeTooLong(): ProtocolError {
  return new ProtocolError(400, "chunk-size-too-long", "chunk-size has too many digits");
}

function chunkSizeOverflow(): ProtocolError {
  return new ProtocolError(400, "chunk-size-overflow", "chunk-size exceeds 2^53-1");
}

function chunkExtensionTooLarge(): ProtocolError {
  return new ProtocolError(
    400,
    "chunk-extension-too-large",
    "chunk extension exceeds the size limit",
  );
}
