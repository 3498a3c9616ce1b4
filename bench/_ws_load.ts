/**
 * The load client of `npm run bench:ws`: WebSocket echo traffic from raw
 * frames over node:net (run under Bun, pinned to its own core by the
 * benchmark), cheap enough that the server, not the client, is measured.
 *
 *   bun bench/_ws_load.ts PORT [--connections 50] [--window 1] [--size 16]
 *       [--warmup 1] [--seconds 5] [--max-messages 50000000]
 *
 * Every connection does the opening handshake by hand, then keeps `window`
 * small binary messages in flight: one masked frame, built once, is sent
 * again for every echo that comes back. The server's frames all have the
 * same size (2 header bytes + payload, unmasked), so echoes are counted by
 * bytes without parsing; the first echo's header is checked. Prints one
 * JSON line: messages echoed in the measured window, seconds, messages per
 * second and the client's own CPU time (so a run can show the client was
 * not the bottleneck). Bounded by `--seconds` and `--max-messages`.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { Buffer } from "node:buffer";
import process from "node:process";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`--${name} must be a number`);
  return value;
}

const port = Number(process.argv[2]);
const connections = option("connections", 50);
const window = option("window", 1);
const size = option("size", 16);
const warmupSeconds = option("warmup", 1);
const seconds = option("seconds", 5);
const maxMessages = option("max-messages", 50_000_000);
if (size > 125) throw new RangeError("--size must fit a 7-bit length (at most 125)");

/** One masked binary frame (RFC 6455 §5.2, §5.3), sent as is for every message. */
const MASK = [0x12, 0x34, 0x56, 0x78];
const frame = Buffer.alloc(6 + size);
frame[0] = 0x82;
frame[1] = 0x80 | size;
frame.set(MASK, 2);
for (let i = 0; i < size; i++) frame[6 + i] = (i & 0x7f) ^ MASK[i & 3];
const batch = Buffer.concat(Array.from({ length: window }, () => frame));
const ECHO_SIZE = 2 + size;

let counting = false;
let sending = true;
let counted = 0;
let errors = 0;

function handshake(socket: Socket): Promise<Buffer> {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      const status = head.subarray(0, 12).toString("latin1");
      if (status !== "HTTP/1.1 101") reject(new Error(`handshake answered ${status}`));
      else resolve(head.subarray(end + 4));
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

async function open(): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const early = await handshake(socket);
  let pending = 0;
  let checked = false;
  const onData = (chunk: Buffer) => {
    if (!checked && chunk.length >= 2) {
      checked = true;
      if (chunk[0] !== 0x82 || chunk[1] !== size) {
        errors++;
        console.error(`unexpected echo header ${chunk[0]} ${chunk[1]}`);
      }
    }
    pending += chunk.length;
    const echoes = Math.floor(pending / ECHO_SIZE);
    if (echoes === 0) return;
    pending -= echoes * ECHO_SIZE;
    if (counting) counted += echoes;
    if (sending) socket.write(batch.subarray(0, echoes * frame.length));
  };
  socket.on("data", onData);
  socket.on("error", () => errors++);
  socket.on("close", () => {
    if (sending) errors++;
  });
  if (early.length > 0) onData(early);
  return socket;
}

const sockets = await Promise.all(Array.from({ length: connections }, open));
for (const socket of sockets) socket.write(batch);
await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
const cpuBefore = process.cpuUsage();
const started = performance.now();
counting = true;
await new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, seconds * 1000);
  const poll = setInterval(() => {
    if (counted >= maxMessages) {
      clearTimeout(timer);
      resolve();
    }
  }, 50);
  timer.unref?.();
  setTimeout(() => clearInterval(poll), seconds * 1000 + 10);
});
counting = false;
sending = false;
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
for (const socket of sockets) socket.destroy();
console.log(JSON.stringify({
  messages: counted,
  seconds: elapsed,
  messagesPerSecond: counted / elapsed,
  clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  errors,
}));
process.exit(0);
