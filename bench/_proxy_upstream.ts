/**
 * The proxy benches' upstream: `bench/servers/proxy_upstream_net.ts` (a
 * node:net responder, so the proxy and not the upstream is measured) as
 * bench:proxy and bench:proxy-cpu start it, and what either upstream
 * (that one or node:http's `proxy_upstream.ts`) counts at `GET /__stats`:
 * connections accepted, POSTs, and POSTs it saw twice (a proxy that
 * replayed one).
 *
 * @module
 */

import { type RunningServer, startServer } from "./_process.ts";

/** The upstream's counters. */
export interface UpstreamCounts {
  readonly connections: number;
  readonly posts: number;
  readonly duplicatePosts: number;
}

/** Starts the node:net upstream (Keep-Alive hint and close at 5 s) pinned to `cpus`. */
export function startProxyUpstream(cpus: string): Promise<RunningServer> {
  return startServer({
    name: "upstream",
    runtime: "node",
    entry: "bench/servers/proxy_upstream_net.ts",
    args: ["0", "5000"],
  }, cpus);
}

/** The counters of the running `upstream`. */
export async function upstreamStats(upstream: RunningServer): Promise<UpstreamCounts> {
  const response = await fetch(`${upstream.url}__stats`);
  return await response.json() as UpstreamCounts;
}
