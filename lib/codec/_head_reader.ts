/**
 * The one resumable head reader (RFC 9112 §2-§5): stray empty lines, a
 * start line, then the field section, for requests and responses alike.
 * The role's only part is its {@linkcode StartLine}: how the first line is
 * parsed and what a line over the limit is called (as hyper's role.rs).
 *
 * Theory of operation: the reader works on its owner's {@linkcode ByteBuffer}
 * and never consumes: offsets are relative to `buffer.start`, which stays at
 * the start line until the owner advances past the head. Lines are found
 * with a native `indexOf(LF)` that resumes where the last search stopped,
 * so a head trickling in byte by byte is still linear; every line is
 * validated once, when its LF arrives. Limits on a line whose LF has not
 * arrived are checked against the bytes seen so far, and a complete line
 * checks its length first, so an input gives the same error however the
 * network splits it.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import {
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_LEADING_EMPTY_LINES,
  type RequestParserOptions,
} from "./limits.ts";
import type { ByteBuffer } from "./_byte_buffer.ts";
import { FieldSpan, parseFieldLine } from "./_field_line.ts";
import { HeadFields } from "./_head_fields.ts";
import { bareLf, CR, incompleteMessage, LF, unexpectedByte } from "./_syntax.ts";

/** What a role tells the head reader: its start line. */
export interface StartLine {
  /** `"request-line"` or `"status-line"`, for error messages. */
  readonly label: string;
  /** Validates bytes[start, end) (CRLF excluded) into the role's line object. */
  parse(bytes: Uint8Array, start: number, end: number): void;
  /**
   * The error for a start line over `max` bytes; bytes[start, start + max]
   * are available, and only they may decide it (the same input must get
   * the same error however it is split).
   */
  tooLong(bytes: Uint8Array, start: number, max: number): ProtocolError;
}

/** The head limits with every default applied. */
export interface HeadLimits {
  /** Longest start line, CRLF excluded. */
  readonly maxStartLineSize: number;
  /** Largest field section, field lines with their CRLFs and the empty line. */
  readonly maxHeaderSize: number;
  /** Most field lines. */
  readonly maxHeaderCount: number;
  /** Most CRLFs skipped before a start line. */
  readonly maxLeadingEmptyLines: number;
}

/**
 * Applies the defaults of the head limits both parsers' options share;
 * the start line's limit has a role-specific name, so it comes resolved.
 */
export function headLimits(
  options: Pick<RequestParserOptions, "maxHeaderSize" | "maxHeaderCount" | "maxLeadingEmptyLines">,
  maxStartLineSize: number,
): HeadLimits {
  return {
    maxStartLineSize,
    maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
    maxHeaderCount: options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT,
    maxLeadingEmptyLines: options.maxLeadingEmptyLines ?? DEFAULT_MAX_LEADING_EMPTY_LINES,
  };
}

/** Reads one head at a time from a buffer it shares with its owner. */
export class HeadReader {
  /** The fields of the head being read; judged by the role once complete. */
  readonly fields: HeadFields = new HeadFields();
  #line: StartLine;
  // The limits, copied into fields: one load each on the hot path.
  #maxStartLineSize: number;
  #maxHeaderSize: number;
  #maxHeaderCount: number;
  #maxLeadingEmptyLines: number;
  // False while the start line is awaited, true once it has been parsed.
  #inFields = false;
  #emptyLines = 0;
  // Offsets from buffer.start: where the search for LF resumes, and where
  // the current field line starts.
  #scan = 0;
  #lineStart = 0;
  #headerBytes = 0;
  #fieldCount = 0;
  #span = new FieldSpan();

  /**
   * @param line the role's start line
   * @param limits the limits to hold every head to
   */
  constructor(line: StartLine, limits: HeadLimits) {
    this.#line = line;
    this.#maxStartLineSize = limits.maxStartLineSize;
    this.#maxHeaderSize = limits.maxHeaderSize;
    this.#maxHeaderCount = limits.maxHeaderCount;
    this.#maxLeadingEmptyLines = limits.maxLeadingEmptyLines;
  }

  /**
   * RFC 9112 §2.2: a server SHOULD ignore at least one empty line received
   * before the request-line (old clients send one after a POST body), and
   * servers have sent the mirror image; a bounded number is skipped. True
   * once the first byte of a head is buffered.
   */
  skipEmptyLines(buffer: ByteBuffer, eof: boolean): boolean {
    for (;;) {
      const available = buffer.end - buffer.start;
      if (available === 0) return false;
      const byte = buffer.bytes[buffer.start];
      if (byte === LF) throw bareLf();
      if (byte !== CR) return true;
      if (available === 1) {
        // A lone CR at EOF is a stray, not a message: drop it and close.
        if (eof) buffer.advance(1);
        return false;
      }
      if (buffer.bytes[buffer.start + 1] !== LF) throw unexpectedByte(CR, "", "");
      if (++this.#emptyLines > this.#maxLeadingEmptyLines) {
        throw new ProtocolError(
          400,
          "too-many-empty-lines",
          `too many empty lines before a ${this.#line.label}`,
        );
      }
      buffer.advance(2);
    }
  }

  /**
   * Reads as far as the buffer allows. Returns the index in `buffer.bytes`
   * just past the empty line that ends the head, or -1 when more input is
   * needed; with `eof`, running out inside the head throws
   * `incomplete-message` instead.
   */
  read(buffer: ByteBuffer, eof: boolean): number {
    const headEnd = this.#inFields || this.#readStartLine(buffer) ? this.#readFields(buffer) : -1;
    if (headEnd === -1 && eof) throw incompleteMessage();
    return headEnd;
  }

  /** Forgets the head just read (its fields object starts a fresh list). */
  reset(): void {
    this.#inFields = false;
    this.#emptyLines = 0;
    this.#scan = 0;
    this.#lineStart = 0;
    this.#headerBytes = 0;
    this.#fieldCount = 0;
    this.fields.reset();
  }

  #readStartLine(buffer: ByteBuffer): boolean {
    const { bytes, start, end } = buffer;
    const max = this.#maxStartLineSize;
    const lf = bytes.indexOf(LF, start + this.#scan);
    if (lf === -1 || lf >= end) {
      // A trailing CR may be the first half of the CRLF, so it does not count yet.
      if (end - start - (bytes[end - 1] === CR ? 1 : 0) > max) {
        throw this.#line.tooLong(bytes, start, max);
      }
      this.#scan = end - start;
      return false;
    }
    const crlf = bytes[lf - 1] === CR;
    const contentEnd = crlf ? lf - 1 : lf;
    if (contentEnd - start > max) throw this.#line.tooLong(bytes, start, max);
    if (!crlf) throw bareLf();
    this.#line.parse(bytes, start, contentEnd);
    this.#lineStart = this.#scan = lf + 1 - start;
    this.#inFields = true;
    return true;
  }

  #readFields(buffer: ByteBuffer): number {
    const maxSize = this.#maxHeaderSize;
    const fields = this.fields;
    for (;;) {
      const { bytes, start, end } = buffer;
      const lineStart = start + this.#lineStart;
      const lf = bytes.indexOf(LF, start + this.#scan);
      if (lf === -1 || lf >= end) {
        if (this.#headerBytes + (end - lineStart) > maxSize) throw headerSectionTooLarge();
        this.#scan = end - start;
        return -1;
      }
      this.#headerBytes += lf + 1 - lineStart;
      if (this.#headerBytes > maxSize) throw headerSectionTooLarge();
      if (lf === lineStart || bytes[lf - 1] !== CR) throw bareLf();
      const contentEnd = lf - 1;
      if (contentEnd === lineStart) return lf + 1;
      if (++this.#fieldCount > this.#maxHeaderCount) {
        throw new ProtocolError(431, "too-many-headers", "more header fields than the limit");
      }
      parseFieldLine(bytes, lineStart, contentEnd, this.#span);
      fields.add(bytes, lineStart, this.#span);
      this.#lineStart = this.#scan = lf + 1 - start;
    }
  }
}

function headerSectionTooLarge(): ProtocolError {
  return new ProtocolError(
    431,
    "header-section-too-large",
    "header section exceeds the size limit",
  );
}
