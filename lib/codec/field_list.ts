/**
 * Lookups in a flat field list, `[name, value, name, value, …]`, the form
 * the parsers give header sections in (names as received, any case) and
 * the client and the proxy build requests in. Field names are
 * case-insensitive (RFC 9110 §5.1).
 *
 * Two lookups, because a field may come as several lines: the
 * {@linkcode joinedFieldValue} of a list-valued field is every line joined
 * by commas (RFC 9110 §5.3), as `Headers.get` gives it; the
 * {@linkcode firstFieldValue} is the first line alone, for a field that
 * appears once (`Location`, `Content-Length`, `Upgrade` in a 101) or a
 * list already joined (fields taken from a `Headers`).
 *
 * @module
 */

/**
 * The value of the first line of the field `lowerName`, or null when it is
 * absent.
 *
 * @example
 * ```ts
 * import { firstFieldValue } from "./field_list.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = ["Location", "/a", "location", "/b"];
 * assert.equal(firstFieldValue(fields, "location"), "/a");
 * assert.equal(firstFieldValue(fields, "range"), null);
 * ```
 *
 * @param fields the flat list, names in any case
 * @param lowerName the field name, lower-case
 * @returns the first line's value, or null
 */
export function firstFieldValue(fields: readonly string[], lowerName: string): string | null {
  for (let i = 0; i < fields.length; i += 2) {
    // The length first: most names differ in it, and then no lower-cased copy is made.
    if (fields[i].length === lowerName.length && fields[i].toLowerCase() === lowerName) {
      return fields[i + 1];
    }
  }
  return null;
}

/**
 * Every line of the field `lowerName` joined by `", "` in arrival order
 * (RFC 9110 §5.3: the same as one line), as `Headers.get` joins them; null
 * when it is absent.
 *
 * @example
 * ```ts
 * import { joinedFieldValue } from "./field_list.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = ["Content-Encoding", "gzip", "x", "1", "content-encoding", "br"];
 * assert.equal(joinedFieldValue(fields, "content-encoding"), "gzip, br");
 * assert.equal(joinedFieldValue(fields, "via"), null);
 * ```
 *
 * @param fields the flat list, names in any case
 * @param lowerName the field name, lower-case
 * @returns the joined value, or null
 */
export function joinedFieldValue(fields: readonly string[], lowerName: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i].length !== lowerName.length || fields[i].toLowerCase() !== lowerName) continue;
    value = value === null ? fields[i + 1] : `${value}, ${fields[i + 1]}`;
  }
  return value;
}
