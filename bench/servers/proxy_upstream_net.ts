/**
 * The upstream of `npm run bench:proxy` and `bench:proxy-cpu`: a minimal
 * HTTP/1.1 responder on node:net answering hello world, so that the proxy,
 * not the upstream, is what the load measures.
 *
 * Why not node:http (`proxy_upstream.ts`): it costs ~24 µs of CPU per
 * request, and it shares CPU 1 with the load generator, so every proxy that
 * needs less than that per request (nginx, keepwire on Deno) was measured
 * at the upstream's rate, not its own (both ~14–15k req/s in the first
 * run). This one reads the head only as far as framing needs (request line,
 * `Content-Length`, `Transfer-Encoding: chunked`, `Connection`), skips the
 * body, and answers every request a read completed with one write, the
 * shape of the ceiling servers (`node_ceiling.ts`, ~115k req/s on a core).
 * A native server would be cheaper still, but none counts connections and
 * POSTs per path as the report needs. What the bench needs is kept from
 * the node:http upstream:
 *
 * - `Keep-Alive: timeout=⌊ms/1000⌋` on every response (`argv[3]`, default
 *   5000 ms), and a connection idle that long is closed (`socket.setTimeout`:
 *   no timer per request);
 * - `Connection: close` and HTTP/1.0 without `keep-alive` are honoured;
 * - connections accepted and POSTs per path are counted:
 *
 *   GET /__stats → {"connections": N, "posts": N, "duplicatePosts": N}
 *
 * It is a benchmark fixture on loopback, not a server: a malformed request
 * closes the connection.
 *
 * @module
 */

import { type AddressInfo, createServer, type Socket } from "node:net";
import process from "node:process";
import { Buffer } from "node:buffer";
import { announce, BENCH_HOST, benchPort, HELLO_BODY } from "./_common.ts";

const idleMs = Number(process.argv[3] ?? 5_000);
const KEEP_ALIVE = `Keep-Alive: timeout=${Math.floor(idleMs / 1000)}\r\n`;
const HELLO = Buffer.from(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\n" +
    `Content-Length: ${Buffer.byteLength(HELLO_BODY)}\r\n${KEEP_ALIVE}\r\n${HELLO_BODY}`,
  "latin1",
);
const HELLO_CLOSE = Buffer.from(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\n" +
    `Content-Length: ${Buffer.byteLength(HELLO_BODY)}\r\nConnection: close\r\n\r\n${HELLO_BODY}`,
  "latin1",
);
const HELLO_HEAD = HELLO.subarray(0, HELLO.length - Buffer.byteLength(HELLO_BODY));
const HELLO_HEAD_CLOSE = HELLO_CLOSE.subarray(
  0,
  HELLO_CLOSE.length - Buffer.byteLength(HELLO_BODY),
);
const EMPTY = Buffer.alloc(0);
/** A head bigger than this closes the connection (node:http's limit is 16 KiB too). */
const MAX_HEAD = 16 * 1024;

let connections = 0;
const posts = new Map<string, number>();

function statsResponse(close: boolean): Buffer {
  let duplicatePosts = 0;
  for (const count of posts.values()) if (count > 1) duplicatePosts++;
  const body = JSON.stringify({ connections, posts: posts.size, duplicatePosts });
  return Buffer.from(
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (close ? "Connection: close\r\n" : KEEP_ALIVE) + `\r\n${body}`,
  );
}

const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
const CONNECTION_CLOSE = /\r\nconnection:[^\r]*\bclose\b/i;
const CONNECTION_KEEP_ALIVE = /\r\nconnection:[^\r]*\bkeep-alive\b/i;

/** One connection's reading state: the head, then a body by length or chunks. */
class Responder {
  #socket: Socket;
  #buffer: Buffer = EMPTY;
  /** Body bytes still to skip (length framing, or the current chunk's data and CRLF). */
  #skip = 0;
  #chunked = false;
  /** The response owed once the body has been skipped. */
  #pending: Buffer | null = null;
  #closeAfter = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  push(chunk: Buffer): void {
    const buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      if (this.#skip > 0) {
        const taken = Math.min(this.#skip, buffer.length - at);
        this.#skip -= taken;
        at += taken;
        if (this.#skip > 0) break;
      }
      if (this.#chunked) {
        // A chunk-size line (extensions ignored); 0 starts the trailer section.
        const lineEnd = buffer.indexOf("\r\n", at, "latin1");
        if (lineEnd === -1) break;
        const size = parseInt(buffer.toString("latin1", at, lineEnd), 16);
        if (Number.isNaN(size)) return this.#fail();
        if (size > 0) {
          at = lineEnd + 2;
          this.#skip = size + 2;
          continue;
        }
        const trailerEnd = buffer.indexOf("\r\n\r\n", lineEnd, "latin1");
        if (trailerEnd === -1) break;
        at = trailerEnd + 4;
        this.#chunked = false;
      }
      if (this.#pending !== null) {
        out.push(this.#pending);
        this.#pending = null;
        if (this.#closeAfter) break;
        continue;
      }
      const headEnd = buffer.indexOf("\r\n\r\n", at, "latin1");
      if (headEnd === -1) {
        if (buffer.length - at > MAX_HEAD) return this.#fail();
        break;
      }
      const head = buffer.toString("latin1", at, headEnd + 2);
      at = headEnd + 4;
      const firstSpace = head.indexOf(" ");
      const secondSpace = head.indexOf(" ", firstSpace + 1);
      if (firstSpace <= 0 || secondSpace === -1) return this.#fail();
      const method = head.slice(0, firstSpace);
      const target = head.slice(firstSpace + 1, secondSpace);
      const http10 = head.startsWith("HTTP/1.0", secondSpace + 1);
      this.#closeAfter = http10 ? !CONNECTION_KEEP_ALIVE.test(head) : CONNECTION_CLOSE.test(head);
      if (method !== "GET" && method !== "HEAD") {
        if (CHUNKED.test(head)) this.#chunked = true;
        else this.#skip = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
        if (method === "POST") posts.set(target, (posts.get(target) ?? 0) + 1);
      }
      this.#pending = target === "/__stats"
        ? statsResponse(this.#closeAfter)
        : method === "HEAD"
        ? (this.#closeAfter ? HELLO_HEAD_CLOSE : HELLO_HEAD)
        : this.#closeAfter
        ? HELLO_CLOSE
        : HELLO;
    }
    this.#buffer = at >= buffer.length ? EMPTY : buffer.subarray(at);
    if (out.length > 0) {
      this.#socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
      if (this.#closeAfter && this.#pending === null) this.#socket.end();
    }
  }

  #fail(): void {
    this.#socket.destroy();
  }
}

const server = createServer((socket) => {
  connections++;
  socket.setNoDelay(true);
  // Idle since the last byte either way (the last response, once answered).
  socket.setTimeout(idleMs, () => socket.destroy());
  const responder = new Responder(socket);
  socket.on("data", (chunk: Buffer) => responder.push(chunk));
  socket.on("error", () => socket.destroy());
});
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
