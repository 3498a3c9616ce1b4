/**
 * Ceiling on Bun: Bun.listen socket callbacks answering every blank line
 * seen with a canned response, one write per read.
 *
 * @module
 */

import { BlankLineCounter, cannedResponses } from "./_ceiling.ts";
import { announce, BENCH_HOST, benchPort } from "./_common.ts";

interface BunSocket {
  data: { counter: BlankLineCounter; unsent: Uint8Array | undefined };
  write(bytes: Uint8Array): number;
}
declare const Bun: {
  listen(options: {
    port: number;
    hostname: string;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, bytes: Uint8Array): void;
      drain(socket: BunSocket): void;
    };
  }): { port: number };
};

/** Bun's write may take part of the bytes; the rest waits for `drain`, in order. */
function send(socket: BunSocket, bytes: Uint8Array): void {
  const queued = socket.data.unsent;
  if (queued !== undefined) {
    const joined = new Uint8Array(queued.byteLength + bytes.byteLength);
    joined.set(queued);
    joined.set(bytes, queued.byteLength);
    socket.data.unsent = joined;
    return;
  }
  const written = socket.write(bytes);
  if (written < bytes.byteLength) socket.data.unsent = bytes.subarray(Math.max(0, written));
}

const listener = Bun.listen({
  port: benchPort(),
  hostname: BENCH_HOST,
  socket: {
    open(socket) {
      socket.data = { counter: new BlankLineCounter(), unsent: undefined };
    },
    data(socket, bytes) {
      const count = socket.data.counter.push(bytes);
      if (count > 0) send(socket, cannedResponses(count));
    },
    drain(socket) {
      const unsent = socket.data.unsent;
      socket.data.unsent = undefined;
      if (unsent !== undefined) send(socket, unsent);
    },
  },
});
announce(listener.port);
