/**
 * The Range header (RFC 9110 §14.1.2) read against a file size, with the
 * defences a server owes its disk and its uplink.
 *
 * A multi-range request is a known amplification trick (CVE-2011-3192, the
 * "Apache Killer": `bytes=0-,0-,0-,…` turned one request into gigabytes of
 * multipart output). §14.2 lets a server ignore or reject such requests and
 * §14.6 lets it coalesce ranges, so this module:
 *
 * - ignores a Range of more than {@linkcode MAX_RANGE_SPECS} ranges (the
 *   whole file is sent, 200), as Apache's `MaxRanges` does;
 * - sorts the satisfiable ranges and merges those that overlap, touch, or
 *   are separated by less than {@linkcode COALESCE_GAP} bytes — a part's own
 *   header costs about that much — so the parts never add up to more bytes
 *   than the file, whatever the request says.
 *
 * A malformed header or another unit is ignored (§14.2: "a server MAY
 * ignore the Range header field"); no satisfiable range at all is 416.
 *
 * @module
 */

/** One inclusive byte range of a file. */
export interface ByteRange {
  /** The first byte. */
  readonly start: number;
  /** The last byte (inclusive). */
  readonly end: number;
}

/**
 * What a Range header asks of a file of a given size: the whole file, the
 * listed ranges (sorted, coalesced, at least one), or nothing satisfiable (416).
 */
export type RangeRequest =
  | { readonly type: "whole" }
  | { readonly type: "ranges"; readonly ranges: readonly ByteRange[] }
  | { readonly type: "unsatisfiable" };

/** More ranges than this in one header and the header is ignored (Apache's `MaxRanges` is 200). */
export const MAX_RANGE_SPECS = 100;

/**
 * Ranges closer than this are sent as one part: a part's header
 * (boundary, Content-Type, Content-Range) is about 80 bytes, so sending the
 * gap costs less than a new part (RFC 9110 §14.6 allows it).
 */
export const COALESCE_GAP = 80;

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

/** One range-spec: a range, `null` when unsatisfiable, `"malformed"` when not a range-spec. */
function parseSpec(spec: string, size: number): ByteRange | null | "malformed" {
  const dash = spec.indexOf("-");
  if (dash === -1) return "malformed";
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === "") {
    // suffix-range: the last N bytes (§14.1.2); N = 0 selects nothing.
    const length = digits(last);
    if (length === -1) return "malformed";
    if (length === 0 || size === 0) return null;
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = digits(first);
  if (start === -1) return "malformed";
  let end = size - 1;
  if (last !== "") {
    end = digits(last);
    if (end === -1 || end < start) return "malformed";
    if (end > size - 1) end = size - 1;
  }
  return start >= size ? null : { start, end };
}

/** Sorts and merges ranges that overlap or lie within {@linkcode COALESCE_GAP} of each other. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  let current = ranges[0];
  for (let i = 1; i < ranges.length; i++) {
    const next = ranges[i];
    if (next.start <= current.end + 1 + COALESCE_GAP) {
      current = { start: current.start, end: Math.max(current.end, next.end) };
    } else {
      merged.push(current);
      current = next;
    }
  }
  merged.push(current);
  return merged;
}

/**
 * Reads a Range header against a file size.
 *
 * @example
 * ```ts
 * import { parseRanges } from "./ranges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRanges("bytes=0-99", 1000), { type: "ranges", ranges: [{ start: 0, end: 99 }] });
 * assert.deepEqual(parseRanges("bytes=-100", 1000), { type: "ranges", ranges: [{ start: 900, end: 999 }] });
 * assert.deepEqual(parseRanges("bytes=500-599,0-9", 1000), {
 *   type: "ranges",
 *   ranges: [{ start: 0, end: 9 }, { start: 500, end: 599 }],
 * });
 * // Overlapping ranges become one: never more bytes than the file.
 * assert.deepEqual(parseRanges("bytes=0-,0-,0-", 1000), { type: "ranges", ranges: [{ start: 0, end: 999 }] });
 * assert.deepEqual(parseRanges("bytes=1000-", 1000), { type: "unsatisfiable" });
 * assert.deepEqual(parseRanges("items=0-1", 1000), { type: "whole" });
 * ```
 *
 * @param header the Range field value, or null
 * @param size the file size
 * @returns what to send
 */
export function parseRanges(header: string | null, size: number): RangeRequest {
  if (header === null) return WHOLE;
  const equals = header.indexOf("=");
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== "bytes") return WHOLE;
  // Empty list elements are allowed and ignored (RFC 9110 §5.6.1).
  const specs = header.slice(equals + 1).split(",").map((spec) => spec.trim()).filter((spec) =>
    spec !== ""
  );
  if (specs.length === 0 || specs.length > MAX_RANGE_SPECS) return WHOLE;
  const satisfiable: ByteRange[] = [];
  for (const spec of specs) {
    const range = parseSpec(spec, size);
    if (range === "malformed") return WHOLE;
    if (range !== null) satisfiable.push(range);
  }
  if (satisfiable.length === 0) return UNSATISFIABLE;
  return { type: "ranges", ranges: coalesce(satisfiable) };
}
