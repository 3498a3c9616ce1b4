/**
 * The Close frame's payload (RFC 6455 §5.5.1): an optional two-byte status
 * code followed by an optional UTF-8 reason, 125 bytes at most in all.
 *
 * @module
 */

import { WebSocketError } from "./errors.ts";
import { Utf8Validator } from "./utf8.ts";

/**
 * The status reported when a Close frame carries no code (RFC 6455 §7.1.5).
 * Never sent on the wire (§7.4.1).
 *
 * @example
 * ```ts
 * import { CLOSE_NO_STATUS, parseClosePayload } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseClosePayload(new Uint8Array(0)).code, CLOSE_NO_STATUS);
 * ```
 */
export const CLOSE_NO_STATUS = 1005;

/**
 * The status reported when the connection closed without a Close frame
 * (RFC 6455 §7.1.5). Never sent on the wire (§7.4.1).
 *
 * @example
 * ```ts
 * import { CLOSE_ABNORMAL, isValidCloseCode } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidCloseCode(CLOSE_ABNORMAL), false);
 * ```
 */
export const CLOSE_ABNORMAL = 1006;

/**
 * Whether `code` may appear in a Close frame (RFC 6455 §7.4): 1000–1003 and
 * 1007–1011 defined by §7.4.1, 1012–1014 registered with IANA since
 * (service restart, try again later, bad gateway), 3000–3999 registered
 * and 4000–4999 private. 1004 is reserved; 1005, 1006 and 1015 are for
 * reporting only and MUST NOT be sent; everything else is unassigned.
 *
 * @example
 * ```ts
 * import { isValidCloseCode } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidCloseCode(1000), true);
 * assert.equal(isValidCloseCode(4999), true);
 * assert.equal(isValidCloseCode(1005), false);
 * assert.equal(isValidCloseCode(2999), false);
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

/**
 * A Close frame's content: `code` is {@linkcode CLOSE_NO_STATUS} (1005) and
 * `reason` empty when the payload was empty.
 *
 * @example
 * ```ts
 * import { type CloseInfo, parseClosePayload } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const info: CloseInfo = parseClosePayload(new Uint8Array([0x03, 0xe8, 0x6f, 0x6b]));
 * assert.deepEqual(info, { code: 1000, reason: "ok" });
 * ```
 */
export interface CloseInfo {
  /** The status code, or 1005 when the frame had none. */
  readonly code: number;
  /** The reason, decoded from UTF-8; empty when there was none. */
  readonly reason: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Reads a Close frame's payload (already unmasked). A one-byte payload or
 * a code that {@linkcode isValidCloseCode} refuses throws
 * `WebSocketError(1002)`; a reason that is not UTF-8 throws
 * `WebSocketError(1007)` (RFC 6455 §5.5.1, §7.4, §8.1).
 *
 * @example
 * ```ts
 * import { parseClosePayload, WebSocketError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseClosePayload(new Uint8Array([0x03, 0xe9])), { code: 1001, reason: "" });
 * assert.throws(() => parseClosePayload(new Uint8Array([0x03, 0xed])), (error: unknown) =>
 *   error instanceof WebSocketError && error.closeCode === 1002); // 1005 is never sent
 * ```
 */
export function parseClosePayload(payload: Uint8Array): CloseInfo {
  if (payload.length === 0) return { code: CLOSE_NO_STATUS, reason: "" };
  if (payload.length === 1) {
    throw new WebSocketError(1002, "invalid-close-payload", "a Close payload of one byte");
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new WebSocketError(1002, "invalid-close-code", `close code ${code} is not allowed`);
  }
  const validator = new Utf8Validator();
  if (validator.feed(payload, 2) !== -1 || !validator.complete) {
    throw new WebSocketError(1007, "invalid-utf8", "the close reason is not UTF-8");
  }
  return { code, reason: decoder.decode(payload.subarray(2)) };
}

/**
 * Builds a Close frame's payload. With no code the payload is empty;
 * `reason` needs a code. Throws `RangeError` for a code that may not be sent
 * or a reason longer than 123 UTF-8 bytes (a control frame's payload is at
 * most 125 bytes, RFC 6455 §5.5).
 *
 * @example
 * ```ts
 * import { encodeClosePayload } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeClosePayload(1000, "ok")], [0x03, 0xe8, 0x6f, 0x6b]);
 * assert.equal(encodeClosePayload().length, 0);
 * assert.throws(() => encodeClosePayload(1006), RangeError);
 * ```
 */
export function encodeClosePayload(code?: number, reason = ""): Uint8Array {
  if (code === undefined) {
    if (reason !== "") throw new RangeError("a close reason needs a close code");
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
  const text = encoder.encode(reason);
  if (text.length > 123) throw new RangeError("a close reason is at most 123 UTF-8 bytes");
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}
