/**
 * Anchor: Bun.serve running the shared Fetch handler.
 *
 * @module
 */

import { announce, BENCH_HOST, BENCH_KEEP_ALIVE_MS, benchPort, helloHandler } from "./_common.ts";

declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch: () => Response;
  }): { port: number };
};

/** Bun caps idleTimeout at 255 s. */
const idleSeconds = Math.min(255, BENCH_KEEP_ALIVE_MS / 1000);
const server = Bun.serve({
  port: benchPort(),
  hostname: BENCH_HOST,
  idleTimeout: idleSeconds,
  fetch: helloHandler,
});
announce(server.port);
