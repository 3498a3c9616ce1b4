/**
 * keepwire's WebSocket echo for `npm run bench:ws`: `upgradeWebSocket` on
 * `serve()`, every message sent back, on whichever runtime runs this file
 * (Deno and Bun directly; Node from an esbuild bundle). Compression off, as
 * on the anchors: the load client offers none.
 *
 *   deno run -A bench/servers/ws_keepwire.ts 8000
 *
 * @module
 */

import process from "node:process";
import { serve } from "../../lib/serve.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { announce, BENCH_HOST, benchPort } from "./_common.ts";

const server = await serve({ port: benchPort(), hostname: BENCH_HOST }, (request) => {
  const { socket, response } = upgradeWebSocket(request, { compression: false });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
announce(server.addr.port);
process.on("SIGTERM", () => process.exit(0));
