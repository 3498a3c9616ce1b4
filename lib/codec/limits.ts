/**
 * Limits the request codec enforces, with the precedents they follow.
 *
 * Every limit bounds memory or CPU that a peer can make the server spend
 * before a handler sees anything; each is tested at the limit and one byte
 * over. Sizes are in bytes.
 *
 * @module
 */

/**
 * Longest request-line accepted, excluding its CRLF; longer answers 414
 * when the target is what runs long (RFC 9112 §3: a server that receives
 * a request-target longer than it wishes to parse MUST respond 414), and
 * 501 when no SP ends the method within the limit (§3: a method longer
 * than any the server implements). 8 KiB, the line size of nginx's
 * default `large_client_header_buffers 4 8k`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_REQUEST_LINE_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_REQUEST_LINE_SIZE, 8192);
 * ```
 */
export const DEFAULT_MAX_REQUEST_LINE_SIZE = 8192;

/**
 * Largest header section accepted: every field line with its CRLF plus the
 * blank line ending the section (the request-line is not counted); larger
 * answers 431 (RFC 6585 §5). 16 KiB, Node's `--max-http-header-size`
 * default.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_HEADER_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_HEADER_SIZE, 16384);
 * ```
 */
export const DEFAULT_MAX_HEADER_SIZE = 16384;

/**
 * Most header fields accepted in one request; more answers 431. 100 as
 * hyper's default header count.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_HEADER_COUNT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_HEADER_COUNT, 100);
 * ```
 */
export const DEFAULT_MAX_HEADER_COUNT = 100;

/**
 * Largest request body accepted; larger answers 413 (RFC 9110 §15.5.14).
 * A Content-Length over it is rejected with the head, a chunked body as
 * soon as a chunk-size would take the running total past it. 128 MiB, the
 * default of one of the anchor servers (DESIGN.md); servers that stream
 * large uploads raise it.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_BODY_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_BODY_SIZE, 128 * 1024 * 1024);
 * ```
 */
export const DEFAULT_MAX_BODY_SIZE = 134217728;

/**
 * Most hex digits in a chunk-size, leading zeros included; more answers
 * 400. Sixteen digits cover any 64-bit size, as hyper and llhttp allow;
 * values past `Number.MAX_SAFE_INTEGER` are rejected too, so no size ever
 * loses precision.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_CHUNK_SIZE_DIGITS } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_CHUNK_SIZE_DIGITS, 16);
 * ```
 */
export const DEFAULT_MAX_CHUNK_SIZE_DIGITS = 16;

/**
 * Longest chunk extension part of one chunk line (everything between the
 * chunk-size and the CRLF); longer answers 400. Extensions are parsed and
 * discarded, so without a cap a peer could stream an endless chunk line
 * for free (the class of Node's CVE-2024-22019). 4 KiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_CHUNK_EXTENSION_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_CHUNK_EXTENSION_SIZE, 4096);
 * ```
 */
export const DEFAULT_MAX_CHUNK_EXTENSION_SIZE = 4096;

/**
 * Largest trailer section of a chunked body (field lines with their CRLFs
 * and the final CRLF); larger answers 431. 16 KiB, the same budget as the
 * header section: trailers are header fields that arrive late.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_TRAILER_SIZE } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_TRAILER_SIZE, 16384);
 * ```
 */
export const DEFAULT_MAX_TRAILER_SIZE = 16384;

/**
 * Most empty lines (CRLF) skipped before a request-line; one more answers
 * 400. RFC 9112 §2.2 asks servers to ignore at least one, sent by old
 * clients after a POST body; a bound keeps a peer from holding a connection
 * busy with nothing. 8 leaves room for any real client.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_LEADING_EMPTY_LINES } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_LEADING_EMPTY_LINES, 8);
 * ```
 */
export const DEFAULT_MAX_LEADING_EMPTY_LINES = 8;

/**
 * Limits of {@linkcode RequestParser}; every field is optional and defaults
 * to the `DEFAULT_*` constant of the same name.
 *
 * @example Tighter limits for a small embedded server
 * ```ts
 * import { RequestParser, type RequestParserOptions } from "@keepwire/keepwire";
 *
 * const options: RequestParserOptions = { maxHeaderCount: 20, maxBodySize: 1024 * 1024 };
 * const parser = new RequestParser(options);
 * ```
 */
export interface RequestParserOptions {
  /** Longest request-line, CRLF excluded (default 8192); over it: 414 (501 for the method alone). */
  maxRequestLineSize?: number;
  /** Largest header section, blank line included (default 16384); over it: 431. */
  maxHeaderSize?: number;
  /** Most header fields (default 100); over it: 431. */
  maxHeaderCount?: number;
  /** Largest body (default 134217728, 128 MiB); over it: 413. */
  maxBodySize?: number;
  /** Most hex digits in a chunk-size, leading zeros included (default 16); over it: 400. */
  maxChunkSizeDigits?: number;
  /** Longest extension part of one chunk line (default 4096); over it: 400. */
  maxChunkExtensionSize?: number;
  /** Largest trailer section (default 16384); over it: 431. */
  maxTrailerSize?: number;
  /** Most CRLFs skipped before a request-line (default 8); one more: 400. */
  maxLeadingEmptyLines?: number;
}

/**
 * Options of {@linkcode ChunkedDecoder}: the chunked subset of
 * {@linkcode RequestParserOptions}, with the same defaults.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder, type ChunkedDecoderOptions } from "@keepwire/keepwire";
 *
 * const options: ChunkedDecoderOptions = { maxBodySize: 64 * 1024 };
 * const decoder = new ChunkedDecoder(options);
 * ```
 */
export interface ChunkedDecoderOptions {
  /** Most hex digits in a chunk-size (default 16); over it: 400. */
  maxChunkSizeDigits?: number;
  /** Longest extension part of one chunk line (default 4096); over it: 400. */
  maxChunkExtensionSize?: number;
  /** Largest trailer section (default 16384); over it: 431. */
  maxTrailerSize?: number;
  /** Largest decoded body (default 134217728); over it: 413. */
  maxBodySize?: number;
}
