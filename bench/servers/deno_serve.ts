/**
 * Anchor: Deno.serve running the shared Fetch handler.
 *
 * @module
 */

import { announce, BENCH_HOST, benchPort, helloHandler } from "./_common.ts";

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: () => Response,
  ): unknown;
};

Deno.serve(
  { port: benchPort(), hostname: BENCH_HOST, onListen: (addr) => announce(addr.port) },
  helloHandler,
);
