/**
 * Streaming through a proxy in flat memory (issue 17): a large upload and
 * a large download through a proxy process to an upstream, with the proxy
 * process's resident memory sampled from `/proc/PID/status` throughout.
 * Used by `scripts/proxy_memory.ts` (1 GiB, figures) and by
 * `tests/handlers/proxy_memory_test.ts` (128 MiB, a bound).
 *
 * Back-pressure is what keeps memory flat, so each transfer has a slow
 * side that stops for a while in the middle: the downloading client stops
 * reading, the upload's upstream stops reading. A proxy that reads on
 * while its other side does not would buffer everything that arrives
 * during the stall — at loopback speed, all the rest of the body — and the
 * peak would show it.
 *
 * The upstream (node:http) and the client (node:net, raw bytes) run in
 * this process; only the proxy's memory is measured.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { createServer, type Server as NodeServer } from "node:http";
import { connect, type Socket } from "node:net";

/** A MiB, for sizes. */
export const MIB = 1024 * 1024;

const PIECE = new Uint8Array(64 * 1024).fill(0x78);
const latin1 = new TextDecoder("latin1");
/** RSS is read this often during a transfer. */
const SAMPLE_MS = 25;

/** The upstream of the memory runs: `GET /bytes?n=N&stall=MS` and `POST /sink?stall=MS`. */
export interface BodyUpstream {
  readonly port: number;
  close(): Promise<void>;
}

/** Resident memory of `pid`, in bytes (Linux). */
export async function residentBytes(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS") {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * Starts the upstream. `/bytes` sends N bytes as fast as its socket takes
 * them (node:http's back-pressure); `/sink` reads the body and answers its
 * length, stopping for `stall` ms once it has read a quarter of it.
 */
export async function startBodyUpstream(): Promise<BodyUpstream> {
  const server: NodeServer = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream");
    const stall = Number(url.searchParams.get("stall") ?? 0);
    if (url.pathname === "/bytes") {
      let left = Number(url.searchParams.get("n") ?? 0);
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(left),
      });
      const pump = (): void => {
        while (left > 0) {
          const size = Math.min(left, PIECE.byteLength);
          left -= size;
          if (!res.write(size === PIECE.byteLength ? PIECE : PIECE.subarray(0, size))) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (url.pathname === "/sink") {
      const expected = Number(req.headers["content-length"] ?? 0);
      let received = 0;
      let stalled = stall <= 0;
      req.on("data", (piece: Uint8Array) => {
        received += piece.byteLength;
        if (!stalled && received >= expected / 4) {
          stalled = true;
          req.pause();
          setTimeout(() => req.resume(), stall);
        }
      });
      req.on("end", () => {
        const json = JSON.stringify({ received });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(json);
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** One transfer's figures. */
export interface TransferResult {
  readonly direction: "upload" | "download";
  readonly bytes: number;
  readonly seconds: number;
  /** How long the slow side stopped reading, in ms. */
  readonly stallMs: number;
  /** The proxy's RSS just before the transfer, in bytes. */
  readonly baselineRss: number;
  /** The highest RSS sampled during the transfer (every 25 ms), in bytes. */
  readonly peakRss: number;
  /** `peakRss - baselineRss`. */
  readonly growth: number;
}

/** Reads `pid`'s RSS every few ms until stopped; resolves with the highest. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await residentBytes(pid).catch(() => 0));
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Math.max(peak, await residentBytes(pid).catch(() => 0));
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Reads a whole response to a `Connection: close` request: head text and body length. */
function readAll(
  socket: Socket,
  onBody?: (received: number) => void,
): Promise<ReadResponse> {
  return new Promise((resolve, reject) => {
    let head = "";
    let headDone = false;
    let bodyLength = 0;
    let bodyStart = "";
    socket.on("data", (chunk: Uint8Array) => {
      if (!headDone) {
        // latin1 is one character per byte, so lengths are byte counts.
        const all = head + latin1.decode(chunk);
        const end = all.indexOf("\r\n\r\n");
        if (end === -1) {
          head = all;
          return;
        }
        head = all.slice(0, end);
        headDone = true;
        bodyLength += all.length - (end + 4);
        bodyStart = all.slice(end + 4, end + 4 + 4096);
      } else {
        bodyLength += chunk.byteLength;
        if (bodyStart.length < 4096) bodyStart += latin1.decode(chunk.subarray(0, 4096));
      }
      onBody?.(bodyLength);
    });
    socket.once("error", reject);
    socket.once("close", () => resolve({ head, bodyLength, body: bodyStart }));
  });
}

/** A response read to the end: its head, body length and first 4 KiB of body. */
interface ReadResponse {
  readonly head: string;
  readonly bodyLength: number;
  readonly body: string;
}

/**
 * One transfer of `bytes` on a new connection to the proxy at `proxyPort`,
 * with the RSS of `pid` sampled throughout: `transfer` sends and reads the
 * response; a response other than 200 fails, and `verify` checks the rest.
 */
async function measureTransfer(
  direction: TransferResult["direction"],
  pid: number,
  proxyPort: number,
  bytes: number,
  stallMs: number,
  transfer: (socket: Socket) => Promise<ReadResponse>,
  verify: (response: ReadResponse) => void,
): Promise<TransferResult> {
  const baselineRss = await residentBytes(pid);
  const sampler = sampleRss(pid);
  const started = performance.now();
  const socket = await open(proxyPort);
  const response = await transfer(socket);
  const seconds = (performance.now() - started) / 1000;
  const peakRss = await sampler.stop();
  const { head } = response;
  if (!head.startsWith("HTTP/1.1 200")) throw new Error(`${direction}: ${head.split("\r\n")[0]}`);
  verify(response);
  return {
    direction,
    bytes,
    seconds,
    stallMs,
    baselineRss,
    peakRss,
    growth: peakRss - baselineRss,
  };
}

/**
 * Downloads `bytes` from the upstream through the proxy at `proxyPort`,
 * stopping to read for `stallMs` after a quarter; samples the RSS of `pid`.
 */
export function proxiedDownload(
  pid: number,
  proxyPort: number,
  bytes: number,
  stallMs: number,
): Promise<TransferResult> {
  return measureTransfer("download", pid, proxyPort, bytes, stallMs, (socket) => {
    let stalled = stallMs <= 0;
    const done = readAll(socket, (received) => {
      if (!stalled && received >= bytes / 4) {
        stalled = true;
        socket.pause();
        setTimeout(() => socket.resume(), stallMs);
      }
    });
    socket.write(`GET /bytes?n=${bytes} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n`);
    return done;
  }, ({ bodyLength }) => {
    // A chunked response carries a few framing bytes besides the payload.
    if (bodyLength < bytes) throw new Error(`download: ${bodyLength} of ${bytes} bytes`);
  });
}

/**
 * Uploads `bytes` through the proxy at `proxyPort` to the upstream, which
 * stops reading for `stallMs` after a quarter; samples the RSS of `pid`.
 * The client writes as fast as the proxy takes it (waiting for `drain`).
 */
export function proxiedUpload(
  pid: number,
  proxyPort: number,
  bytes: number,
  stallMs: number,
): Promise<TransferResult> {
  return measureTransfer("upload", pid, proxyPort, bytes, stallMs, async (socket) => {
    const done = readAll(socket);
    socket.write(
      `POST /sink?stall=${stallMs} HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
    );
    for (let left = bytes; left > 0;) {
      const size = Math.min(left, PIECE.byteLength);
      left -= size;
      if (!socket.write(size === PIECE.byteLength ? PIECE : PIECE.subarray(0, size))) {
        await new Promise<void>((resolve, reject) => {
          const onClose = () => reject(new Error("upload: the proxy closed the connection"));
          socket.once("close", onClose);
          socket.once("drain", () => {
            socket.off("close", onClose);
            resolve();
          });
        });
      }
    }
    return done;
  }, ({ body }) => {
    const received = Number(/"received":(\d+)/.exec(body)?.[1]);
    if (received !== bytes) {
      throw new Error(`upload: the upstream received ${received} of ${bytes}`);
    }
  });
}
