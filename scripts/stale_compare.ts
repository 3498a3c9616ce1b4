/**
 * `npm run bench:proxy-stale`: issue 17's stale-connection scenario,
 * keepwire proxy next to nginx with a naive upstream keep-alive.
 *
 * The upstream is node:http with a 2 s keep-alive timeout (it says
 * `Keep-Alive: timeout=2`); bursts of requests (half GET, half POST, each
 * path once) come after idle gaps spread over 1.5–2.5 s. Between each
 * proxy and its upstream sits a relay that delays bytes and closes by
 * `--delay` ms each way (bench/_latency_relay.ts), as a network would: on
 * bare loopback nginx sees the upstream's FIN before it reuses the
 * connection and the race never shows. nginx gets `keepalive 32;
 * keepalive_timeout 60s;` (the naive setting: longer than the upstream's);
 * keepwire gets its defaults. One row per proxy, plus nginx without the
 * relay for reference: 502s per method, other failures, POSTs the
 * upstream saw twice, and upstream connections opened.
 *
 *   deno run -A scripts/stale_compare.ts
 *   deno run -A scripts/stale_compare.ts --delay 40 --gaps 41 --burst 20 --runtime deno,bun,node
 *
 * Bounded: `--gaps` rounds (default 41, ≈ 90 s, all proxies at once, each
 * with its own upstream and relay), a deadline of 5 minutes, every process
 * killed at the end.
 *
 * @module
 */

import process from "node:process";
import { cpus, loadavg } from "node:os";
import {
  killAllServers,
  removeBundles,
  type Runtime,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import { upstreamStats } from "../bench/_proxy_upstream.ts";
import { flag } from "./_flag.ts";
import { startLatencyRelay } from "../bench/_latency_relay.ts";
import { HAS_NGINX, startNginx } from "../bench/_nginx.ts";
import { runBursts, spreadGaps, type StaleCounts } from "../bench/_stale_scenario.ts";

const ARGS = process.argv.slice(2);
const DELAY_MS = Number(flag(ARGS, "delay", "40"));
const GAP_COUNT = Number(flag(ARGS, "gaps", "41"));
const BURST = Number(flag(ARGS, "burst", "20"));
const RUNTIMES = flag(ARGS, "runtime", "deno,bun,node").split(",") as Runtime[];
const UPSTREAM_TIMEOUT_MS = 2_000;
const DEADLINE_MS = 5 * 60_000;

interface Row extends StaleCounts {
  name: string;
  duplicatePosts: number;
  upstreamConnections: number;
}

/** One proxy's run: its own upstream and relay, the bursts, the upstream's counts. */
async function runOne(
  name: string,
  start: (upstreamPort: number) => Promise<{ url: string; stop(): Promise<void> }>,
  delayMs: number | null,
  gaps: number[],
): Promise<Row> {
  const upstream = await startServer({
    name: "upstream (2 s)",
    runtime: "node",
    entry: "bench/servers/proxy_upstream.ts",
    args: ["0", String(UPSTREAM_TIMEOUT_MS)],
  }, "1");
  const relay = delayMs === null ? null : await startLatencyRelay(upstream.port, delayMs);
  const proxy = await start(relay?.port ?? upstream.port);
  try {
    const counts = await runBursts(proxy.url, gaps, BURST, name.replace(/\W+/g, "_"));
    const seen = await upstreamStats(upstream);
    return {
      name,
      ...counts,
      duplicatePosts: seen.duplicatePosts,
      upstreamConnections: seen.connections,
    };
  } finally {
    await proxy.stop();
    await relay?.close();
    await stopServer(upstream);
  }
}

function keepwire(runtime: Runtime) {
  return async (port: number) => {
    const server = await startServer({
      name: `keepwire proxy (${runtime})`,
      runtime,
      entry: "lib/cli.ts",
      args: ["proxy", "--port", "0", "--no-live", "--to", `http://127.0.0.1:${port}`],
    }, "0");
    return { url: server.url, stop: () => stopServer(server) };
  };
}

function nginx(port: number) {
  return startNginx({ upstreamPort: port, keepalive: 32, keepaliveTimeout: "60s", cpus: "0" });
}

async function main(): Promise<void> {
  const gaps = spreadGaps(1_500, 2_500, GAP_COUNT);
  console.log(
    `stale compare: upstream node:http keep-alive ${UPSTREAM_TIMEOUT_MS} ms; ${
      GAP_COUNT + 1
    } bursts of ${BURST} (half GET, half POST) after gaps of 1.5–2.5 s; relay delay ${DELAY_MS} ms each way; ` +
      `${cpus()[0]?.model ?? "?"} ×${cpus().length}, load ${loadavg()[0].toFixed(2)}`,
  );
  const runs: Promise<Row>[] = RUNTIMES.map((runtime) =>
    runOne(`keepwire proxy (${runtime}), relay ${DELAY_MS} ms`, keepwire(runtime), DELAY_MS, gaps)
  );
  if (HAS_NGINX) {
    runs.push(runOne(`nginx keepalive_timeout 60s, relay ${DELAY_MS} ms`, nginx, DELAY_MS, gaps));
    runs.push(runOne("nginx keepalive_timeout 60s, bare loopback", nginx, null, gaps));
  } else {
    console.log("nginx not found: its rows are left out");
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const rows = await Promise.race([
    Promise.all(runs),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no end within 5 minutes")), DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  console.log(
    "\n| proxy | requests | GET 502 | POST 502 | other failures | POSTs sent twice | upstream connections opened |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.requests} | ${row.get502} | ${row.post502} | ${row.otherFailures} | ${row.duplicatePosts} | ${row.upstreamConnections} |`,
    );
  }
}

try {
  await main();
} finally {
  killAllServers();
  removeBundles();
}
