/**
 * Anchor for `npm run bench:ws`: `Deno.upgradeWebSocket` on `Deno.serve`,
 * every message sent back.
 *
 * @module
 */

import { announce, BENCH_HOST, benchPort } from "./_common.ts";

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: (request: Request) => Response,
  ): unknown;
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
};

Deno.serve(
  { port: benchPort(), hostname: BENCH_HOST, onListen: (addr) => announce(addr.port) },
  (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  },
);
