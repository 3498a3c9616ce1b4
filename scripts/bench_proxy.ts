/**
 * `npm run bench:proxy`: requests per second through a reverse proxy to the
 * same upstream — keepwire's `proxy` (Deno, Bun, Node), nginx (one worker,
 * upstream keepalive on) and the proxy a Node user would write (node:http +
 * undici) — each proxy pinned to CPU 0, the upstream (node:http) and the
 * load generator on CPU 1. Reports upstream connections opened per 10,000
 * requests (counted at the upstream).
 *
 * Then issue 17's stale scenario: an upstream with a 2 s keep-alive timeout
 * hit by bursts (half GET, half POST) after idle gaps of 1.5–2.5 s, through
 * keepwire and through nginx with a naive `keepalive_timeout 60s`: 502s per
 * method and POSTs that reached the upstream twice.
 *
 *   deno run -A scripts/bench_proxy.ts
 *   BENCH_SECONDS=5 BENCH_CONNECTIONS=50 STALE_ROUNDS=8 deno run -A scripts/bench_proxy.ts
 *
 * Bounded: every process is killed at the end (or on an error); about
 * a minute in all with the defaults.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { loadTool, runLoad } from "../bench/_load.ts";
import {
  freePort,
  killAllServers,
  removeBundles,
  type RunningServer,
  type Runtime,
  sleep,
  startServer,
  stopServer,
} from "../bench/_process.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const STALE_ROUNDS = Number(process.env.STALE_ROUNDS ?? 8);
const PROXY_CPU = "0";
const OTHER_CPU = "1";

interface Proxy {
  name: string;
  url: string;
  stop(): Promise<void>;
}

async function upstreamStats(upstream: RunningServer) {
  const response = await fetch(`${upstream.url}__stats`);
  return await response.json() as { connections: number; posts: number; duplicatePosts: number };
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

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** nginx with one worker and an upstream keepalive pool of 32, as the README configures it. */
async function startNginx(upstream: RunningServer, keepaliveTimeout: string): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), "keepwire-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  const port = await freePort();
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${upstream.port};
    keepalive 32;
    keepalive_timeout ${keepaliveTimeout};
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );
  const child = spawn("taskset", [
    "-c",
    PROXY_CPU,
    "nginx",
    "-p",
    dir,
    "-c",
    join(dir, "nginx.conf"),
  ], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`nginx did not start: ${stderr}`, { cause: error });
  }
  return {
    name: `nginx (1 worker, keepalive_timeout ${keepaliveTimeout})`,
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-child.pid!, "SIGQUIT");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch { /* gone */ }
      }, 3_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

/** Bursts after idle gaps of 1.5–2.5 s against an upstream that closes idle connections after 2 s. */
async function staleScenario(proxy: Proxy, upstream: RunningServer) {
  const gaps = [1_500, 2_000, 2_500, 1_800, 2_200, 1_600, 2_400, 1_900];
  const before = await upstreamStats(upstream);
  const bad = { GET: 0, POST: 0 };
  let sent = 0;
  let id = 0;
  for (let round = 0; round <= STALE_ROUNDS; round++) {
    if (round > 0) await sleep(gaps[(round - 1) % gaps.length]);
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const method = i % 2 === 0 ? "GET" : "POST";
      const response = await fetch(
        `${proxy.url}${method.toLowerCase()}-${proxy.name.length}-${id++}`,
        {
          method,
          ...(method === "POST" ? { body: "x".repeat(100) } : {}),
        },
      );
      await response.arrayBuffer();
      sent++;
      if (response.status !== 200) bad[method]++;
    }));
  }
  const after = await upstreamStats(upstream);
  return {
    name: proxy.name,
    requests: sent,
    get502: bad.GET,
    post502: bad.POST,
    duplicatePosts: after.duplicatePosts - before.duplicatePosts,
  };
}

async function main(): Promise<void> {
  const tool = await loadTool();
  console.log(
    `bench:proxy — ${tool} -c${CONNECTIONS} ${SECONDS}s; proxy on CPU ${PROXY_CPU}, upstream and load on CPU ${OTHER_CPU}\n`,
  );
  const upstream = await startServer({
    name: "upstream",
    runtime: "node",
    entry: "bench/servers/proxy_upstream.ts",
    args: ["0", "5000"],
  }, OTHER_CPU);
  const rows: Row[] = [];
  const starters: [string, () => Promise<Proxy>][] = [
    ["keepwire deno", () => startKeepwire("deno", upstream)],
    ["keepwire bun", () => startKeepwire("bun", upstream)],
    ["keepwire node", () => startKeepwire("node", upstream)],
    ["nginx", () => startNginx(upstream, "60s")],
    ["node+undici", () => startNodeUndici(upstream)],
  ];
  for (const [, start] of starters) {
    const proxy = await start();
    try {
      rows.push(await measure(proxy, upstream, tool));
    } finally {
      await proxy.stop();
    }
  }
  await stopServer(upstream);
  const nginx = rows.find((row) => row.name.startsWith("nginx"))!;
  const undici = rows.find((row) => row.name.startsWith("node:http"))!;
  console.log(
    "| proxy | req/s | ÷ nginx | ÷ node:http+undici | p99 ms | errors | upstream conns / 10k req |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${Math.round(row.requestsPerSecond)} | ${
        (row.requestsPerSecond / nginx.requestsPerSecond).toFixed(2)
      } | ${(row.requestsPerSecond / undici.requestsPerSecond).toFixed(2)} | ${
        row.p99.toFixed(1)
      } | ${row.errors} | ${row.connectionsPer10k.toFixed(1)} |`,
    );
  }

  console.log(
    `\nStale scenario: upstream keep-alive 2 s, ${
      STALE_ROUNDS + 1
    } bursts of 20 (10 GET, 10 POST), gaps 1.5–2.5 s`,
  );
  const staleUpstream = await startServer({
    name: "upstream (2 s)",
    runtime: "node",
    entry: "bench/servers/proxy_upstream.ts",
    args: ["0", "2000"],
  }, OTHER_CPU);
  console.log("| proxy | requests | GET 502 | POST 502 | POSTs sent twice |");
  console.log("|---|---|---|---|---|");
  for (
    const start of [
      () => startKeepwire("deno", staleUpstream),
      () => startNginx(staleUpstream, "60s"),
    ]
  ) {
    const proxy = await start();
    try {
      const r = await staleScenario(proxy, staleUpstream);
      console.log(
        `| ${r.name} | ${r.requests} | ${r.get502} | ${r.post502} | ${r.duplicatePosts} |`,
      );
    } finally {
      await proxy.stop();
    }
  }
  await stopServer(staleUpstream);
}

try {
  await main();
} finally {
  killAllServers();
  removeBundles();
}
