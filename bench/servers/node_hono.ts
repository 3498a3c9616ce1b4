/**
 * Anchor: @hono/node-server running the shared Fetch handler. It replaces the
 * global Request/Response with lighter ones by default; that is its normal
 * configuration, so it is measured that way.
 *
 * @module
 */

import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import { announce, BENCH_HOST, BENCH_KEEP_ALIVE_MS, benchPort, helloHandler } from "./_common.ts";

const server = serve(
  { fetch: helloHandler, port: benchPort(), hostname: BENCH_HOST },
  (info) => announce(info.port),
) as Server;
server.keepAliveTimeout = BENCH_KEEP_ALIVE_MS;
