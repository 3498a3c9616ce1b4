/**
 * Streams a response body to the output with the framing chosen for it,
 * honouring transport backpressure between reads.
 *
 * @module
 */

import { encodeChunk, encodeLastChunk } from "../codec/chunks.ts";
import type { ResponseFraming } from "../codec/response_writer.ts";
import type { OutputBuffer } from "./output.ts";
import type { ExchangeOutcome } from "./exchange_outcome.ts";
import { type OutgoingResponse, toBytes } from "./outgoing.ts";

/**
 * Writes the body of `outgoing`. Resolves true when the message is complete
 * in the output (a close-delimited body too: the close that ends it follows),
 * false when it could not be (the stream failed, produced more or fewer
 * bytes than its declared length, or the client left and `outcome`
 * cancelled it): the connection must then close, as the framing is broken
 * (RFC 9112 §6.3, a short body is detected by the client only through the close).
 */
export async function writeBody(
  output: OutputBuffer,
  outgoing: OutgoingResponse,
  framing: ResponseFraming,
  outcome: ExchangeOutcome,
): Promise<boolean> {
  const chunked = framing.kind === "chunked";
  const declared = framing.kind === "length" ? framing.length : -1;
  let sent = 0;
  // Bodies already in memory still wait for the transport: a pipelined
  // batch of large responses must not pile up in the socket's queue.
  const wait = output.ready();
  if (wait !== undefined) {
    output.flush();
    await wait;
    if (output.isClosed) return false;
  }
  const reader = outgoing.reader;
  if (reader === null) return writeWholeBody(output, outgoing, framing);
  for (const piece of outgoing.prefix) {
    output.push(chunked ? encodeChunk(piece) : piece);
    sent += piece.byteLength;
  }
  let pending = outgoing.pendingRead;
  // While the body streams, a client that leaves cancels it at once (not
  // when the source's next chunk is ready and its write fails).
  outcome.streaming(reader);
  try {
    while (true) {
      const wait = output.ready();
      if (wait !== undefined) {
        output.flush();
        await wait;
      }
      if (output.isClosed || outcome.failed) {
        reader.cancel().catch(() => {});
        return false;
      }
      const read = pending ?? reader.read();
      pending = null;
      // Gather chunks that are ready together into one write; flush before
      // waiting on a source that is not ready, so nothing finished is held back.
      if (!(await settlesSoon(read))) output.flush();
      const result = await read;
      if (outcome.failed) return false; // cancelled under the read
      if (result.done) break;
      const bytes = toBytes(result.value);
      if (bytes.byteLength === 0) continue;
      if (declared >= 0 && sent + bytes.byteLength > declared) {
        output.push(bytes.subarray(0, declared - sent));
        reader.cancel().catch(() => {});
        return false;
      }
      output.push(chunked ? encodeChunk(bytes) : bytes);
      sent += bytes.byteLength;
    }
  } catch {
    reader.cancel().catch(() => {});
    return false;
  } finally {
    outcome.streaming(null);
  }
  if (chunked) output.push(encodeLastChunk());
  return declared < 0 || sent === declared;
}

/**
 * Writes a body that is all in `outgoing.prefix` (its `reader` is null), at
 * once; the caller has checked the transport is not behind. Returns whether
 * the message is complete (false: fewer bytes than its declared length).
 */
export function writeWholeBody(
  output: OutputBuffer,
  outgoing: OutgoingResponse,
  framing: ResponseFraming,
): boolean {
  const chunked = framing.kind === "chunked";
  let sent = 0;
  for (const piece of outgoing.prefix) {
    output.push(chunked ? encodeChunk(piece) : piece);
    sent += piece.byteLength;
  }
  if (chunked) output.push(encodeLastChunk());
  return framing.kind !== "length" || sent === framing.length;
}

/** Whether a promise settles within a couple of microtask turns (an in-memory source does). */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await undefined;
  await undefined;
  return settled;
}
