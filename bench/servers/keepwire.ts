/**
 * keepwire's hello world: the shared Fetch handler through `serve()`, on
 * whichever runtime runs this file (Deno and Bun directly; Node from an
 * esbuild bundle, as scripts/bench.ts builds it).
 *
 *   deno run -A bench/servers/keepwire.ts 8000
 *
 * Light Fetch objects are on for every runtime (`KEEPWIRE_LIGHT_FETCH=0`
 * turns them off): Deno's and Bun's native Request/Response and body streams
 * cost ~10 µs an exchange (`npm run bench:exchange`).
 *
 * The request cap per connection is lifted because the anchors have none:
 * with the default (1000) wrk would measure reconnects, not keep-alive.
 *
 * @module
 */

import process from "node:process";
import { serve } from "../../lib/serve.ts";
import { announce, BENCH_HOST, BENCH_KEEP_ALIVE_MS, benchPort, helloHandler } from "./_common.ts";

const server = await serve({
  port: benchPort(),
  hostname: BENCH_HOST,
  keepAliveTimeout: BENCH_KEEP_ALIVE_MS,
  maxRequestsPerConnection: Number.MAX_SAFE_INTEGER,
  // The documented opt-in on Deno and Bun (the default on Node): light
  // Request/Response globals. KEEPWIRE_LIGHT_FETCH=0 measures the native ones.
  lightFetchObjects: process.env.KEEPWIRE_LIGHT_FETCH !== "0",
}, helloHandler);
announce(server.addr.port);
// Exit normally on SIGTERM so a `--cpu-prof` run (`npm run bench -- --profile`) writes its profile.
process.on("SIGTERM", () => process.exit(0));
