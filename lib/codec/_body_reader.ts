/**
 * The one body decoder (RFC 9112 §6.3): a body delimited by length, by the
 * chunked coding (extensions and trailers, `_chunked_reader.ts`), or by the
 * close of the connection, read from a {@linkcode ByteBuffer} it shares
 * with its owner. Both parsers drive it on the connection's buffer; the
 * standalone {@linkcode BodyDecoder} and the stream adapters drive it on
 * their own. Its kind is the codec's one {@linkcode Framing}.
 *
 * Data events are views into the buffer (no copy). A body cut short by EOF
 * is never reported as a complete shorter body: `incomplete-message`, 400.
 *
 * @module
 */

import type { Framing, RequestData, RequestEnd } from "./events.ts";
import { ProtocolError } from "./errors.ts";
import type { ByteBuffer } from "./_byte_buffer.ts";
import { type ChunkedLimits, ChunkedReader } from "./_chunked_reader.ts";
import { incompleteMessage, NO_FIELDS } from "./_syntax.ts";

/** The end of a body without trailers: one shared, frozen event. */
export const END_OF_BODY: RequestEnd = Object.freeze({ type: "end", trailers: NO_FIELDS });

/** Reads one body at a time; `start()` sets how the next one is delimited. */
export class BodyReader {
  #kind: Framing["kind"] = "none";
  // length: bytes still owed; close: bytes received so far.
  #count = 0;
  #done = true;
  #maxBodySize: number;
  #chunked: ChunkedReader;

  /** @param limits the chunked limits and the body size limit */
  constructor(limits: ChunkedLimits) {
    this.#maxBodySize = limits.maxBodySize;
    this.#chunked = new ChunkedReader(limits);
  }

  /** How the current body is delimited. */
  get kind(): Framing["kind"] {
    return this.#kind;
  }

  /** True once the end event has been returned. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Prepares for a body framed as `kind` (`length` bytes for `"length"`).
   * A declared length over the size limit is refused before any byte
   * (RFC 9110 §15.5.14: 413 from the Content-Length alone).
   */
  start(kind: Framing["kind"], length: number): void {
    if (kind === "length" && length > this.#maxBodySize) {
      throw new ProtocolError(413, "body-too-large", "Content-Length exceeds the size limit");
    }
    this.#kind = kind;
    this.#count = kind === "length" ? length : 0;
    this.#done = false;
    if (kind === "chunked") this.#chunked.reset();
  }

  /**
   * The next event, or null when more input is needed (or after the end).
   * With `eof`, running out of input inside a framed body throws
   * `incomplete-message`; a close-delimited body ends there instead.
   */
  read(buffer: ByteBuffer, eof: boolean): RequestData | RequestEnd | null {
    if (this.#done) return null;
    switch (this.#kind) {
      case "length": {
        const remaining = this.#count;
        if (remaining === 0) return this.#end(END_OF_BODY);
        const available = buffer.end - buffer.start;
        if (available === 0) {
          if (eof) throw incompleteMessage();
          return null;
        }
        const count = available < remaining ? available : remaining;
        this.#count = remaining - count;
        return { type: "data", bytes: buffer.take(count) };
      }
      case "chunked": {
        const event = this.#chunked.read(buffer, eof);
        return event !== null && event.type === "end" ? this.#end(event) : event;
      }
      case "close":
        return this.#readUntilClose(buffer, eof);
      default:
        return this.#end(END_OF_BODY);
    }
  }

  // RFC 9112 §6.3 item 8: the body is every byte until the peer closes.
  #readUntilClose(buffer: ByteBuffer, eof: boolean): RequestData | RequestEnd | null {
    const available = buffer.end - buffer.start;
    if (available > 0) {
      this.#count += available;
      if (this.#count > this.#maxBodySize) {
        throw new ProtocolError(413, "body-too-large", "body exceeds the size limit");
      }
      return { type: "data", bytes: buffer.takeAll() };
    }
    return eof ? this.#end(END_OF_BODY) : null;
  }

  #end(event: RequestEnd): RequestEnd {
    this.#done = true;
    return event;
  }
}
