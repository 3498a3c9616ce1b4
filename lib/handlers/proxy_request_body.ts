/**
 * The downstream request's body on its way upstream: whether it waits for
 * `100 Continue`, and a small body with a declared length taken whole, so
 * that the client writes it with the head in one write and can send it
 * again (an idempotent request on a stale connection).
 *
 * @module
 */

import type { ServeInfo } from "../connection/options.ts";

/** `Expect: 100-continue`, the only expectation there is (RFC 9110 §10.1.1). */
export function expectsContinue(expect: string | null, info: ServeInfo): boolean {
  // A 1.0 client's expectation is ignored (RFC 9110 §10.1.1), so is this hop's.
  return expect !== null && info.httpVersion === "1.1" && /^\s*100-continue\s*$/i.test(expect);
}

/** Bodies up to this size (as the client writes with their head at once) are read whole. */
const WHOLE_BODY_LIMIT = 16 * 1024;

/** A `Content-Length` (the server has checked it, RFC 9112 §6.3) no larger than the limit. */
export function smallLength(value: string | null): number | undefined {
  if (value === null || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const length = Number(value);
  return length <= WHOLE_BODY_LIMIT ? length : undefined;
}

/**
 * The whole of a body of `length` bytes (the server frames it, so exactly
 * that many come): the one chunk as it is, else the chunks joined. A body
 * that fails (the client left, or was too slow: the server's 408) fails
 * the request before any upstream has seen it.
 */
export async function readWhole(
  stream: ReadableStream<Uint8Array>,
  length: number,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > length) throw new RangeError(`the body is longer than its ${length} bytes`);
    chunks.push(value);
  }
  if (received < length) {
    throw new RangeError(`the body ended after ${received} of ${length} bytes`);
  }
  if (chunks.length === 1) return chunks[0];
  const whole = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}
