/**
 * Ceiling on Node: node:net sockets answering every blank line seen with a
 * canned response, one write per read.
 *
 * @module
 */

import { type AddressInfo, createServer } from "node:net";
import { BlankLineCounter, cannedResponses } from "./_ceiling.ts";
import { announce, BENCH_HOST, benchPort } from "./_common.ts";

const server = createServer((socket) => {
  const counter = new BlankLineCounter();
  socket.on("data", (chunk: Uint8Array) => {
    const count = counter.push(chunk);
    if (count > 0) socket.write(cannedResponses(count));
  });
  socket.on("error", () => socket.destroy());
});
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
