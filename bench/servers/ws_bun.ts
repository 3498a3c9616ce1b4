/**
 * Anchor for `npm run bench:ws`: Bun.serve's `websocket` handlers, every
 * message sent back. Compression off (Bun's default), as on keepwire.
 *
 * @module
 */

import { announce, BENCH_HOST, benchPort } from "./_common.ts";

interface BunSocket {
  send(data: string | ArrayBuffer | Uint8Array): number;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch(request: Request, server: { upgrade(request: Request): boolean }): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      message(socket: BunSocket, message: string | Uint8Array): void;
    };
  }): { port: number };
};

const server = Bun.serve({
  port: benchPort(),
  hostname: BENCH_HOST,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response("a WebSocket endpoint", { status: 426, headers: { upgrade: "websocket" } });
  },
  websocket: {
    perMessageDeflate: false,
    message: (socket, message) => void socket.send(message),
  },
});
announce(server.port);
