/**
 * keepwire's hello world: the shared Fetch handler through `serve()`, on
 * whichever runtime runs this file (Deno and Bun directly; Node from an
 * esbuild bundle, as scripts/bench.ts builds it).
 *
 *   deno run -A bench/servers/keepwire.ts 8000                 default options (the headline)
 *   deno run -A bench/servers/keepwire.ts 8000 --light-fetch   `lightFetchObjects: true`
 *
 * Without the flag this is what a user gets: `serve()`'s defaults (native
 * Request/Response on Deno and Bun, the light objects on Node). The flag is
 * the benchmark's second row on Deno and Bun.
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
  // The documented opt-in on Deno and Bun (already the default on Node); left
  // unset otherwise, so the headline row is serve()'s own default.
  ...(process.argv.includes("--light-fetch") ? { lightFetchObjects: true } : {}),
}, helloHandler);
announce(server.addr.port);
// Exit normally on SIGTERM so a `--cpu-prof` run (`npm run bench -- --profile`) writes its profile.
process.on("SIGTERM", () => process.exit(0));
