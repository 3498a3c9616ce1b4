/**
 * What the WHATWG stream adapter tests share: bytes from Latin-1 text, a
 * source that yields one chunk per pull, reading a stream to its end, the
 * feeds every codec test uses, random cut points, and the ProtocolError check.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../../lib/codec/errors.ts";

/** One byte per char, so rows can spell obs-text directly. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The chunks joined. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A source that yields one chunk per pull, so every write is its own transform call. */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++]);
      else controller.close();
    },
  });
}

/** Everything `stream` yields, read to its end. */
export async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) out.push(read.value);
  return out;
}

/** The three feeds every codec test uses: whole, byte by byte, and at a midpoint. */
export function feeds(wire: Uint8Array): [string, Uint8Array[]][] {
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
  const middle = wire.length >> 1;
  return [
    ["whole", [wire]],
    ["byte by byte", bytes],
    ["in two halves", [wire.subarray(0, middle), wire.subarray(middle)]],
  ];
}

/** `wire` cut at `cuts` (each taken modulo its length + 1), as consecutive pieces. */
export function splitAt(wire: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    out.push(wire.subarray(start, point));
    start = point;
  }
  out.push(wire.subarray(start));
  return out;
}

/** Asserts `promise` rejects with a ProtocolError of `status` and `code`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return true;
  });
}

/** Random cut points for {@linkcode splitAt}. */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 12 });
