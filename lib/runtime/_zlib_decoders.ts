/**
 * Content decoders over `node:zlib`, which Deno, Bun and Node all provide:
 * what the entry points give the client, as they give it sockets.
 *
 * Why not only the runtimes' `DecompressionStream` (the client's fallback)?
 * Measured 2026-11-30 on Deno 2.9.5, Bun 1.4.5 and Node 20/22/24: its
 * formats are there ("brotli" everywhere but Node 20) but it does not
 * behave alike. Deno's "deflate" and "deflate-raw" end quietly on a
 * truncated body, and Deno's "gzip" refuses a body of several gzip members
 * (RFC 1952 §2.2 allows them; undici and Bun's fetch decode them).
 * `node:zlib` gets both right on all three, and has brotli on Node 20; but
 * Deno's `node:zlib` brotli ends quietly on a truncated body where its
 * `DecompressionStream("brotli")` fails, so on Deno `br` stays with the
 * latter. The result: on every runtime a truncated or corrupt body is an
 * error and every gzip member is decoded. `node:zlib` is imported when a
 * decoder first runs, so a client that never meets a coded body never
 * loads it.
 *
 * @module
 */

import type { ClientOptions, ContentDecoder, ContentDecoderFactory } from "../client/options.ts";
import { isZlibHeader } from "../client/_content_coding.ts";
import type { RuntimeName } from "./detect.ts";

type Zlib = typeof import("node:zlib");

interface ZlibStream {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): void;
  destroy(): void;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  once(event: "end", listener: () => void): void;
}

/**
 * `gzip`, `deflate` (zlib or raw, told by the first two bytes) and `br` from
 * `node:zlib`, for `runtime`: on Deno without `br` (see above).
 */
export function zlibContentDecoders(runtime: RuntimeName): Record<string, ContentDecoderFactory> {
  const decoders: Record<string, ContentDecoderFactory> = {
    gzip: () => zlibDecoder((zlib) => zlib.createGunzip()),
    deflate: () =>
      zlibDecoder((zlib, first) =>
        first.byteLength >= 2 && !isZlibHeader(first[0], first[1])
          ? zlib.createInflateRaw()
          : zlib.createInflate()
      ),
  };
  if (runtime !== "deno") decoders.br = () => zlibDecoder((zlib) => zlib.createBrotliDecompress());
  return decoders;
}

/**
 * The user's `contentDecoders` over `runtime`'s (the user's win); a value
 * that is not an object is passed on for the client to refuse by name.
 */
export function withRuntimeDecoders(
  runtime: RuntimeName,
  user: ClientOptions["contentDecoders"],
): ClientOptions["contentDecoders"] {
  if (user !== undefined && (typeof user !== "object" || user === null)) return user;
  return { ...zlibContentDecoders(runtime), ...user };
}

/**
 * One zlib decompressor as a byte transform, made when the first bytes
 * arrive (`choose` may look at them). zlib's first error errors the
 * transform and ends a pending write or flush.
 */
function zlibDecoder(choose: (zlib: Zlib, first: Uint8Array) => unknown): ContentDecoder {
  let zlib: Zlib;
  let output: TransformStreamDefaultController<Uint8Array>;
  let inflater: ZlibStream | undefined;
  let failed = new Promise<never>(() => {});
  const open = (first: Uint8Array): ZlibStream => {
    const stream = choose(zlib, first) as ZlibStream;
    failed = new Promise((_, reject) => stream.on("error", reject));
    failed.catch(() => {});
    stream.on("data", (chunk) => {
      try {
        output.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch {
        // The reader cancelled (the transform is errored): stop inflating.
        stream.destroy();
      }
    });
    return stream;
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      output = controller;
      zlib = await import("node:zlib");
    },
    transform(chunk) {
      const stream = inflater ??= open(chunk);
      const written = new Promise<void>((resolve, reject) =>
        stream.write(chunk, (error) => error ? reject(error) : resolve())
      );
      return Promise.race([written, failed]);
    },
    flush() {
      if (inflater === undefined) return;
      const stream = inflater;
      const ended = new Promise<void>((resolve) => stream.once("end", resolve));
      stream.end();
      return Promise.race([ended, failed]);
    },
    cancel() {
      inflater?.destroy();
    },
  } as Transformer<Uint8Array, Uint8Array>);
}
