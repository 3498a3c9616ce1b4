/**
 * A raw WebSocket client over node:net for tests (node:net runs on Deno,
 * Bun and Node alike): it does the handshake by hand and gives back the
 * connection's byte streams, those already read past the 101's head first,
 * so a test can send any bytes at all — fragments, bad frames, one byte
 * per write — to keepwire's server.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { Buffer } from "node:buffer";
import type { ByteDuplex } from "../../lib/websocket/websocket.ts";
import { computeAcceptKey } from "../../lib/codec/websocket/handshake.ts";

/** A socket's byte streams; `head` (bytes read past the handshake) comes first. */
export function socketDuplex(socket: Socket, head: Uint8Array): ByteDuplex {
  let done = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
      socket.on("data", (chunk: Buffer) => {
        if (!done) {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length).slice());
        }
      });
      const finish = () => {
        if (done) return;
        done = true;
        controller.close();
      };
      socket.on("end", finish);
      socket.on("close", finish);
      socket.on("error", () => finish());
    },
    cancel() {
      // Stop reading, but let queued writes (the Close) finish: the
      // socket goes when the writable closes, or after a grace period.
      done = true;
      setTimeout(() => socket.destroy(), 1000).unref?.();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        socket.write(chunk, (error) => error ? reject(error) : resolve());
      }),
    close: () => new Promise<void>((resolve) => socket.end(() => resolve())),
    abort: () => void socket.destroy(),
  });
  return { readable, writable };
}

/** Reads a socket until the end of an HTTP head; resolves with the head and the bytes after it. */
export function readHead(socket: Socket): Promise<{ head: string; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      socket.pause();
      resolve({
        head: buffered.subarray(0, end).toString("latin1"),
        rest: new Uint8Array(buffered.subarray(end + 4)),
      });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("end", () => reject(new Error("the connection ended inside a head")));
  });
}

/**
 * Opens a TCP connection, sends a WebSocket handshake (with `extra` fields),
 * checks the 101 and its accept key, and returns the connection's streams
 * (plus the 101's head). Throws with the status line on anything but 101.
 */
export async function rawConnect(
  port: number,
  extra = "",
  path = "/ws",
): Promise<{ duplex: ByteDuplex; head: string; socket: Socket }> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  const { head, rest } = await readHead(socket);
  if (!head.startsWith("HTTP/1.1 101 ")) throw new Error(head.split("\r\n")[0]);
  if (!head.includes(`Sec-WebSocket-Accept: ${computeAcceptKey(key)}`)) {
    throw new Error("wrong accept key");
  }
  const duplex = socketDuplex(socket, rest);
  socket.resume();
  return { duplex, head, socket };
}
