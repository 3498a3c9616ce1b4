/**
 * Throughput of the request parser on a realistic corpus.
 *
 *   deno run -A scripts/bench_codec.ts
 *   bun scripts/bench_codec.ts
 *
 * One parser per simulated connection, reused across requests as a server
 * does; each case runs for about 1.5 s after a warm-up and prints MB/s and
 * requests/s.
 *
 * @module
 */

import { RequestParser } from "../lib/codec/request_parser.ts";

const encoder = new TextEncoder();

const browserGet = "GET /assets/app.js?v=3 HTTP/1.1\r\n" +
  "Host: www.example.com\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
  "Accept: */*\r\n" +
  "Accept-Language: en-US,en;q=0.5\r\n" +
  "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
  "Referer: https://www.example.com/\r\n" +
  "Connection: keep-alive\r\n" +
  "Sec-Fetch-Dest: script\r\n" +
  "\r\n";

const manyHeaders = "GET /api/items HTTP/1.1\r\nHost: api.example.com\r\n" +
  Array.from({ length: 49 }, (_, i) => `X-Custom-Header-${i}: value-${i}-abcdefghijklmnop\r\n`)
    .join("") +
  "\r\n";

const body = "x".repeat(1024);
const post =
  "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/octet-stream\r\n" +
  `Content-Length: ${body.length}\r\n\r\n` + body;

const pipelined = "GET /p HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n".repeat(16);

interface Case {
  name: string;
  input: Uint8Array;
  requests: number;
}

const cases: Case[] = [
  { name: `browser GET (${browserGet.length} B)`, input: encoder.encode(browserGet), requests: 1 },
  {
    name: `50-header GET (${manyHeaders.length} B)`,
    input: encoder.encode(manyHeaders),
    requests: 1,
  },
  { name: `POST with 1 KiB body (${post.length} B)`, input: encoder.encode(post), requests: 1 },
  {
    name: `16 pipelined GETs (${pipelined.length} B)`,
    input: encoder.encode(pipelined),
    requests: 16,
  },
];

let sink = 0;

function parseOnce(parser: RequestParser, input: Uint8Array): void {
  parser.push(input);
  for (let event = parser.next(); event !== null; event = parser.next()) {
    sink += event.type === "data"
      ? event.bytes.length
      : event.type === "head"
      ? event.headers.length
      : 1;
  }
}

function run(entry: Case, seconds: number): { mbps: number; rps: number } {
  const parser = new RequestParser();
  let rounds = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  let now = started;
  while (now < until) {
    for (let i = 0; i < 1000; i++) parseOnce(parser, entry.input);
    rounds += 1000;
    now = performance.now();
  }
  const elapsed = (now - started) / 1000;
  return {
    mbps: (rounds * entry.input.length) / elapsed / 1e6,
    rps: (rounds * entry.requests) / elapsed,
  };
}

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(`keepwire request parser, ${runtime}`);
for (const entry of cases) {
  run(entry, 0.3);
  const { mbps, rps } = run(entry, 1.5);
  console.log(
    `${entry.name.padEnd(36)} ${mbps.toFixed(0).padStart(6)} MB/s ${
      (rps / 1e6).toFixed(2).padStart(7)
    } M req/s`,
  );
}
if (sink === 42) console.log("");
