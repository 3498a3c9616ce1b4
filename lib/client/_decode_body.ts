/**
 * Response bodies as the caller reads them: content codings undone (as
 * `fetch` does) and the client's `maxResponseBodySize` applied to the bytes
 * the caller gets, so a decompression bomb stops at the limit.
 *
 * Theory of operation: each coding is one pull-driven stage over the one
 * before it, the wire body first. A stage makes its decoder only when the
 * first bytes arrive: an empty body is passed on empty (a decoder would call
 * it truncated), and `deflate` can be told from raw deflate by its first two
 * bytes. Input is fed to the decoder in slices of at most a few KiB: a
 * decoder turns a whole input chunk into output at once (Deno's
 * `DecompressionStream` hands 10 MiB back for one 10 KiB gzip chunk), so the
 * slice bounds how far past the limit memory can grow before the count
 * trips. Nothing is decoded ahead of the reader: every stage pulls.
 *
 * A stage that fails cancels the stage (finally the wire body) beneath it.
 * The wire body's cancel is what keeps the connection honest: if its last
 * byte has not arrived, the connection closes; if it has, the framing was
 * complete and the connection went back to the pool already.
 *
 * @module
 */

import type { ResponseHead } from "../codec/response_events.ts";
import { joinedFieldValue } from "../codec/field_list.ts";
import { ClientError } from "./errors.ts";
import type { ContentDecoder, ContentDecoderFactory } from "./options.ts";
import {
  acceptEncodingValue,
  builtInCodings,
  decodingOrder,
  isZlibHeader,
  parseContentEncoding,
} from "./_content_coding.ts";

/** A response body as the exchange hands it over. */
export type Body = Uint8Array | ReadableStream<Uint8Array> | null;

/** What the client was told about decoding. */
export interface DecodingOptions {
  /** Undo content codings and send `Accept-Encoding` (the client's `decompress`). */
  readonly decompress: boolean;
  /** Decoders for codings `DecompressionStream` lacks (or to replace its), by coding name. */
  readonly decoders: Readonly<Record<string, ContentDecoderFactory>>;
  /** Most bytes the caller may read from one body (Infinity: no limit). */
  readonly maxResponseBodySize: number;
}

// The largest slice fed to a decoder. gzip and deflate expand at most
// ~1032× (RFC 1951's longest match per bit or so), so 16 KiB stays within
// ~16 MiB at worst; a smaller limit shrinks the slice with it.
const MAX_SLICE = 16 * 1024;
const MIN_SLICE = 512;

/** The client's decoding rules, fixed at construction. */
export class ResponseDecoding {
  readonly #options: DecodingOptions;
  readonly #builtIn: ReadonlySet<string>;
  readonly #slice: number;
  /** The `Accept-Encoding` value sent by default, or null for none. */
  readonly acceptEncoding: string | null;

  constructor(options: DecodingOptions, builtIn: readonly string[] = builtInCodings()) {
    this.#options = options;
    this.#builtIn = new Set(builtIn);
    const codings = [...builtIn];
    for (const name of Object.keys(options.decoders)) {
      if (!codings.includes(name)) codings.push(name);
    }
    this.acceptEncoding = options.decompress ? acceptEncodingValue(codings) : null;
    this.#slice = Math.max(
      MIN_SLICE,
      Math.min(MAX_SLICE, Math.floor(options.maxResponseBodySize / 1024)),
    );
  }

  /** Whether a decoder exists for `coding`. */
  canDecode(coding: string): boolean {
    return Object.hasOwn(this.#options.decoders, coding) || this.#builtIn.has(coding);
  }

  /**
   * The body the caller reads for `head`: decoded when its codings are all
   * known, limited to `maxResponseBodySize`. Throws
   * `ClientError("response-too-large")` (after discarding the wire body)
   * when a body that is not decoded is known to be too large already.
   */
  body(head: ResponseHead, body: Body): Body {
    // HEAD, 204, 304 (framing "none") and empty bodies are left alone.
    if (body === null || (body instanceof Uint8Array && body.byteLength === 0)) return body;
    if (head.status === 204 || head.status === 205 || head.status === 304) return body;
    const limit = this.#options.maxResponseBodySize;
    const order = this.#options.decompress
      ? decodingOrder(
        parseContentEncoding(joinedFieldValue(head.headers, "content-encoding") ?? ""),
        (c) => this.canDecode(c),
      )
      : null;
    if (order === null) {
      const known = body instanceof Uint8Array ? body.byteLength : head.contentLength;
      if (known > limit) {
        if (body instanceof ReadableStream) void body.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      // Within the limit and complete, or framed by a length within it.
      if (body instanceof Uint8Array || head.framing === "length") return body;
      return limitBody(body, limit, "response");
    }
    let stream = body instanceof Uint8Array ? streamOf(body) : body;
    for (const coding of order) stream = this.#decodeStage(stream, coding);
    return limitBody(stream, limit, "decoded response");
  }

  #decoderFor(coding: string, first: Uint8Array): ContentDecoder {
    const injected = this.#options.decoders;
    if (Object.hasOwn(injected, coding)) return injected[coding]();
    switch (coding) {
      case "gzip":
        return new DecompressionStream("gzip") as ContentDecoder;
      case "deflate":
        return new DecompressionStream(
          first.byteLength >= 2 && !isZlibHeader(first[0], first[1]) ? "deflate-raw" : "deflate",
        ) as ContentDecoder;
      default:
        return new DecompressionStream("brotli" as CompressionFormat) as ContentDecoder;
    }
  }

  /** One coding undone over `source`, pulled as the caller reads. */
  #decodeStage(source: ReadableStream<Uint8Array>, coding: string): ReadableStream<Uint8Array> {
    const input = source.getReader();
    const slice = this.#slice;
    let output: ReadableStreamDefaultReader<Uint8Array> | null = null;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          if (output === null) {
            const first = await readAtLeast(input, coding === "deflate" ? 2 : 1);
            if (first.byteLength === 0) {
              controller.close();
              return;
            }
            const decoder = this.#decoderFor(coding, first);
            output = decoder.readable.getReader();
            void feed(input, first, decoder.writable, slice);
          }
          const { done, value } = await output.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          const failure = error instanceof ClientError ? error : new ClientError(
            "decompression-failed",
            `the ${coding} response body cannot be decoded: ${describe(error)}`,
            error,
          );
          void input.cancel(failure).catch(() => {});
          throw failure;
        }
      },
      cancel: async (reason) => {
        await Promise.all([
          input.cancel(reason).catch(() => {}),
          output?.cancel(reason).catch(() => {}),
        ]);
      },
    }, { highWaterMark: 0 });
  }
}

function tooLarge(limit: number, what = "response"): ClientError {
  return new ClientError(
    "response-too-large",
    `the ${what} body is larger than maxResponseBodySize (${limit} bytes)`,
  );
}

// Node 22+'s DecompressionStream errors can have an empty message; the code says more.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message !== "" ? error.message : typeof code === "string" ? code : error.name;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Reads until `count` bytes or the end; returns what was read, joined. */
async function readAtLeast(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < count) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.byteLength === 0) continue;
    chunks.push(value);
    total += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.byteLength;
  }
  return joined;
}

/**
 * Writes `first` and then the rest of `input` into a decoder, in slices,
 * waiting for the decoder to want more (its writer's `ready`): the pace is
 * the caller's. A decoder that fails, or is cancelled, stops the feed and
 * cancels the input.
 */
async function feed(
  input: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
  writable: WritableStream<Uint8Array>,
  slice: number,
): Promise<void> {
  const writer = writable.getWriter();
  const write = async (chunk: Uint8Array) => {
    for (let at = 0; at < chunk.byteLength; at += slice) {
      await writer.ready;
      // Its failure also rejects `ready`, where it is handled.
      writer.write(chunk.subarray(at, at + slice)).catch(() => {});
    }
  };
  try {
    await write(first);
    for (;;) {
      const { done, value } = await input.read();
      if (done) break;
      await write(value);
    }
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {});
    await input.cancel(error).catch(() => {});
  }
}

/**
 * `source` with at most `limit` bytes; one more errors the stream with
 * `ClientError("response-too-large")` and cancels the source.
 */
function limitBody(
  source: ReadableStream<Uint8Array>,
  limit: number,
  what: string,
): ReadableStream<Uint8Array> {
  if (limit === Infinity) return source;
  const reader = source.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      total += value.byteLength;
      if (total > limit) {
        const error = tooLarge(limit, what);
        await reader.cancel(error).catch(() => {});
        throw error;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * The decoding options of a client, checked (a wrong type is a TypeError
 * naming the option, in plain JavaScript too) and with their defaults.
 */
export function decodingOptions(options: {
  decompress?: unknown;
  maxResponseBodySize?: unknown;
  contentDecoders?: unknown;
}): DecodingOptions {
  const { decompress = true, maxResponseBodySize = Infinity, contentDecoders = {} } = options;
  if (typeof decompress !== "boolean") {
    throw new TypeError(`decompress: expected a boolean, got ${typeName(decompress)}`);
  }
  if (
    typeof maxResponseBodySize !== "number" || !(maxResponseBodySize >= 0) ||
    (maxResponseBodySize !== Infinity && !Number.isInteger(maxResponseBodySize))
  ) {
    throw new TypeError(
      `maxResponseBodySize: expected a whole number of bytes >= 0 (or Infinity), got ${
        typeName(maxResponseBodySize)
      }`,
    );
  }
  if (typeof contentDecoders !== "object" || contentDecoders === null) {
    throw new TypeError(
      `contentDecoders: expected an object of decoder factories, got ${typeName(contentDecoders)}`,
    );
  }
  const decoders: Record<string, ContentDecoderFactory> = {};
  for (const [name, factory] of Object.entries(contentDecoders)) {
    if (typeof factory !== "function") {
      throw new TypeError(`contentDecoders.${name}: expected a function, got ${typeName(factory)}`);
    }
    decoders[name.toLowerCase()] = factory as ContentDecoderFactory;
  }
  return { decompress, maxResponseBodySize, decoders };
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return `${value}`;
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}
