/**
 * WebSocket over real TCP for tests, before keepwire's server can upgrade
 * (part 2 of issue 16): a node:net server (node:net runs on Deno, Bun and
 * Node alike) that reads one request head, answers the handshake with
 * `negotiateWebSocket`, and hands a {@linkcode KeepwireWebSocket} the
 * socket's bytes, those already read past the head first — the same seam
 * the connection layer will use. Also a raw client that does the handshake
 * by hand and gives back the connection's byte streams.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from "node:net";
import { Buffer } from "node:buffer";
import {
  negotiateWebSocket,
  type WebSocketNegotiationOptions,
} from "../../lib/websocket/negotiate.ts";
import { KeepwireWebSocket, type KeepwireWebSocketOptions } from "../../lib/websocket/websocket.ts";
import type { ByteDuplex } from "../../lib/websocket/websocket.ts";
import { WebSocketHandshakeError } from "../../lib/codec/websocket/errors.ts";
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

/** A running WebSocket server over node:net. */
export interface TcpWebSocketServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 that answers every WebSocket handshake
 * (400/426 for invalid ones) and calls `onSocket` with each socket before
 * it is attached, so handlers can be set first.
 */
export async function startServer(
  onSocket: (socket: KeepwireWebSocket) => void,
  options: Omit<KeepwireWebSocketOptions, "protocol" | "deflate"> & WebSocketNegotiationOptions =
    {},
): Promise<TcpWebSocketServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (tcp) => {
    sockets.add(tcp);
    tcp.on("close", () => sockets.delete(tcp));
    tcp.on("error", () => {});
    try {
      const { head, rest } = await readHead(tcp);
      const [requestLine, ...lines] = head.split("\r\n");
      const [method, , version] = requestLine.split(" ");
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      }
      let negotiation;
      try {
        negotiation = negotiateWebSocket(
          { method, headers, httpVersion: version.slice(5) },
          options,
        );
      } catch (error) {
        if (!(error instanceof WebSocketHandshakeError)) throw error;
        const fields = error.headers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
        tcp.end(
          `HTTP/1.1 ${error.status} Refused\r\n${fields}Content-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        return;
      }
      const socket = new KeepwireWebSocket({
        ...options,
        protocol: negotiation.protocol,
        deflate: negotiation.deflate,
      });
      onSocket(socket);
      const fields = negotiation.headers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
      tcp.write(`HTTP/1.1 101 Switching Protocols\r\n${fields}\r\n`);
      socket.attach(socketDuplex(tcp, rest));
      tcp.resume();
    } catch {
      tcp.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Opens a TCP connection, sends a WebSocket handshake (with `extra` fields),
 * checks the 101 and its accept key, and returns the connection's streams
 * (plus the 101's head). Throws with the status line on anything but 101.
 */
export async function rawConnect(
  port: number,
  extra = "",
): Promise<{ duplex: ByteDuplex; head: string; socket: Socket }> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
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
