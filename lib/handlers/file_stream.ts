/**
 * A file's bytes as a pull-based `ReadableStream`: one 64 KiB read per pull,
 * so the consumer's pace (the socket's backpressure, through the server)
 * decides how fast the disk is read, and a 1 GiB file never sits in memory.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";

/**
 * Read size: the piece runtimes move through sockets, and large enough that
 * per-read overhead (a syscall, a promise) stays small next to the copy.
 */
const PIECE = 64 * 1024;

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
  let position = start;
  let closed = false;
  const release = (): void => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const wanted = Math.min(PIECE, end + 1 - position);
      if (wanted <= 0) {
        release();
        controller.close();
        return;
      }
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
      if (position > end) {
        release();
        controller.close();
      }
    },
    cancel() {
      release();
    },
  }, { highWaterMark: 1 });
}
