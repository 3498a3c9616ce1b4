/**
 * Idle-connection memory: how much resident memory a server spends per
 * keep-alive connection that carried one request and now sits idle.
 *
 * Procedure (bounded in count and time): a warm-up load, then 200 short
 * connections with one request each, a pause, VmRSS read; then `count`
 * connections opened in batches, each sending one request and reading its
 * response, left open; a pause; VmRSS read again. The delta over the count
 * is the figure. The sockets are checked to be still open when it is read.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { memoryKiB, sleep } from "./_process.ts";

const REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
/** Connections opened at once: enough to be quick, few enough not to overflow the accept backlog. */
const BATCH = 100;
/** Time allowed for one connection to connect and get its response. */
const CONNECTION_TIMEOUT_MS = 15_000;

/** Opens a connection, sends one request, resolves with the socket once the response has come. */
function oneRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${CONNECTION_TIMEOUT_MS} ms`));
    }, CONNECTION_TIMEOUT_MS);
    socket.on("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.on("connect", () => socket.write(REQUEST));
    socket.on("data", (chunk) => {
      received += String(chunk);
      // A length-framed body ends with the text; a chunked one with its last chunk.
      if (received.endsWith("Hello, World!") || received.endsWith("\r\n0\r\n\r\n")) {
        clearTimeout(timer);
        socket.removeAllListeners("data");
        resolve(socket);
      }
    });
  });
}

/** Opens `count` one-request connections, `BATCH` at a time. */
async function openConnections(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let opened = 0; opened < count; opened += BATCH) {
      const batch = Math.min(BATCH, count - opened);
      sockets.push(...await Promise.all(Array.from({ length: batch }, () => oneRequest(port))));
    }
  } catch (error) {
    for (const socket of sockets) socket.destroy();
    throw error;
  }
  return sockets;
}

/** One server's idle-memory figures. */
export interface IdleResult {
  connections: number;
  /** Connections still open when memory was read. */
  stillOpen: number;
  baselineKiB: number;
  loadedKiB: number;
  /** (loaded − baseline) / connections, in KiB. */
  perConnectionKiB: number;
}

/**
 * Measures `pid`'s RSS growth for `count` idle connections to `port`.
 * `warmUp` runs the load generator against the server first.
 */
export async function measureIdle(
  pid: number,
  port: number,
  count: number,
  warmUp: () => Promise<unknown>,
): Promise<IdleResult> {
  await warmUp();
  for (const socket of await openConnections(port, 200)) socket.destroy();
  await sleep(1_000);
  const baselineKiB = await memoryKiB(pid, "VmRSS");
  const sockets = await openConnections(port, count);
  try {
    await sleep(2_000);
    const loadedKiB = await memoryKiB(pid, "VmRSS");
    const stillOpen = sockets.filter((socket) => !socket.destroyed && !socket.readableEnded).length;
    return {
      connections: count,
      stillOpen,
      baselineKiB,
      loadedKiB,
      perConnectionKiB: (loadedKiB - baselineKiB) / count,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
