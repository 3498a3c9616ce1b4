/**
 * `npm run bench:proxy`: requests per second through a reverse proxy to the
 * same upstream, in one run — keepwire's `proxy` (Deno, Bun, Node), nginx
 * (one worker, upstream keepalive on) and the proxy a Node user would write
 * (node:http + undici) — each proxy pinned to CPU 0, the upstream and the
 * load generator on CPU 1. Reports each keepwire row ÷ nginx and ÷
 * node:http + undici (issue 17's goals: ≥ 0.5× and ≥ 1.5×), and upstream
 * connections opened per 10,000 requests (counted at the upstream). Writes
 * the table with the machine, the command and the date to a dated file,
 * `bench/proxy-results/YYYY-MM-DDTHH-MM.md` (or `--out PATH`).
 *
 * The upstream is `bench/servers/proxy_upstream_net.ts`, a minimal node:net
 * responder (~18 µs of CPU per request where node:http took ~32, measured
 * side by side under wrk -c32; less when reads batch): the node:http
 * upstream, sharing CPU 1 with the load, capped every proxy that needs less
 * CPU than it (nginx and keepwire on Deno both read ~14–15k req/s in the
 * first run), so the ratios measured the upstream. It keeps what the report
 * needs: the `Keep-Alive: timeout` hint and the close that honours it, and
 * connections counted at `/__stats`.
 *
 *   deno run -A scripts/bench_proxy.ts
 *   deno run -A scripts/bench_proxy.ts --seconds 10 --connections 50 --runtime deno,bun,node
 *   deno run -A scripts/bench_proxy.ts --seconds 1 --runtime deno --out /tmp/proxy-smoke.md   # smoke run
 *
 * The stale-connection comparison with nginx is `npm run bench:proxy-stale`
 * (scripts/stale_compare.ts): it needs a latency relay, not a load test.
 * Needs a quiet machine; bounded: every process is killed at the end (or
 * on an error); about a minute with the defaults.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { loadTool, runLoad } from "../bench/_load.ts";
import { describeMachine } from "../bench/_machine.ts";
import { startNginx } from "../bench/_nginx.ts";
import {
  killAllServers,
  removeBundles,
  ROOT,
  type RunningServer,
  type Runtime,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import { startProxyUpstream, upstreamStats } from "../bench/_proxy_upstream.ts";
import { flag } from "./_flag.ts";

const ARGS = process.argv.slice(2);
const SECONDS = Number(flag(ARGS, "seconds", process.env.BENCH_SECONDS ?? "5"));
const CONNECTIONS = Number(flag(ARGS, "connections", process.env.BENCH_CONNECTIONS ?? "50"));
const RUNTIMES = flag(ARGS, "runtime", "deno,bun,node").split(",") as Runtime[];
const STARTED = new Date();
const OUT = flag(
  ARGS,
  "out",
  join(
    ROOT,
    "bench",
    "proxy-results",
    `${STARTED.toISOString().slice(0, 16).replace(":", "-")}.md`,
  ),
);
const PROXY_CPU = "0";
const OTHER_CPU = "1";

interface Proxy {
  name: string;
  url: string;
  stop(): Promise<void>;
}

function startKeepwire(runtime: Runtime, upstream: RunningServer): Promise<Proxy> {
  return startServer({
    name: `keepwire proxy (${runtime})`,
    runtime,
    entry: "lib/cli.ts",
    args: ["proxy", "--port", "0", "--to", upstream.url, "--upstream-connections", "32"],
  }, PROXY_CPU).then((server) => ({
    name: server.spec.name,
    url: server.url,
    stop: () => stopServer(server),
  }));
}

function startNodeUndici(upstream: RunningServer): Promise<Proxy> {
  return startServer({
    name: "node:http + undici",
    runtime: "node",
    entry: "bench/servers/proxy_node_undici.ts",
    args: ["0", upstream.url.slice(0, -1)],
  }, PROXY_CPU).then((server) => ({
    name: server.spec.name,
    url: server.url,
    stop: () => stopServer(server),
  }));
}

function startNginxProxy(upstream: RunningServer): Promise<Proxy> {
  return startNginx({
    upstreamPort: upstream.port,
    keepalive: 32,
    keepaliveTimeout: "60s",
    cpus: PROXY_CPU,
  });
}

interface Row {
  name: string;
  requestsPerSecond: number;
  p99: number;
  errors: number;
  connectionsPer10k: number;
}

async function measure(proxy: Proxy, upstream: RunningServer, tool: "wrk" | "autocannon") {
  const load = { url: proxy.url, connections: CONNECTIONS, pipeline: 1, cpus: OTHER_CPU };
  await runLoad(tool, { ...load, durationSeconds: 1 }); // warm-up (JIT, pools)
  const before = await upstreamStats(upstream);
  const result = await runLoad(tool, { ...load, durationSeconds: SECONDS });
  const after = await upstreamStats(upstream);
  const opened = after.connections - before.connections;
  return {
    name: proxy.name,
    requestsPerSecond: result.requestsPerSecond,
    p99: result.p99,
    errors: result.errors,
    connectionsPer10k: (opened / Math.max(1, result.requests)) * 10_000,
  };
}

async function main(): Promise<void> {
  const tool = await loadTool();
  const machine = await describeMachine(tool);
  const setting =
    `${tool} -c${CONNECTIONS}, ${SECONDS} s per run after a 1 s warm-up; each proxy pinned to CPU ${PROXY_CPU}, ` +
    `the upstream (a node:net responder, keep-alive 5 s) and the load on CPU ${OTHER_CPU}`;
  console.log(`bench:proxy — ${setting}\n`);
  const upstream = await startProxyUpstream(OTHER_CPU);
  const rows: Row[] = [];
  const starters: (() => Promise<Proxy>)[] = [
    ...RUNTIMES.map((runtime) => () => startKeepwire(runtime, upstream)),
    () => startNginxProxy(upstream),
    () => startNodeUndici(upstream),
  ];
  try {
    for (const start of starters) {
      const proxy = await start();
      try {
        const row = await measure(proxy, upstream, tool);
        console.log(`${row.name}: ${Math.round(row.requestsPerSecond)} req/s`);
        rows.push(row);
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await stopServer(upstream);
  }
  const nginx = rows.find((row) => row.name.startsWith("nginx"))!;
  const undici = rows.find((row) => row.name.startsWith("node:http"))!;
  const lines = [
    "| proxy | req/s | ÷ nginx | ÷ node:http+undici | p99 ms | errors | upstream conns / 10k req |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((row) =>
      `| ${row.name} | ${Math.round(row.requestsPerSecond)} | ${
        (row.requestsPerSecond / nginx.requestsPerSecond).toFixed(2)
      } | ${(row.requestsPerSecond / undici.requestsPerSecond).toFixed(2)} | ${
        row.p99.toFixed(1)
      } | ${row.errors} | ${row.connectionsPer10k.toFixed(1)} |`
    ),
  ];
  console.log(`\n${lines.join("\n")}`);
  const report = [
    `# bench:proxy, ${STARTED.toISOString()}`,
    "",
    `Command: \`${["deno run -A scripts/bench_proxy.ts", ...process.argv.slice(2)].join(" ")}\``,
    "",
    setting + ".",
    "Goals (issue 17): keepwire ≥ 0.5× nginx and ≥ 1.5× node:http + undici.",
    "",
    ...lines,
    "",
    "| machine | |",
    "|---|---|",
    ...Object.entries(machine).map(([key, value]) => `| ${key} | ${value} |`),
    "",
  ].join("\n");
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, report);
  console.log(`\nWritten to ${OUT}`);
}

try {
  await main();
} finally {
  killAllServers();
  removeBundles();
}
