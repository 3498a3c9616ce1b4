/**
 * Interim (1xx) response heads a handler sends ahead of its final response
 * (RFC 9110 §15.2), encoded here; the response queue decides when they go
 * out (`response_queue.ts`).
 *
 * @module
 */

import { encodeResponseHead } from "../codec/response_writer.ts";
import type { InformationalFields } from "./options.ts";

/**
 * The bytes of an interim response with `status` and `fields`. Throws
 * `RangeError` for a status that is not 1xx or is 101 (a switch is an
 * upgrade's, never a handler's interim answer), `TypeError` for a field the
 * head writer refuses.
 */
export function encodeInterim(
  status: number,
  fields: InformationalFields | undefined,
): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
    throw new RangeError(`an interim response needs a 1xx status other than 101, got ${status}`);
  }
  return encodeResponseHead({ status, headers: flatFields(fields), framing: { kind: "none" } });
}

/** `[name, value, …]` from any of the shapes {@linkcode InformationalFields} allows. */
function flatFields(fields: InformationalFields | undefined): string[] {
  const flat: string[] = [];
  if (fields === undefined) return flat;
  if (fields instanceof Headers || Array.isArray(fields)) {
    for (const [name, value] of fields as Iterable<readonly [string, string]>) {
      flat.push(name, value);
    }
    return flat;
  }
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) { for (const each of value) flat.push(name, String(each)); }
    else flat.push(name, String(value));
  }
  return flat;
}
