/**
 * Anchor for body throughput: node:http doing what `keepwire echo` does on
 * `/bytes?n=N` (N bytes of "x", length-framed, streamed in 64 KiB pieces with
 * backpressure) and `/echo` (the body streamed and counted, its first MiB
 * shown in the same JSON).
 *
 * @module
 */

import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { announce, BENCH_HOST, BENCH_KEEP_ALIVE_MS, benchPort } from "./_common.ts";

const PIECE = new Uint8Array(64 * 1024).fill(0x78);
/** Body bytes `/echo` shows, as keepwire's echo handler (lib/handlers/echo.ts). */
const ECHO_BODY_LIMIT = 1024 * 1024;

function sendBytes(res: ServerResponse, total: number): void {
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": String(total),
  });
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const size = Math.min(left, PIECE.byteLength);
      left -= size;
      const more = res.write(size === PIECE.byteLength ? PIECE : PIECE.subarray(0, size));
      if (!more) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/bytes") {
    sendBytes(res, Number(url.searchParams.get("n") ?? "0"));
    return;
  }
  if (url.pathname === "/echo") {
    // As keepwire's /echo: count the whole body, keep and show only its first MiB.
    const kept: Uint8Array[] = [];
    let bodyLength = 0;
    req.on("data", (piece: Uint8Array) => {
      const room = ECHO_BODY_LIMIT - bodyLength;
      if (room > 0) kept.push(piece.byteLength <= room ? piece : piece.subarray(0, room));
      bodyLength += piece.byteLength;
    });
    req.on("end", () => {
      const json = JSON.stringify({
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        headers: req.headers,
        body: Buffer.concat(kept).toString("utf8"),
        bodyLength,
        ...(bodyLength > ECHO_BODY_LIMIT ? { bodyTruncated: true } : {}),
      });
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(json)),
      });
      res.end(json);
    });
    return;
  }
  res.writeHead(404);
  res.end("Not Found\n");
});
server.keepAliveTimeout = BENCH_KEEP_ALIVE_MS;
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
