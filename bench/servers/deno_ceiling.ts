/**
 * Ceiling on Deno: Deno.listen with a `conn.read`/`conn.write` loop (not the
 * WHATWG socket streams, which cost 3× here), answering every blank line
 * seen with a canned response, one write per read.
 *
 * @module
 */

import { BlankLineCounter, cannedResponses } from "./_ceiling.ts";
import { announce, BENCH_HOST, benchPort } from "./_common.ts";

interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}
declare const Deno: {
  listen(options: { port: number; hostname: string }): AsyncIterable<DenoConn> & {
    addr: { port: number };
  };
};

/** Read size: small, as a server that keeps thousands of idle sockets would choose. */
const READ_SIZE = 4096;

async function answer(conn: DenoConn): Promise<void> {
  const counter = new BlankLineCounter();
  const buffer = new Uint8Array(READ_SIZE);
  try {
    for (;;) {
      const read = await conn.read(buffer);
      if (read === null) break;
      const count = counter.push(buffer.subarray(0, read));
      let pending = cannedResponses(count);
      while (pending.byteLength > 0) pending = pending.subarray(await conn.write(pending));
    }
  } catch {
    // A reset peer ends this connection only.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

const listener = Deno.listen({ port: benchPort(), hostname: BENCH_HOST });
announce(listener.addr.port);
for await (const conn of listener) answer(conn);
