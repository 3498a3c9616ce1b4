/**
 * The upstream of `npm run bench:proxy-stale` (scripts/stale_compare.ts):
 * node:http, as an app server behind a proxy is, answering hello world,
 * counting the connections it accepts and the POSTs it sees per path, so
 * the comparison can report upstream connections opened and catch a POST
 * sent twice. (`bench:proxy` and `bench:proxy-cpu` use the cheaper
 * `proxy_upstream_net.ts`, so that the proxy is what they measure.)
 * `argv[3]` is its keep-alive timeout in ms: it sends
 * `Keep-Alive: timeout=⌊ms/1000⌋` and closes a connection idle that long. It keeps that timer itself: node:http's own closes 1 s after the
 * timeout it advertises (measured on Node 20.20 and 24: the FIN came 3.0 s
 * after a response saying `timeout=2`), and the stale scenario needs an
 * upstream that closes when it says, as many app servers do.
 *
 *   GET /__stats → {"connections": N, "posts": N, "duplicatePosts": N}
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import process from "node:process";
import { announce, BENCH_HOST, benchPort, HELLO_BODY } from "./_common.ts";

const HELLO_LENGTH = String(Buffer.byteLength(HELLO_BODY));
let connections = 0;
const posts = new Map<string, number>();
const idleMs = Number(process.argv[3] ?? 5_000);
const idleTimers = new WeakMap<Socket, ReturnType<typeof setTimeout>>();

const server = createServer((req, res) => {
  if (req.url === "/__stats") {
    let duplicatePosts = 0;
    for (const count of posts.values()) if (count > 1) duplicatePosts++;
    res.end(JSON.stringify({ connections, posts: posts.size, duplicatePosts }));
    return;
  }
  const socket = req.socket;
  clearTimeout(idleTimers.get(socket));
  res.on("finish", () => idleTimers.set(socket, setTimeout(() => socket.destroy(), idleMs)));
  if (req.method === "POST") posts.set(req.url ?? "", (posts.get(req.url ?? "") ?? 0) + 1);
  req.resume();
  req.on("end", () => {
    res.writeHead(200, {
      "content-type": "text/plain;charset=UTF-8",
      "content-length": HELLO_LENGTH,
      "keep-alive": `timeout=${Math.floor(idleMs / 1000)}`,
    });
    res.end(HELLO_BODY);
  });
});
server.on("connection", () => connections++);
// Idle connections are closed by the timers above, not by node:http.
server.keepAliveTimeout = 0;
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
