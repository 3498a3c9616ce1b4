/**
 * Content decoders over `node:zlib`, which Deno, Bun and Node all provide:
 * what the entry points give the client, as they give it sockets.
 *
 * Why not the runtimes' `DecompressionStream` (the client's fallback)?
 * Measured 2026-11-30 on Deno 2.9.5, Bun 1.4.5 and Node 20/22/24: its
 * formats are there ("brotli" everywhere but Node 20) but it does not
 * behave alike, and on Deno it cannot be bounded:
 * - Deno's turns one input chunk into all of its output at once: a 405-byte
 *   brotli body of 256 MiB of zeros came back as one 256 MiB chunk (533 MiB
 *   of RSS), before any limit could count it;
 * - Deno's "deflate" and "deflate-raw" end quietly on a truncated body, and
 *   its "gzip" refuses a body of several gzip members (RFC 1952 §2.2 allows
 *   them; undici and Bun's fetch decode them).
 * A `node:zlib` stream read on demand stops inflating once 16–64 KiB wait
 * unread (measured on all three: the same bomb, left unread, held 64 KiB),
 * so a decompression bomb costs what the caller reads and no more; gzip and
 * deflate truncation is an error on all three, and every gzip member is
 * decoded. One gap remains: Deno's `node:zlib` brotli ends quietly on a
 * truncated brotli body (Bun's and Node's report it). `node:zlib` is
 * imported when a decoder first runs, so a client that never meets a coded
 * body never loads it.
 *
 * @module
 */

import type { ClientOptions, ContentDecoder, ContentDecoderFactory } from "../client/options.ts";
import { isZlibHeader } from "../client/_content_coding.ts";

type Zlib = typeof import("node:zlib");

interface ZlibStream {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  read(): Uint8Array | null;
  end(): void;
  destroy(): void;
  on(event: "readable" | "end", listener: () => void): void;
  on(event: "error", listener: (error: Error) => void): void;
}

/** `gzip`, `deflate` (zlib or raw, told by the first two bytes) and `br` from `node:zlib`. */
export function zlibContentDecoders(): Record<string, ContentDecoderFactory> {
  return {
    gzip: () => zlibDecoder((zlib) => zlib.createGunzip()),
    deflate: () =>
      zlibDecoder((zlib, first) =>
        first.byteLength >= 2 && !isZlibHeader(first[0], first[1])
          ? zlib.createInflateRaw()
          : zlib.createInflate()
      ),
    br: () => zlibDecoder((zlib) => zlib.createBrotliDecompress()),
  };
}

/**
 * The user's `contentDecoders` over the runtime's (the user's win); a value
 * that is not an object is passed on for the client to refuse by name.
 */
export function withRuntimeDecoders(
  user: ClientOptions["contentDecoders"],
): ClientOptions["contentDecoders"] {
  if (user !== undefined && (typeof user !== "object" || user === null)) return user;
  return { ...zlibContentDecoders(), ...user };
}

/**
 * One zlib decompressor as a writable/readable pair, made when the first
 * bytes arrive (`choose` may look at them). Its output is read on demand
 * (`read()`, never a `data` listener), so zlib pauses while the reader
 * does, and a write completes only when zlib has taken the whole chunk:
 * the writer's back-pressure is the reader's. zlib's first error errors
 * both sides.
 */
function zlibDecoder(choose: (zlib: Zlib, first: Uint8Array) => unknown): ContentDecoder {
  const loading = import("node:zlib");
  let stream: ZlibStream | undefined;
  let ended = false;
  let failure: { error: unknown } | null = null;
  let failed!: (error: unknown) => void;
  const failedPromise = new Promise<never>((_, reject) => (failed = reject));
  failedPromise.catch(() => {});
  // The pull waiting for zlib to have output, end, or fail.
  let wake: (() => void) | null = null;
  const notify = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    failed(error);
    notify();
  };
  const open = (zlib: Zlib, first: Uint8Array): ZlibStream => {
    const opened = choose(zlib, first) as ZlibStream;
    opened.on("readable", notify);
    opened.on("end", () => {
      ended = true;
      notify();
    });
    opened.on("error", fail);
    return opened;
  };
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (failure !== null) throw failure.error;
        const chunk = stream?.read() ?? null;
        if (chunk !== null) {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    cancel(reason) {
      fail(reason);
      stream?.destroy();
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      const zlib = await loading;
      if (failure !== null) throw failure.error;
      const target = stream ??= open(zlib, chunk);
      const taken = new Promise<void>((resolve, reject) =>
        target.write(chunk, (error) => error ? reject(error) : resolve())
      );
      await Promise.race([taken, failedPromise]);
    },
    async close() {
      if (stream === undefined) {
        ended = true;
        notify();
        return;
      }
      const target = stream;
      const done = new Promise<void>((resolve) => target.on("end", resolve));
      target.end();
      await Promise.race([done, failedPromise]);
    },
    abort(reason) {
      fail(reason);
      stream?.destroy();
    },
  });
  return { readable, writable };
}
