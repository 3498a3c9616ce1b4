/**
 * The `multipart/byteranges` body (RFC 9110 §14.6) answering a request for
 * several ranges with 206: each part names its range in `Content-Range`,
 * and the parts stream from the file one after the other.
 *
 * The whole length is computed before a byte is read, so the response is
 * length-framed and the connection persists (RFC 9112 §6.3).
 *
 * @module
 */

import type { BodySegment } from "./file_stream.ts";
import type { ByteRange } from "./ranges.ts";

/** The parts of a `multipart/byteranges` response. */
export interface MultipartBody {
  /** The response's Content-Type, with the boundary. */
  readonly contentType: string;
  /** Part headers and file ranges, in order, for {@linkcode fileSegmentsStream}. */
  readonly segments: readonly BodySegment[];
  /** The exact body length in bytes. */
  readonly length: number;
}

/**
 * A boundary no file is likely to contain (RFC 2046 §5.1.1 lets it be 70
 * characters): random, so content cannot be crafted to end a part early.
 */
function randomBoundary(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `keepwire-${hex}`;
}

/**
 * Lays out a `multipart/byteranges` body for `ranges` of a file.
 *
 * @example
 * ```ts
 * import { multipartByteranges } from "./byteranges.ts";
 * import assert from "node:assert/strict";
 *
 * const body = multipartByteranges([{ start: 0, end: 4 }, { start: 7, end: 11 }], 12, "text/plain", "B");
 * assert.equal(body.contentType, "multipart/byteranges; boundary=B");
 * const text = body.segments.map((s) => s instanceof Uint8Array ? new TextDecoder().decode(s) : `<${s.start}-${s.end}>`).join("");
 * assert.equal(
 *   text,
 *   "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/12\r\n\r\n<0-4>" +
 *     "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 7-11/12\r\n\r\n<7-11>\r\n--B--\r\n",
 * );
 * assert.equal(body.length, text.length - "<0-4><7-11>".length + 10);
 * ```
 *
 * @param ranges the ranges, sorted and not overlapping
 * @param size the file size
 * @param partType the file's Content-Type, repeated in each part
 * @param boundary the boundary (random by default)
 * @returns the Content-Type, the segments and the length
 */
export function multipartByteranges(
  ranges: readonly ByteRange[],
  size: number,
  partType: string,
  boundary: string = randomBoundary(),
): MultipartBody {
  const encoder = new TextEncoder();
  const segments: BodySegment[] = [];
  let length = 0;
  ranges.forEach((range, index) => {
    const head = encoder.encode(
      `${index === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${partType}\r\n` +
        `Content-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
    );
    segments.push(head, range);
    length += head.byteLength + range.end + 1 - range.start;
  });
  const close = encoder.encode(`\r\n--${boundary}--\r\n`);
  segments.push(close);
  length += close.byteLength;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, segments, length };
}
