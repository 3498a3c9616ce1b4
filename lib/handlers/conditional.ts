/**
 * Validators and preconditions for static files: the entity tags and
 * Last-Modified a file is sent with, the 412 and 304 decisions (RFC 9110
 * §13.1.1–§13.1.4, in §13.2.2's order) and the If-Range decision (§13.1.5).
 *
 * Which tag is strong and which weak (RFC 9110 §8.8.1, §8.8.3):
 *
 * - A file on disk, sent as it is or from a precompressed sibling
 *   (`app.js.br`): strong, `"<mtime-hex>-<size-hex>"` as nginx builds it.
 *   Every response with that tag carries the same bytes, so a download can be
 *   resumed with `If-Range` (which only strong comparison satisfies).
 * - A body compressed on the fly: weak (`W/"…-gzip"`). The bytes depend on
 *   the compressor (the same file gzipped by Deno and by Node 20 differs by
 *   5 %), so only semantic equivalence can be promised, and byte ranges are
 *   never served from it anyway.
 *
 * @module
 */

/**
 * A strong entity tag for a file: modification time (ms) and size, in hex,
 * as nginx does (`"<mtime-hex>-<size-hex>"`); `suffix` tells variants of one
 * file apart (a precompressed sibling is another file with its own tag, but
 * the suffix keeps the two distinct even if their sizes and mtimes agree).
 *
 * Strong in the sense of RFC 9110 §8.8.1: the tag changes whenever the
 * file's bytes do, as long as a rewrite changes its size or its mtime (two
 * same-size writes within one millisecond would not; nginx accepts the
 * same with whole seconds).
 *
 * @example
 * ```ts
 * import { fileEtag } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fileEtag(255, 1700000000123), '"18bcfe5687b-ff"');
 * assert.equal(fileEtag(255, 1700000000123, "br"), '"18bcfe5687b-ff-br"');
 * ```
 *
 * @param size the file size in bytes
 * @param mtimeMs the modification time, ms since the epoch
 * @param suffix a variant name, or "" for the file as it is
 * @returns the ETag field value
 */
export function fileEtag(size: number, mtimeMs: number, suffix = ""): string {
  const tail = suffix === "" ? "" : `-${suffix}`;
  return `"${Math.floor(mtimeMs).toString(16)}-${size.toString(16)}${tail}"`;
}

/**
 * The weak tag of a variant produced on the fly from a strong one:
 * `"a-b"` → `W/"a-b-gzip"`.
 *
 * @example
 * ```ts
 * import { weakVariantEtag } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(weakVariantEtag('"18bcfe5687b-ff"', "gzip"), 'W/"18bcfe5687b-ff-gzip"');
 * ```
 *
 * @param strong the strong tag of the source file
 * @param coding the content coding applied
 * @returns the weak ETag field value
 */
export function weakVariantEtag(strong: string, coding: string): string {
  return `W/${strong.slice(0, -1)}-${coding}"`;
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
 * If-None-Match wins when present (weak comparison, §13.1.2);
 * If-Modified-Since is then ignored (RFC 9110 §13.2.2, step 3 before 4). An
 * unparseable date is ignored, as §13.1.3 asks.
 *
 * @example
 * ```ts
 * import { isNotModified, fileEtag, httpDate } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * const etag = fileEtag(10, 1700000000000);
 * assert.ok(isNotModified(new Headers({ "if-none-match": etag }), etag, 1700000000000));
 * assert.ok(isNotModified(new Headers({ "if-none-match": "W/" + etag }), etag, 1700000000000));
 * assert.ok(isNotModified(new Headers({ "if-modified-since": httpDate(1700000000000) }), etag, 1700000000000));
 * assert.ok(!isNotModified(new Headers(), etag, 1700000000000));
 * ```
 *
 * @param headers the request headers
 * @param etag the ETag of the representation that would be sent
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
 * Whether `If-Match` or `If-Unmodified-Since` fails (RFC 9110 §13.1.1,
 * §13.1.4), so the request gets 412 Precondition Failed before anything
 * else is evaluated (§13.2.2 steps 1–2).
 *
 * If-Match uses strong comparison: a weak tag, ours included, never
 * matches. If-Unmodified-Since is evaluated only without If-Match, and an
 * unparseable date is ignored.
 *
 * @example
 * ```ts
 * import { preconditionFails } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * const mtime = Date.UTC(2024, 2, 1, 12);
 * assert.ok(!preconditionFails(new Headers({ "if-match": '"a-b"' }), '"a-b"', mtime));
 * assert.ok(preconditionFails(new Headers({ "if-match": '"other"' }), '"a-b"', mtime));
 * assert.ok(preconditionFails(new Headers({ "if-match": '"a-b"' }), 'W/"a-b"', mtime));
 * assert.ok(preconditionFails(new Headers({ "if-unmodified-since": "Thu, 29 Feb 2024 00:00:00 GMT" }), '"a-b"', mtime));
 * assert.ok(!preconditionFails(new Headers(), '"a-b"', mtime));
 * ```
 *
 * @param headers the request headers
 * @param etag the ETag of the representation that would be sent
 * @param mtimeMs the file's modification time
 * @returns true when the answer must be 412
 */
export function preconditionFails(headers: Headers, etag: string, mtimeMs: number): boolean {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (etag.startsWith("W/")) return ifMatch.trim() !== "*";
    for (const item of ifMatch.split(",")) {
      const tag = item.trim();
      if (tag === "*" || tag === etag) return false;
    }
    return true;
  }
  const ifUnmodifiedSince = headers.get("if-unmodified-since");
  if (ifUnmodifiedSince === null) return false;
  const since = Date.parse(ifUnmodifiedSince);
  if (Number.isNaN(since)) return false;
  return Math.floor(mtimeMs / 1000) * 1000 > since;
}

/**
 * Whether an If-Range precondition (RFC 9110 §13.1.5) lets the Range apply.
 *
 * An entity tag must match by strong comparison: both tags strong and equal
 * (a weak tag never matches, so a client holding a weak one gets the whole
 * representation). A date must equal Last-Modified exactly.
 *
 * @example
 * ```ts
 * import { rangeApplies } from "./conditional.ts";
 * import assert from "node:assert/strict";
 *
 * const lastModified = "Tue, 14 Nov 2023 22:13:20 GMT";
 * assert.ok(rangeApplies(null, '"a-b"', lastModified));
 * assert.ok(rangeApplies('"a-b"', '"a-b"', lastModified));
 * assert.ok(!rangeApplies('W/"a-b"', '"a-b"', lastModified));
 * assert.ok(rangeApplies(lastModified, '"a-b"', lastModified));
 * ```
 *
 * @param ifRange the If-Range field value, or null
 * @param etag the strong ETag of the representation the range applies to
 * @param lastModified its Last-Modified value
 * @returns true when the Range header should be honoured
 */
export function rangeApplies(ifRange: string | null, etag: string, lastModified: string): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith("W/")) return false;
  if (value.startsWith('"')) return !etag.startsWith("W/") && value === etag;
  return Date.parse(value) === Date.parse(lastModified);
}
