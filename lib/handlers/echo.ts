/**
 * The diagnostic `echo` server: fixed routes that tests, benchmarks and
 * people point HTTP clients at to watch framing and keep-alive behave.
 *
 * The routes are a contract (issue 3): `/`, `/echo`, `/bytes?n=N`,
 * `/stream?chunks=C&size=S&delay=MS`, `/sleep?ms=N`, `/stats`, and `/ws`: a
 * WebSocket (issue 16) that sends back every message it receives.
 *
 * @module
 */

import type { Handler, ServeInfo } from "../connection/options.ts";
import type { ServerViewGetter } from "./server_view.ts";
import { originForm, splitTarget } from "./target.ts";
import { upgradeWebSocket } from "../websocket/upgrade.ts";
import { WebSocketHandshakeError } from "../codec/websocket/errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encoded once: `/` is the hello-world benchmark route, so it allocates nothing it can share. */
const HELLO = encoder.encode("Hello, World!");
const HELLO_LENGTH = String(HELLO.byteLength);

/** Largest `/bytes` body built in memory; above it the body is streamed (with Content-Length set). */
const BYTES_IN_MEMORY_LIMIT = 16 * 1024 * 1024;
/** Piece size of streamed `/bytes` bodies: the size runtimes read and write sockets in. */
const STREAM_PIECE = 64 * 1024;
/** Largest `/bytes?n=`: 2 GiB, enough for any test, small enough to stay a safe integer with room. */
const MAX_BYTES = 2 ** 31;
/** Limits of `/stream` and `/sleep`, so one request cannot pin the server for hours. */
const MAX_STREAM_CHUNKS = 1_000_000;
const MAX_STREAM_CHUNK_SIZE = 16 * 1024 * 1024;
const MAX_DELAY_MS = 600_000;

/** The filler byte of `/bytes` and `/stream` bodies: `x`, readable in a terminal. */
const FILL = 0x78;

let sharedPiece: Uint8Array | undefined;
/** One 64 KiB piece shared by every streamed body: enqueued, never written to after creation. */
function filledPiece(): Uint8Array {
  sharedPiece ??= new Uint8Array(STREAM_PIECE).fill(FILL);
  return sharedPiece;
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function json(value: unknown): Response {
  const bytes = encoder.encode(JSON.stringify(value));
  return new Response(bytes, {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(bytes.byteLength),
    },
  });
}

/** `/ws`: a WebSocket that echoes every message; a request that is no handshake gets its 400/426. */
function webSocketEcho(request: Request): Response {
  try {
    const { socket, response } = upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  } catch (error) {
    if (!(error instanceof WebSocketHandshakeError)) throw error;
    const headers = new Headers(error.headers.map(([name, value]) => [name, value]));
    headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(`${error.message}\n`, { status: error.status, headers });
  }
}

/**
 * A query parameter as a non-negative integer no larger than `max`;
 * `fallback` when absent, `undefined` when malformed.
 */
function integerParam(
  params: URLSearchParams,
  name: string,
  fallback: number | undefined,
  max: number,
): number | undefined {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (raw.length === 0 || raw.length > 10) return undefined;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const value = Number(raw);
  return value <= max ? value : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Body bytes `/echo` shows; the rest is counted, not kept, so an upload of
 * any size streams through in flat memory (`bodyTruncated` then says so).
 */
const ECHO_BODY_LIMIT = 1024 * 1024;

async function echo(request: Request, info: ServeInfo): Promise<Response> {
  let bodyLength = 0;
  const kept: Uint8Array[] = [];
  if (request.body !== null) {
    for await (const chunk of request.body) {
      const room = ECHO_BODY_LIMIT - bodyLength;
      if (room > 0) kept.push(chunk.byteLength <= room ? chunk : chunk.subarray(0, room));
      bodyLength += chunk.byteLength;
    }
  }
  const shown = new Uint8Array(Math.min(bodyLength, ECHO_BODY_LIMIT));
  let at = 0;
  for (const piece of kept) {
    shown.set(piece, at);
    at += piece.byteLength;
  }
  const body = decoder.decode(shown);
  return json({
    method: request.method,
    url: originForm(request.url),
    httpVersion: info.httpVersion,
    headers: Object.fromEntries(request.headers),
    body,
    bodyLength,
    ...(bodyLength > ECHO_BODY_LIMIT ? { bodyTruncated: true } : {}),
    connectionId: info.connection.id,
    requestIndex: info.connection.requestIndex,
  });
}

function bytes(query: string): Response {
  const n = integerParam(new URLSearchParams(query), "n", undefined, MAX_BYTES);
  if (n === undefined) return text(400, `n must be an integer from 0 to ${MAX_BYTES}\n`);
  const headers = {
    "content-type": "application/octet-stream",
    "content-length": String(n),
  };
  if (n <= BYTES_IN_MEMORY_LIMIT) {
    return new Response(new Uint8Array(n).fill(FILL), { headers });
  }
  // A stream has no length of its own; the explicit Content-Length keeps the
  // response length-framed (RFC 9112 §6.3) so the connection can persist.
  let left = n;
  const piece = filledPiece();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = left < STREAM_PIECE ? left : STREAM_PIECE;
      controller.enqueue(size === STREAM_PIECE ? piece : piece.subarray(0, size));
      left -= size;
      if (left === 0) controller.close();
    },
  }, { highWaterMark: 1 });
  return new Response(stream, { headers });
}

function stream(query: string): Response {
  const params = new URLSearchParams(query);
  const chunks = integerParam(params, "chunks", 10, MAX_STREAM_CHUNKS);
  const size = integerParam(params, "size", 1024, MAX_STREAM_CHUNK_SIZE);
  const delay = integerParam(params, "delay", 0, MAX_DELAY_MS);
  if (chunks === undefined || size === undefined || delay === undefined) {
    return text(
      400,
      `chunks (0-${MAX_STREAM_CHUNKS}), size (0-${MAX_STREAM_CHUNK_SIZE}) and delay (0-${MAX_DELAY_MS} ms) must be integers\n`,
    );
  }
  const chunk = size <= STREAM_PIECE
    ? filledPiece().subarray(0, size)
    : new Uint8Array(size).fill(FILL);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (delay === 0) {
        // Everything is available at once, so a small total fits the server's
        // look-ahead buffer and goes out with Content-Length (issue 3).
        for (; sent < chunks; sent++) controller.enqueue(chunk);
        controller.close();
        return;
      }
      if (sent > 0) await sleep(delay);
      if (sent < chunks) {
        controller.enqueue(chunk);
        sent++;
      }
      if (sent === chunks) controller.close();
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
}

async function sleepRoute(query: string): Promise<Response> {
  const ms = integerParam(new URLSearchParams(query), "ms", undefined, MAX_DELAY_MS);
  if (ms === undefined) return text(400, `ms must be an integer from 0 to ${MAX_DELAY_MS}\n`);
  await sleep(ms);
  return text(200, `slept ${ms}`);
}

/** This process's id: with `--workers`, tells which worker answered. */
function processId(): number | null {
  const global = globalThis as { process?: { pid?: number }; Deno?: { pid?: number } };
  return global.process?.pid ?? global.Deno?.pid ?? null;
}

function stats(getServer: ServerViewGetter): Response {
  const server = getServer();
  if (server === undefined) return text(503, "server not started\n");
  return json({ ...server.stats, pid: processId(), connections: server.connections() });
}

/**
 * Builds the `echo` command's handler.
 *
 * - `/` → `Hello, World!` (text/plain, known length)
 * - `/echo` (any method) → JSON `{ method, url, httpVersion, headers, body, bodyLength, connectionId, requestIndex }`;
 *   the body is streamed and counted, `body` shows its first MiB (`bodyTruncated: true` when longer)
 * - `/bytes?n=N` → N bytes, known length (streamed above 16 MiB)
 * - `/stream?chunks=C&size=S&delay=MS` → C chunks of S bytes, unknown length
 * - `/sleep?ms=N` → `slept N` after N ms
 * - `/stats` → the server's stats and open connections as JSON
 * - anything else → 404
 *
 * @example
 * ```ts
 * import { createEchoHandler } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const handler = createEchoHandler(() => undefined);
 * const info = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   httpVersion: "1.1",
 *   connection: { id: 1, requestIndex: 1 },
 *   completed: Promise.resolve(),
 * } as const;
 * const response = await handler(new Request("http://localhost/"), info);
 * assert.equal(await response.text(), "Hello, World!");
 * ```
 *
 * @param getServer returns the running server for `/stats` (`undefined` before it runs)
 * @returns the handler
 */
export function createEchoHandler(getServer: ServerViewGetter): Handler {
  return (request, info) => {
    const { path, query } = splitTarget(request.url);
    switch (path) {
      case "/":
        return new Response(HELLO, {
          headers: { "content-type": "text/plain; charset=utf-8", "content-length": HELLO_LENGTH },
        });
      case "/echo":
        return echo(request, info);
      case "/bytes":
        return bytes(query);
      case "/stream":
        return stream(query);
      case "/sleep":
        return sleepRoute(query);
      case "/stats":
        return stats(getServer);
      case "/ws":
        return webSocketEcho(request);
      default:
        return text(404, "Not Found\n");
    }
  };
}
