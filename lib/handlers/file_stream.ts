/**
 * A file's bytes as a pull-based `ReadableStream`: one 64 KiB read per pull,
 * so the consumer's pace (the socket's backpressure, through the server)
 * decides how fast the disk is read, and a 1 GiB file never sits in memory.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";
import type { ByteRange } from "./ranges.ts";

/**
 * Read size: the piece runtimes move through sockets, and large enough that
 * per-read overhead (a syscall, a promise) stays small next to the copy.
 */
const PIECE = 64 * 1024;

/** A piece of a body: bytes to send as they are, or a byte range of the file. */
export type BodySegment = Uint8Array | ByteRange;

/**
 * Streams bytes `start`..`end` (inclusive) of an open file, then closes it.
 *
 * The handle is closed when the stream ends, fails or is cancelled (the
 * server cancels the body when the peer goes away). A file that shrinks
 * while being sent errors the stream: the Content-Length already sent can
 * no longer be honoured, and only an aborted connection tells the client.
 *
 * @example
 * ```ts
 * import { open, writeFile, mkdtemp } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * import assert from "node:assert/strict";
 * import { fileBodyStream } from "./file_stream.ts";
 *
 * const path = join(await mkdtemp(join(tmpdir(), "kw-")), "a.txt");
 * await writeFile(path, "hello, world");
 * const stream = fileBodyStream(await open(path, "r"), 7, 11);
 * assert.equal(await new Response(stream).text(), "world");
 * ```
 *
 * @param handle an open file; the stream owns it from now on
 * @param start first byte to send
 * @param end last byte to send (inclusive); below `start` for an empty body
 * @returns the body stream
 */
export function fileBodyStream(
  handle: FileHandle,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  return fileSegmentsStream(handle, end < start ? [] : [{ start, end }]);
}

/**
 * Streams a sequence of literal bytes and file ranges from one open file,
 * then closes it: the body of a `multipart/byteranges` response (part
 * headers between ranges) without holding any range in memory.
 *
 * @example
 * ```ts
 * import { open, writeFile, mkdtemp } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * import assert from "node:assert/strict";
 * import { fileSegmentsStream } from "./file_stream.ts";
 *
 * const path = join(await mkdtemp(join(tmpdir(), "kw-")), "a.txt");
 * await writeFile(path, "hello, world");
 * const dash = new TextEncoder().encode("-");
 * const stream = fileSegmentsStream(await open(path, "r"), [{ start: 0, end: 4 }, dash, { start: 7, end: 11 }]);
 * assert.equal(await new Response(stream).text(), "hello-world");
 * ```
 *
 * @param handle an open file; the stream owns it from now on
 * @param segments what to send, in order
 * @returns the body stream
 */
export function fileSegmentsStream(
  handle: FileHandle,
  segments: readonly BodySegment[],
): ReadableStream<Uint8Array> {
  let index = 0;
  let position = -1;
  let closed = false;
  const release = (): void => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const segment = segments[index];
      if (segment === undefined) {
        release();
        controller.close();
        return;
      }
      if (segment instanceof Uint8Array) {
        index++;
        controller.enqueue(segment);
        return;
      }
      if (position === -1) position = segment.start;
      const wanted = Math.min(PIECE, segment.end + 1 - position);
      const buffer = new Uint8Array(wanted);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, wanted, position));
      } catch (error) {
        release();
        controller.error(error);
        return;
      }
      if (bytesRead === 0) {
        release();
        controller.error(new Error("file shrank while being sent"));
        return;
      }
      position += bytesRead;
      controller.enqueue(bytesRead === wanted ? buffer : buffer.subarray(0, bytesRead));
      if (position > segment.end) {
        index++;
        position = -1;
        if (index === segments.length) {
          release();
          controller.close();
        }
      }
    },
    cancel() {
      release();
    },
  }, { highWaterMark: 1 });
}
