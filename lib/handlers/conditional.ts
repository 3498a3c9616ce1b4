/**
 * Validators and preconditions for static files: the weak ETag and
 * Last-Modified a file is sent with, the 304 decision (RFC 9110 §13.1.2,
 * §13.1.3, §13.2.2) and single byte ranges (RFC 9110 §14).
 *
 * @module
 */

/**
 * A weak entity tag from a file's size and modification time.
 *
 * Weak (RFC 9110 §8.8.1) because size+mtime says "same content" without a
 * byte-for-byte guarantee: two writes within one mtime tick could collide.
 *
 * @example
 * ```ts
 * import { weakEtag } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(weakEtag(255, 1700000000123), 'W/"ff-18bcfe5687b"');
 * ```
 *
 * @param size the file size in bytes
 * @param mtimeMs the modification time, ms since the epoch
 * @returns the ETag field value
 */
export function weakEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/**
 * The Last-Modified value: an IMF-fixdate (RFC 9110 §5.6.7), whole seconds.
 *
 * @example
 * ```ts
 * import { httpDate } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(httpDate(1700000000999), "Tue, 14 Nov 2023 22:13:20 GMT");
 * ```
 *
 * @param ms a time, ms since the epoch
 * @returns the formatted date
 */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

/** The opaque part of an entity tag, without `W/`: weak comparison (RFC 9110 §8.8.3.2) compares only this. */
function opaque(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

/** Whether an If-None-Match list names the current representation (`*` always does). */
function matchesAny(list: string, etag: string): boolean {
  const ours = opaque(etag);
  for (const item of list.split(",")) {
    const tag = item.trim();
    if (tag === "*" || opaque(tag) === ours) return true;
  }
  return false;
}

/**
 * Whether a GET or HEAD may be answered 304 Not Modified.
 *
 * If-None-Match wins when present; If-Modified-Since is then ignored
 * (RFC 9110 §13.2.2, step 3 before 4). An unparseable date is ignored, as
 * §13.1.3 asks.
 *
 * @example
 * ```ts
 * import { isNotModified, weakEtag, httpDate } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * const etag = weakEtag(10, 1700000000000);
 * assert.ok(isNotModified(new Headers({ "if-none-match": etag }), etag, 1700000000000));
 * assert.ok(isNotModified(new Headers({ "if-modified-since": httpDate(1700000000000) }), etag, 1700000000000));
 * assert.ok(!isNotModified(new Headers(), etag, 1700000000000));
 * ```
 *
 * @param headers the request headers
 * @param etag the file's current ETag
 * @param mtimeMs the file's modification time
 * @returns true when the client's copy is current
 */
export function isNotModified(headers: Headers, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) return matchesAny(ifNoneMatch, etag);
  const ifModifiedSince = headers.get("if-modified-since");
  if (ifModifiedSince === null) return false;
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false;
  return Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * What a Range header asks of a file of a given size: the whole file (no
 * header, an unknown unit, a malformed or multi-range request), one byte
 * range (inclusive `start`..`end`), or nothing satisfiable (416).
 */
export type RangeRequest =
  | { readonly type: "whole" }
  | { readonly type: "partial"; readonly start: number; readonly end: number }
  | { readonly type: "unsatisfiable" };

const WHOLE: RangeRequest = { type: "whole" };
const UNSATISFIABLE: RangeRequest = { type: "unsatisfiable" };

/** A non-empty run of ASCII digits as a number, else -1. */
function digits(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return -1;
  }
  return Number(text);
}

/**
 * Reads a Range header (RFC 9110 §14.1.2) against a file size.
 *
 * Several ranges are answered with the whole file (200): allowed by §14.2
 * ("a server MAY ignore the Range header field"), and it spares a
 * multipart/byteranges body nobody on this path needs. A malformed header is
 * ignored the same way.
 *
 * @example
 * ```ts
 * import { parseRange } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRange("bytes=0-99", 1000), { type: "partial", start: 0, end: 99 });
 * assert.deepEqual(parseRange("bytes=-100", 1000), { type: "partial", start: 900, end: 999 });
 * assert.deepEqual(parseRange("bytes=1000-", 1000), { type: "unsatisfiable" });
 * assert.deepEqual(parseRange("bytes=0-1,5-6", 1000), { type: "whole" });
 * ```
 *
 * @param header the Range field value, or null
 * @param size the file size
 * @returns what to send
 */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return WHOLE;
  const equals = header.indexOf("=");
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== "bytes") return WHOLE;
  const spec = header.slice(equals + 1).trim();
  if (spec.includes(",")) return WHOLE;
  const dash = spec.indexOf("-");
  if (dash === -1) return WHOLE;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === "") {
    // suffix-range: the last N bytes (§14.1.2); N = 0 selects nothing.
    const length = digits(last);
    if (length === -1) return WHOLE;
    if (length === 0 || size === 0) return UNSATISFIABLE;
    return { type: "partial", start: Math.max(0, size - length), end: size - 1 };
  }
  const start = digits(first);
  if (start === -1) return WHOLE;
  let end = size - 1;
  if (last !== "") {
    end = digits(last);
    if (end === -1 || end < start) return WHOLE;
    if (end > size - 1) end = size - 1;
  }
  if (start >= size) return UNSATISFIABLE;
  return { type: "partial", start, end };
}

/**
 * Whether an If-Range precondition (RFC 9110 §13.1.5) lets the Range apply.
 *
 * An entity tag must match by strong comparison, which our weak tags never
 * do, so a tag means "send everything". A date must equal Last-Modified.
 *
 * @example
 * ```ts
 * import { rangeApplies } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(rangeApplies(null, "Tue, 14 Nov 2023 22:13:20 GMT"));
 * assert.ok(rangeApplies("Tue, 14 Nov 2023 22:13:20 GMT", "Tue, 14 Nov 2023 22:13:20 GMT"));
 * assert.ok(!rangeApplies('W/"a-b"', "Tue, 14 Nov 2023 22:13:20 GMT"));
 * ```
 *
 * @param ifRange the If-Range field value, or null
 * @param lastModified the file's Last-Modified value
 * @returns true when the Range header should be honoured
 */
export function rangeApplies(ifRange: string | null, lastModified: string): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return false;
  return Date.parse(value) === Date.parse(lastModified);
}
