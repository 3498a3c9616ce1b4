/**
 * `deno run -A scripts/bench_deno_transport.ts`: the JavaScript cost of
 * `DenoTransport`'s read loop and write path, without sockets.
 *
 * A fake `Deno.Conn` answers each `read` at once with a wrk-sized request
 * (78 bytes) and each `write` at once with its length, so what is timed is
 * the transport's own work per read or write: its buffers, promises and
 * queue. The socket's ops and the kernel come on top in a real server
 * (bench/PROFILE.md splits a real request's CPU by thread). Wall time per
 * operation, min and median of 9 rounds; compare trees by running it in
 * each, interleaved, as the machine is shared.
 *
 * @module
 */

import { DenoTransport } from "../lib/runtime/_deno_transport.ts";
import type { TransportHandler } from "../lib/transport.ts";

const REQUEST = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);
const RESPONSE = new Uint8Array(150);
const ROUNDS = 9;
const PER_ROUND = 300_000;
const ADDR = { transport: "tcp", hostname: "127.0.0.1", port: 50_000 };

/** A handler that touches each chunk and keeps none. */
function quietHandler(onChunk: (chunk: Uint8Array) => void): TransportHandler {
  return { onData: onChunk, onEnd() {}, onDrain() {}, onClose() {} };
}

/** Per-read cost: `reads` reads answered at once, then the loop waits on a read left pending. */
async function measureReads(): Promise<number[]> {
  let left = 0;
  let parked: (() => void) | null = null;
  let resumeRead: ((count: number) => void) | null = null;
  let parkedBuffer: Uint8Array = new Uint8Array(0);
  const conn = {
    remoteAddr: ADDR,
    read(buffer: Uint8Array): Promise<number | null> {
      if (left-- > 0) {
        buffer.set(REQUEST);
        return Promise.resolve(REQUEST.length);
      }
      return new Promise((resolve) => {
        resumeRead = resolve;
        parkedBuffer = buffer;
        parked?.();
      });
    },
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    closeWrite: () => Promise.resolve(),
    close() {},
  };
  let checksum = 0;
  const transport = new DenoTransport(conn, "accepted");
  transport.handler = quietHandler((chunk) => (checksum += chunk[0]));
  const run = (reads: number) =>
    new Promise<void>((done) => {
      parked = done;
      left = reads - 1;
      const resume = resumeRead;
      resumeRead = null;
      if (resume === null) void transport.readLoop();
      else {
        parkedBuffer.set(REQUEST);
        resume(REQUEST.length);
      }
    });
  const costs = await rounds(run);
  if (checksum === 0) throw new Error("no chunk was delivered");
  transport.close();
  return costs;
}

/** Per-write cost: one response written, and its write settled, at a time. */
async function measureWrites(): Promise<number[]> {
  let written = 0;
  const conn = {
    remoteAddr: ADDR,
    read: () => new Promise<number | null>(() => {}),
    write(bytes: Uint8Array): Promise<number> {
      written++;
      return Promise.resolve(bytes.length);
    },
    closeWrite: () => Promise.resolve(),
    close() {},
  };
  const transport = new DenoTransport(conn, "accepted");
  transport.handler = quietHandler(() => {});
  const run = async (writes: number) => {
    for (let i = 0; i < writes; i++) {
      transport.write(RESPONSE);
      // The write loop's turns: the op's promise and the async flush.
      await undefined;
      await undefined;
    }
  };
  const costs = await rounds(run);
  if (written === 0) throw new Error("nothing was written");
  transport.close();
  return costs;
}

async function rounds(run: (count: number) => Promise<void>): Promise<number[]> {
  await run(PER_ROUND); // warm-up
  const costs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await run(PER_ROUND);
    costs.push(((performance.now() - start) * 1000) / PER_ROUND);
  }
  return costs.sort((a, b) => a - b);
}

const format = (costs: number[]) =>
  `min ${costs[0].toFixed(3)} µs, median ${costs[costs.length >> 1].toFixed(3)} µs`;

console.log(`DenoTransport read loop, per 78-byte read: ${format(await measureReads())}`);
console.log(`DenoTransport write path, per 150-byte write: ${format(await measureWrites())}`);
