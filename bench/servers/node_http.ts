/**
 * Anchor: node:http with a plain `(req, res)` handler, headers matching what
 * a Fetch `new Response("Hello, World!")` sends.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { announce, BENCH_HOST, BENCH_KEEP_ALIVE_MS, benchPort, HELLO_BODY } from "./_common.ts";

const HELLO_LENGTH = String(Buffer.byteLength(HELLO_BODY));

const server = createServer((_req, res) => {
  // An explicit length, as a Fetch Response of a string gets: without it
  // writeHead() + end() would frame the body chunked, slower and unlike the others.
  res.writeHead(200, {
    "content-type": "text/plain;charset=UTF-8",
    "content-length": HELLO_LENGTH,
  });
  res.end(HELLO_BODY);
});
server.keepAliveTimeout = BENCH_KEEP_ALIVE_MS;
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
