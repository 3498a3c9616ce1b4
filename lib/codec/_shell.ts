/**
 * The shell every sans-IO reader of the codec shares: `push()` appends,
 * `next()` runs the reader as far as the buffered bytes allow and returns
 * one event or null, `finish()` marks EOF. The first {@linkcode ProtocolError}
 * is sticky: after it every call throws that same error, so a caller that
 * missed it cannot read on from a desynchronised stream.
 *
 * The request and response parsers (`_message_parser.ts`) and the
 * standalone body decoders (`body.ts`) are this shell around the head
 * reader and the body reader.
 *
 * @module
 */

import type { ProtocolError } from "./errors.ts";
import { ByteBuffer } from "./_byte_buffer.ts";

/**
 * push / next / finish over one buffer; subclasses supply `read()`.
 *
 * @internal The public readers extend it; it is not an API of its own.
 */
export abstract class ReaderShell<Event> {
  #buffer = new ByteBuffer();
  #eof = false;
  #error: ProtocolError | null = null;

  /**
   * Appends bytes from the peer. Never parses; cheap. The chunk must not be
   * mutated afterwards: data events may be views into it.
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#eof) throw new TypeError("push() after finish()");
    this.#buffer.push(chunk);
  }

  /**
   * The next event, or null when more input is needed. Throws
   * {@linkcode ProtocolError} on invalid input; after that every call
   * throws the same error.
   */
  next(): Event | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.read(this.#buffer, this.#eof);
    } catch (error) {
      this.#error = error as ProtocolError;
      throw error;
    }
  }

  /**
   * The input ended. Afterwards `next()` drains what is buffered and ends a
   * close-delimited body; running out of bytes inside a head or a framed
   * body makes it throw `ProtocolError(400, "incomplete-message")`: a body
   * cut short is never reported as a complete short body. EOF between
   * messages is not an error (a response parser's `pending` tells whether
   * answers are missing; retrying is the caller's decision).
   */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    this.#eof = true;
  }

  /** Bytes pushed but not yet consumed by events. */
  get buffered(): number {
    return this.#buffer.size;
  }

  /**
   * Removes and returns the bytes not yet consumed (a copy): what follows
   * the last message when the connection leaves HTTP (RFC 9110 §7.8).
   */
  takeBuffered(): Uint8Array {
    return this.#buffer.takeAll().slice();
  }

  /** The pending input, for subclasses. */
  protected get input(): ByteBuffer {
    return this.#buffer;
  }

  /** True once `finish()` was called. */
  protected get ended(): boolean {
    return this.#eof;
  }

  /** True once a {@linkcode ProtocolError} was thrown. */
  protected get failed(): boolean {
    return this.#error !== null;
  }

  /** Runs the reader on the buffered bytes: one event, or null for more input. */
  protected abstract read(buffer: ByteBuffer, eof: boolean): Event | null;
}
