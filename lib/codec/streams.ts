/**
 * WHATWG `TransformStream` adapters over the sans-IO codec, for composing
 * keepwire with `pipeThrough`. They run the very objects the connection layer
 * drives directly ({@linkcode RequestParser}, the one body decoder behind
 * {@linkcode BodyDecoder}, {@linkcode encodeChunk}), so a stream and a
 * socket fast path cannot disagree about the protocol; the streams only add
 * the per-chunk cost of the Streams machinery. Both body streams are one
 * transformer (`bodyTransformer`) around a {@linkcode BodyDecoder}; they
 * differ in the framing and in what bytes after the body mean.
 *
 * Every rejection of input errors the stream with a {@linkcode ProtocolError}
 * whose `status` is what a server should answer.
 *
 * Output chunks may be views into input chunks (the decoders slice rather
 * than copy): do not reuse an input buffer once written.
 *
 * @module
 */

import { BodyDecoder, ChunkedDecoder, LengthDecoder } from "./body.ts";
import { encodeChunk, encodeLastChunk } from "./chunks.ts";
import { ProtocolError } from "./errors.ts";
import type { RequestEvent } from "./events.ts";
import type { ChunkedDecoderOptions, RequestParserOptions } from "./limits.ts";
import { RequestParser } from "./request_parser.ts";

/**
 * Parses a byte stream of pipelined requests into `head`, `data` and `end`
 * events, exactly as {@linkcode RequestParser} does: the input can be split
 * anywhere. When the input ends, a request cut short errors the stream with
 * `ProtocolError(400, "incomplete-message")`.
 *
 * @example Two pipelined requests split mid-header
 * ```ts
 * import { RequestDecoderStream, type RequestEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const encoder = new TextEncoder();
 * const events: RequestEvent[] = [];
 * await ReadableStream.from([
 *   encoder.encode("GET /a HTTP/1.1\r\nHo"),
 *   encoder.encode("st: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"),
 * ])
 *   .pipeThrough(new RequestDecoderStream())
 *   .pipeTo(new WritableStream({ write: (event) => void events.push(event) }));
 * assert.deepEqual(events.map((event) => event.type), ["head", "end", "head", "end"]);
 * ```
 */
export class RequestDecoderStream extends TransformStream<Uint8Array, RequestEvent> {
  #parser: RequestParser;

  /**
   * Creates a decoder with its own {@linkcode RequestParser}.
   *
   * @param options parser limits; see {@linkcode RequestParserOptions} for defaults
   */
  constructor(options: RequestParserOptions = {}) {
    super({
      transform: (chunk, controller) => {
        this.#parser.push(chunk);
        this.#drain(controller);
      },
      flush: (controller) => {
        this.#parser.finish();
        this.#drain(controller);
      },
    });
    this.#parser = new RequestParser(options);
  }

  #drain(controller: TransformStreamDefaultController<RequestEvent>): void {
    const parser = this.#parser;
    for (let event = parser.next(); event !== null; event = parser.next()) {
      controller.enqueue(event);
    }
  }
}

/**
 * Decodes one chunked body (RFC 9112 §7.1) into its bytes. The trailer
 * fields arrive through {@linkcode ChunkedDecoderStream.trailers}.
 *
 * The stream carries exactly one body: a byte after the last chunk's final
 * CRLF errors the stream with `ProtocolError(400, "bytes-after-last-chunk")`,
 * because a standalone body has nowhere to put them (use
 * {@linkcode ChunkedDecoder.takeRemainder} when the bytes that follow belong
 * to the next message). Input that ends before the last chunk errors with
 * `ProtocolError(400, "incomplete-message")`.
 *
 * @example Decode a body and read its trailers
 * ```ts
 * import { ChunkedDecoderStream } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const decoder = new ChunkedDecoderStream();
 * const body = ReadableStream.from([new TextEncoder().encode("5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n")])
 *   .pipeThrough(decoder);
 * assert.equal(await new Response(body).text(), "hello");
 * assert.deepEqual(await decoder.trailers, ["X-Sum", "5"]);
 * ```
 */
export class ChunkedDecoderStream extends TransformStream<Uint8Array, Uint8Array> {
  #trailers: Promise<readonly string[]>;

  /**
   * Creates a decoder for one chunked body.
   *
   * @param options decoder limits; see {@linkcode ChunkedDecoderOptions} for defaults
   */
  constructor(options: ChunkedDecoderOptions = {}) {
    let resolve!: (trailers: readonly string[]) => void;
    let reject!: (reason: unknown) => void;
    const trailers = new Promise<readonly string[]>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Most consumers never read the trailers: without a handler, an errored
    // body would also surface as an unhandled rejection and kill the process.
    trailers.catch(() => {});
    super(bodyTransformer(() => new ChunkedDecoder(options), {
      overrun: "bytes-after-last-chunk",
      onEnd: resolve,
      onError: reject,
    }));
    this.#trailers = trailers;
  }

  /**
   * The trailer fields, flat `[name, value, …]` (empty when there were none).
   * Resolves when the last chunk and trailer section have been decoded (even if
   * bytes follow them); rejects with the stream's error if the body is
   * malformed, cut short, or the stream is cancelled before its end.
   */
  get trailers(): Promise<readonly string[]> {
    return this.#trailers;
  }
}

/**
 * Options of {@linkcode ChunkedEncoderStream}.
 *
 * @example
 * ```ts
 * import { ChunkedEncoderStream, type ChunkedEncoderStreamOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: ChunkedEncoderStreamOptions = { trailers: () => ["X-Count", "1"] };
 * const framed = ReadableStream.from([new TextEncoder().encode("a")])
 *   .pipeThrough(new ChunkedEncoderStream(options));
 * assert.equal(await new Response(framed).text(), "1\r\na\r\n0\r\nX-Count: 1\r\n\r\n");
 * ```
 */
export interface ChunkedEncoderStreamOptions {
  /**
   * Called once, when the input ends, for the trailer fields to send after
   * the last chunk, flat `[name, value, …]` (RFC 9112 §7.1.2). Default: none.
   * `Content-Length` and `Transfer-Encoding` are dropped; invalid names or
   * values error the stream with a `TypeError`.
   */
  trailers?: () => readonly string[] | Promise<readonly string[]>;
}

/**
 * Frames a byte stream with the chunked transfer coding (RFC 9112 §7.1):
 * each non-empty input chunk becomes one chunk, empty ones are skipped (a
 * zero-size chunk would end the body), and the end of the input writes the
 * last chunk and trailers.
 *
 * @example
 * ```ts
 * import { ChunkedEncoderStream } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const encoder = new TextEncoder();
 * const framed = ReadableStream.from([encoder.encode("hello"), encoder.encode(" world")])
 *   .pipeThrough(new ChunkedEncoderStream({ trailers: () => ["X-Sum", "11"] }));
 * assert.equal(
 *   await new Response(framed).text(),
 *   "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n",
 * );
 * ```
 */
export class ChunkedEncoderStream extends TransformStream<Uint8Array, Uint8Array> {
  #trailers: (() => readonly string[] | Promise<readonly string[]>) | undefined;

  /**
   * Creates an encoder for one chunked body.
   *
   * @param options where the trailers come from; none by default
   */
  constructor(options: ChunkedEncoderStreamOptions = {}) {
    super({
      transform: (chunk, controller) => {
        if (chunk.length !== 0) controller.enqueue(encodeChunk(chunk));
      },
      flush: (controller) => this.#flush(controller),
    });
    this.#trailers = options.trailers;
  }

  #flush(controller: TransformStreamDefaultController<Uint8Array>): void | Promise<void> {
    if (this.#trailers === undefined) {
      controller.enqueue(encodeLastChunk());
      return;
    }
    const trailers = this.#trailers();
    if (Array.isArray(trailers)) {
      controller.enqueue(encodeLastChunk(trailers));
      return;
    }
    return Promise.resolve(trailers).then((fields) => controller.enqueue(encodeLastChunk(fields)));
  }
}

/**
 * Options of {@linkcode LengthLimitedStream}: give `length`, `maxBytes`, or
 * both.
 *
 * @example
 * ```ts
 * import { LengthLimitedStream, type LengthLimitedStreamOptions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const options: LengthLimitedStreamOptions = { length: 2, maxBytes: 1024 };
 * const body = ReadableStream.from([new TextEncoder().encode("ok")])
 *   .pipeThrough(new LengthLimitedStream(options));
 * assert.equal(await new Response(body).text(), "ok");
 * ```
 */
export interface LengthLimitedStreamOptions {
  /**
   * The exact number of bytes the stream must carry, as declared by a
   * `Content-Length` (RFC 9112 §6.2). Input that ends short errors the stream
   * with `ProtocolError(400, "incomplete-message")`. Default: no exact length.
   */
  length?: number;
  /**
   * The most bytes allowed through; one more errors the stream with
   * `ProtocolError(413, "body-too-large")`. With `length` over `maxBytes`,
   * the stream errors at once, before any byte. Default: no limit.
   */
  maxBytes?: number;
  /**
   * What to do with bytes past `length`: `"error"` (default) errors the
   * stream with `ProtocolError(400, "body-longer-than-length")`, since a
   * body longer than it declared would otherwise pass as the declared one
   * and the rest as something else; `"truncate"` passes exactly `length`
   * bytes and drops the rest.
   */
  overrun?: "error" | "truncate";
}

/**
 * Passes bytes through while holding them to a declared length, a size
 * limit, or both. Chunks are passed as they are, or as a view of their head
 * when truncating.
 *
 * @example Exactly the declared length
 * ```ts
 * import { LengthLimitedStream, ProtocolError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const short = ReadableStream.from([new Uint8Array(3)])
 *   .pipeThrough(new LengthLimitedStream({ length: 5 }));
 * await assert.rejects(new Response(short).arrayBuffer(), (error) =>
 *   error instanceof ProtocolError && error.status === 400);
 * ```
 *
 * @example A body limit without a declared length
 * ```ts
 * import { LengthLimitedStream, ProtocolError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const big = ReadableStream.from([new Uint8Array(600), new Uint8Array(600)])
 *   .pipeThrough(new LengthLimitedStream({ maxBytes: 1000 }));
 * await assert.rejects(new Response(big).arrayBuffer(), (error) =>
 *   error instanceof ProtocolError && error.status === 413);
 * ```
 */
export class LengthLimitedStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Creates a stream held to `options.length` and/or `options.maxBytes`.
   * Throws `TypeError` when neither is given and `RangeError` when one is not
   * a non-negative safe integer.
   *
   * @param options the length and/or limit to hold the bytes to
   */
  constructor(options: LengthLimitedStreamOptions) {
    const { length, maxBytes, overrun = "error" } = options;
    if (length === undefined && maxBytes === undefined) {
      throw new TypeError("LengthLimitedStream needs a length, a maxBytes, or both");
    }
    if (length !== undefined) checkByteCount(length, "length");
    if (maxBytes !== undefined) checkByteCount(maxBytes, "maxBytes");
    if (overrun !== "error" && overrun !== "truncate") {
      throw new TypeError(`overrun must be "error" or "truncate", got ${overrun}`);
    }
    // A declared length is a length-delimited body (over the limit, it is
    // refused before any byte, as a server answers 413 from the
    // Content-Length alone); a limit alone is a body that ends with its input.
    const decoder = (): BodyDecoder =>
      length === undefined
        ? new BodyDecoder({ kind: "close" }, { maxBodySize: maxBytes })
        : maxBytes === undefined
        ? new LengthDecoder(length)
        : new BodyDecoder({ kind: "length", length }, { maxBodySize: maxBytes });
    super(bodyTransformer(decoder, {
      overrun: overrun === "error" ? "body-longer-than-length" : null,
      onEnd: () => {},
      onError: () => {},
    }));
  }
}

function checkByteCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

/** How a body stream treats its end and what follows it. */
interface BodyStreamHooks {
  /**
   * The error code for bytes after the body (the stream carries exactly
   * one body, and extra bytes would otherwise pass as something else), or
   * null to drop them silently.
   */
  readonly overrun: string | null;
  /** The body is complete; its trailers. */
  readonly onEnd: (trailers: readonly string[]) => void;
  /** The stream failed or was cancelled before the body's end. */
  readonly onError: (reason: unknown) => void;
}

/**
 * The one transformer of the body streams: input chunks are pushed into a
 * {@linkcode BodyDecoder} and its data events passed on (views, not
 * copies); the end of input is the decoder's `finish()`. A decoder that
 * refuses its framing outright (a length over the limit) errors the
 * stream before any byte.
 */
function bodyTransformer(
  createDecoder: () => BodyDecoder,
  hooks: BodyStreamHooks,
): Transformer<Uint8Array, Uint8Array> {
  let decoder: BodyDecoder | null = null;
  let ended = false;
  const drain = (controller: TransformStreamDefaultController<Uint8Array>) => {
    const active = decoder!;
    for (let event = active.next(); event !== null; event = active.next()) {
      if (event.type === "data") {
        controller.enqueue(event.bytes);
        continue;
      }
      // The body is complete whatever follows it, so the end is announced
      // before the check below, as it must be when the extra bytes only
      // come in a later write.
      ended = true;
      hooks.onEnd(event.trailers);
      overrun(active.takeRemainder());
      return;
    }
  };
  const overrun = (bytes: Uint8Array) => {
    if (bytes.length !== 0 && hooks.overrun !== null) {
      throw new ProtocolError(400, hooks.overrun, "bytes follow the end of the body");
    }
  };
  const guard = (step: () => void) => {
    try {
      step();
    } catch (error) {
      hooks.onError(error);
      throw error;
    }
  };
  // `cancel` (called on the output's cancel or the input's abort) is in
  // the Streams standard and all three runtimes, but not yet in every
  // TypeScript DOM lib, hence the assertion.
  return {
    start: (controller) =>
      guard(() => {
        try {
          decoder = createDecoder();
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          hooks.onError(error);
          controller.error(error);
        }
      }),
    transform: (chunk, controller) =>
      guard(() => {
        if (ended) return overrun(chunk);
        decoder!.push(chunk);
        drain(controller);
      }),
    flush: (controller) =>
      guard(() => {
        if (ended) return;
        decoder!.finish();
        drain(controller);
      }),
    cancel: (reason: unknown) => hooks.onError(reason),
  } as Transformer<Uint8Array, Uint8Array>;
}
