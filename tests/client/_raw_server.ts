/**
 * A scripted HTTP/1.x server on `node:net` (present on Deno, Bun and Node)
 * for the client tests: it parses requests with keepwire's RequestParser
 * and lets each test decide, byte for byte, what goes back — including the
 * misbehaviour real servers show (closing an idle connection just as the
 * client reuses it, resetting after reading a request, HTTP/1.0 framing).
 *
 * @module
 */

import { createServer, type Socket } from "node:net";
import { RequestParser } from "../../lib/codec/request_parser.ts";
import type { RequestHead } from "../../lib/codec/events.ts";

/** One parsed request, with its connection's bookkeeping. */
export interface RawRequest {
  readonly head: RequestHead;
  readonly body: string;
  /** 1-based index of this request on its connection. */
  readonly index: number;
  /** 1-based id of the connection. */
  readonly connection: number;
}

/** What a script does with a request: bytes to write, and what to do after. */
export interface RawReply {
  /** Latin-1 response bytes (may be empty). */
  readonly bytes?: string;
  /** After writing: keep the connection, half-close it (FIN), or destroy it. */
  readonly then?: "keep" | "end" | "destroy" | "reset";
}

/** A running scripted server. */
export interface RawServer {
  port: number;
  url: string;
  /** Every request received, in arrival order. */
  readonly requests: RawRequest[];
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Kills the socket with a TCP RST where the runtime can, else destroys it. */
export function resetSocket(socket: Socket): void {
  const reset = (socket as Socket & { resetAndDestroy?: () => void }).resetAndDestroy;
  if (typeof reset === "function") reset.call(socket);
  else socket.destroy();
}

/** Starts a scripted server on 127.0.0.1 with a free port. */
export function startRawServer(
  script: (request: RawRequest, socket: Socket) => RawReply | void,
): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const requests: RawRequest[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const connection = ++state.connections;
    const parser = new RequestParser();
    let index = 0;
    let head: RequestHead | null = null;
    let body = "";
    let dead = false;
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.on("end", () => {
      if (!dead) socket.end();
    });
    socket.on("data", (chunk: Uint8Array) => {
      if (dead) return;
      parser.push(new Uint8Array(chunk));
      for (let event = parser.next(); event !== null && !dead; event = parser.next()) {
        if (event.type === "head") {
          head = event;
          body = "";
        } else if (event.type === "data") {
          body += String.fromCharCode(...event.bytes);
        } else {
          const request = { head: head!, body, index: ++index, connection };
          requests.push(request);
          const reply = script(request, socket) ?? {};
          if (reply.bytes) socket.write(latin1Bytes(reply.bytes));
          if (reply.then === "end") {
            dead = true;
            socket.end();
          } else if (reply.then === "destroy") {
            dead = true;
            socket.destroy();
          } else if (reply.then === "reset") {
            dead = true;
            resetSocket(socket);
          }
        }
      }
    });
  });
  const state: RawServer = {
    port: 0,
    url: "",
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      state.port = address.port;
      state.url = `http://127.0.0.1:${address.port}`;
      resolve(state);
    });
  });
}

/** A complete HTTP/1.1 response with Content-Length. */
export function ok(body: string, extra = "", version = "1.1"): string {
  return `HTTP/${version} 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}
