/**
 * The downstream request's body on its way upstream: whether it waits for
 * `100 Continue`, and a small body with a declared length that arrived
 * whole taken as bytes, so that the client writes it with the head in one
 * write and can send it again (an idempotent request on a stale
 * connection).
 *
 * @module
 */

import type { ServeInfo } from "../connection/options.ts";

/** `Expect: 100-continue`, the only expectation there is (RFC 9110 §10.1.1). */
export function expectsContinue(expect: string | null, info: ServeInfo): boolean {
  // A 1.0 client's expectation is ignored (RFC 9110 §10.1.1), so is this hop's.
  return expect !== null && info.httpVersion === "1.1" && /^\s*100-continue\s*$/i.test(expect);
}

/** Bodies up to this size (as the client writes with their head at once) may go as bytes. */
const WHOLE_BODY_LIMIT = 16 * 1024;

/** A `Content-Length` (the server has checked it, RFC 9112 §6.3) no larger than the limit. */
export function smallLength(value: string | null): number | undefined {
  if (value === null || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const length = Number(value);
  return length <= WHOLE_BODY_LIMIT ? length : undefined;
}

/**
 * A body of `length` declared bytes as it goes upstream: the bytes
 * themselves when its first chunk is all of it (the usual case: the body
 * came with the head), else a stream of that chunk and the rest as it
 * comes, so a body still arriving is passed on as it arrives. Only the
 * first chunk is waited for. A body that fails here (the client left, or
 * was too slow: the server's 408) fails the request before any upstream
 * has seen it.
 */
export async function takeBody(
  stream: ReadableStream<Uint8Array>,
  length: number,
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  if (first.done) {
    if (length === 0) return new Uint8Array(0);
    throw new RangeError(`the body ended before its ${length} bytes`);
  }
  if (first.value.byteLength === length) return first.value;
  return new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(first.value),
    pull: async (controller) => {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
