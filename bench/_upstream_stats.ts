/**
 * What the proxy benches' upstream (bench/servers/proxy_upstream.ts)
 * counts, read from its `GET /__stats`: connections accepted, POSTs, and
 * POSTs it saw twice (a proxy that replayed one).
 *
 * @module
 */

import type { RunningServer } from "./_process.ts";

/** The upstream's counters. */
export interface UpstreamCounts {
  readonly connections: number;
  readonly posts: number;
  readonly duplicatePosts: number;
}

/** The counters of the running `upstream`. */
export async function upstreamStats(upstream: RunningServer): Promise<UpstreamCounts> {
  const response = await fetch(`${upstream.url}__stats`);
  return await response.json() as UpstreamCounts;
}
