/**
 * `npm run bench:proxy-cpu`: CPU time per proxied request — keepwire's
 * `proxy` (Deno, Bun, Node), the node:http + undici proxy of
 * `bench:proxy`, and nginx (one process, upstream keepalive) — each in its
 * own process pinned to CPU 0, the upstream (`proxy_upstream_net.ts`, as
 * `bench:proxy`'s) on CPU 1, driven by a fixed number of GETs over
 * keep-alive connections from this process.
 * The proxy's user + system time (/proc/PID/stat) divided by the requests
 * is steady on a busy machine, where requests per second are not.
 *
 *   deno run -A scripts/bench_proxy_cpu.ts
 *   CPU_REQUESTS=20000 CPU_CONNECTIONS=32 CPU_ROUNDS=3 deno run -A scripts/bench_proxy_cpu.ts
 *   CPU_ONLY=deno,node CPU_PROFILE=1 deno run -A scripts/bench_proxy_cpu.ts   # + top functions
 *   CPU_ONLY=node CPU_REFERENCE=0 CPU_OUT= deno run -A scripts/bench_proxy_cpu.ts   # A/B loops
 *
 * `CPU_REFERENCE=0` leaves out node:http + undici (the ratios' reference,
 * else always run); `CPU_OUT=` (empty) prints the table without appending it.
 *
 * Writes bench/proxy_cpu-YYYY-MM-DD.md. Bounded: each round of each proxy
 * stops after CPU_ROUND_SECONDS (default 120) and every process is killed
 * at the end.
 *
 * @module
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  bundleForNode,
  cpuSeconds,
  ROOT,
  runBenchScript,
  type RunningServer,
  type Runtime,
  sleep,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import { summarizeProfile } from "../bench/_profile.ts";
import { startNginx } from "../bench/_nginx.ts";
import { startProxyUpstream } from "../bench/_proxy_upstream.ts";

const REQUESTS = Number(process.env.CPU_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.CPU_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.CPU_ROUNDS ?? 3);
const WARMUP = Number(process.env.CPU_WARMUP ?? 10_000);
const ROUND_SECONDS = Number(process.env.CPU_ROUND_SECONDS ?? 120);
const ONLY = process.env.CPU_ONLY?.split(",");
const PROFILE = process.env.CPU_PROFILE === "1";
const REFERENCE = process.env.CPU_REFERENCE !== "0";
const OUT = process.env.CPU_OUT;
const PROXY_CPU = "0";
const OTHER_CPU = "1";

interface Proxy {
  name: string;
  pid: number;
  url: URL;
  stop(): Promise<void>;
  /** The .cpuprofile directory, when profiled. */
  profileDir?: string;
  bundle?: string;
}

function fromServer(server: RunningServer, profileDir?: string, bundle?: string): Proxy {
  return {
    name: server.spec.name,
    pid: server.pid,
    url: new URL(server.url),
    stop: () => stopServer(server),
    profileDir,
    bundle,
  };
}

async function startKeepwire(runtime: Runtime, upstream: RunningServer): Promise<Proxy> {
  const profiled = PROFILE && runtime !== "bun";
  const dir = profiled ? mkdtempSync(join(tmpdir(), "keepwire-proxy-prof-")) : undefined;
  const server = await startServer({
    name: `keepwire proxy (${runtime})`,
    runtime,
    entry: "lib/cli.ts",
    args: ["proxy", "--port", "0", "--to", upstream.url, "--upstream-connections", "32"],
    ...(dir === undefined ? {} : { runtimeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`] }),
  }, PROXY_CPU);
  const bundle = profiled && runtime === "node" ? await bundleForNode("lib/cli.ts") : undefined;
  return fromServer(server, dir, bundle);
}

async function startNodeUndici(upstream: RunningServer): Promise<Proxy> {
  const server = await startServer({
    name: "node:http + undici",
    runtime: "node",
    entry: "bench/servers/proxy_node_undici.ts",
    args: ["0", upstream.url.slice(0, -1)],
  }, PROXY_CPU);
  return fromServer(server);
}

/** nginx as one process (`master_process off`), so its pid is the one that works. */
async function startNginxProxy(upstream: RunningServer): Promise<Proxy> {
  const nginx = await startNginx({
    upstreamPort: upstream.port,
    keepalive: 32,
    keepaliveTimeout: "60s",
    cpus: PROXY_CPU,
    singleProcess: true,
  });
  return {
    name: "nginx (1 process, upstream keepalive)",
    pid: nginx.pid,
    url: new URL(nginx.url),
    stop: nginx.stop,
  };
}

/**
 * Sends `count` GETs over `connections` keep-alive connections, one in
 * flight on each, and resolves with how many got a 200 — or rejects past
 * `deadline` (ms since the epoch). Responses are framed by Content-Length
 * or chunked (a body of one chunk at most, as the upstream's hello is).
 */
function drive(url: URL, count: number, connections: number, deadline: number): Promise<number> {
  const request = new TextEncoder().encode(
    `GET /cpu HTTP/1.1\r\nhost: ${url.host}\r\nuser-agent: bench-proxy-cpu\r\n\r\n`,
  );
  let started = 0;
  let answered = 0;
  let ok = 0;
  return new Promise((resolve, reject) => {
    const sockets: Socket[] = [];
    const timer = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
      reject(new Error(`${answered}/${count} answered in time`));
    }, Math.max(0, deadline - Date.now()));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      if (error) reject(error);
      else resolve(ok);
    };
    const open = () => {
      const socket = connect(Number(url.port), url.hostname);
      socket.setNoDelay(true);
      sockets.push(socket);
      let buffered = "";
      const send = () => {
        if (started >= count) return;
        started++;
        socket.write(request);
      };
      socket.on("connect", send);
      socket.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("latin1");
        for (;;) {
          const headEnd = buffered.indexOf("\r\n\r\n");
          if (headEnd === -1) return;
          const head = buffered.slice(0, headEnd).toLowerCase();
          const length = head.match(/\r\ncontent-length:\s*(\d+)/);
          let end: number;
          if (length) {
            end = headEnd + 4 + Number(length[1]);
            if (buffered.length < end) return;
          } else if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
            const last = buffered.indexOf("\r\n0\r\n\r\n", headEnd + 2);
            const empty = buffered.startsWith("0\r\n\r\n", headEnd + 4);
            if (empty) end = headEnd + 9;
            else if (last === -1) return;
            else end = last + 7;
          } else {
            finish(new Error(`unframed response: ${head.slice(0, 200)}`));
            return;
          }
          if (head.startsWith("http/1.1 200")) ok++;
          buffered = buffered.slice(end);
          answered++;
          if (answered === count) {
            finish();
            return;
          }
          send();
        }
      });
      socket.on("error", (error) => finish(error));
      socket.on("close", () => {
        if (answered < count) finish(new Error(`connection closed after ${answered}/${count}`));
      });
    };
    for (let i = 0; i < Math.min(connections, count); i++) open();
  });
}

interface Row {
  name: string;
  /** µs of proxy CPU per request, one per round. */
  rounds: number[];
  errors: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle)
    ? (sorted[middle - 1] + sorted[middle]) / 2
    : sorted[Math.floor(middle)];
}

async function measure(proxy: Proxy): Promise<Row> {
  const row: Row = { name: proxy.name, rounds: [], errors: 0 };
  const deadline = () => Date.now() + ROUND_SECONDS * 1_000;
  const warm = await drive(proxy.url, WARMUP, CONNECTIONS, deadline()); // JIT, pools
  row.errors += WARMUP - warm;
  for (let round = 0; round < ROUNDS; round++) {
    const before = await cpuSeconds(proxy.pid);
    const ok = await drive(proxy.url, REQUESTS, CONNECTIONS, deadline());
    const after = await cpuSeconds(proxy.pid);
    row.errors += REQUESTS - ok;
    row.rounds.push(((after - before) * 1e6) / REQUESTS);
  }
  return row;
}

async function profileSummary(proxy: Proxy, runtime: Runtime): Promise<string> {
  const dir = proxy.profileDir!;
  let file: string | undefined;
  for (let waited = 0; waited < 10_000 && file === undefined; waited += 200) {
    file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
    if (file === undefined) await sleep(200);
  }
  if (file === undefined) return `${runtime}: no .cpuprofile written\n`;
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
  rmSync(dir, { recursive: true, force: true });
  const summary = summarizeProfile(profile, runtime, "proxy", proxy.bundle);
  const lines = [`### ${runtime} (${summary.busySamples} busy samples)`, ""];
  lines.push(
    summary.areas.map((area) => `${area.area} ${area.percent.toFixed(1)}%`).join(" · "),
    "",
  );
  lines.push("| self % | function | where |", "|---|---|---|");
  for (const entry of summary.top) {
    lines.push(`| ${entry.percent.toFixed(1)} | ${entry.name} | ${entry.where} |`);
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const command = `CPU_REQUESTS=${REQUESTS} CPU_CONNECTIONS=${CONNECTIONS} CPU_ROUNDS=${ROUNDS} ` +
    `CPU_WARMUP=${WARMUP} ` +
    `deno run -A scripts/bench_proxy_cpu.ts`;
  console.log(
    `bench:proxy-cpu — ${REQUESTS} GETs × ${ROUNDS} rounds over ${CONNECTIONS} keep-alive ` +
      `connections (after ${WARMUP} to warm up); proxy on CPU ${PROXY_CPU}, upstream on CPU ${OTHER_CPU}\n`,
  );
  const upstream = await startProxyUpstream(OTHER_CPU);
  const starters: [string, () => Promise<Proxy>][] = [
    ["node+undici", () => startNodeUndici(upstream)],
    ["nginx", () => startNginxProxy(upstream)],
    ["deno", () => startKeepwire("deno", upstream)],
    ["bun", () => startKeepwire("bun", upstream)],
    ["node", () => startKeepwire("node", upstream)],
  ];
  const rows: Row[] = [];
  const profiles: string[] = [];
  for (const [key, start] of starters) {
    const wanted = key === "node+undici" ? REFERENCE : ONLY === undefined || ONLY.includes(key);
    if (!wanted) continue;
    let proxy: Proxy;
    try {
      proxy = await start();
    } catch (error) {
      console.log(`${key}: not started (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    try {
      const row = await measure(proxy);
      rows.push(row);
      console.log(
        `${row.name}: ${row.rounds.map((r) => r.toFixed(1)).join(", ")} µs/request` +
          (row.errors > 0 ? ` (${row.errors} not 200)` : ""),
      );
    } catch (error) {
      console.log(`${proxy.name}: failed (${(error as Error).message})`);
    } finally {
      await proxy.stop();
    }
    if (proxy.profileDir !== undefined && existsSync(proxy.profileDir)) {
      profiles.push(await profileSummary(proxy, key as Runtime));
    }
  }
  await stopServer(upstream);

  const undici = rows.find((row) => row.name.startsWith("node:http"));
  const nginx = rows.find((row) => row.name.startsWith("nginx"));
  const table = [
    "| proxy | CPU µs / request (best) | median | rounds | ÷ node:http+undici | ÷ nginx | not 200 |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    // The best round is the one least disturbed by other work on the core
    // (a busy machine only ever adds CPU time: cache and frequency).
    const best = Math.min(...row.rounds);
    // Less CPU per request is better: the ratio is the reference's cost over this one's,
    // so it reads like a throughput ratio on one core (> 1: cheaper than the reference).
    const ratio = (reference?: Row) =>
      reference ? (Math.min(...reference.rounds) / best).toFixed(2) : "—";
    table.push(
      `| ${row.name} | ${best.toFixed(1)} | ${median(row.rounds).toFixed(1)} | ${
        row.rounds.map((r) => r.toFixed(1)).join(" / ")
      } | ${ratio(undici)} | ${ratio(nginx)} | ${row.errors} |`,
    );
  }
  const date = new Date().toISOString();
  const report = [
    `# Proxy CPU per request — ${date}`,
    "",
    `\`${command}\`${ONLY ? ` (CPU_ONLY=${ONLY.join(",")})` : ""}`,
    "",
    `Load ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")}; ` +
    `git ${(await gitHead())}. Ratios are the reference's best µs ÷ this proxy's best (> 1 = cheaper).`,
    "",
    ...table,
    "",
    ...(profiles.length > 0 ? ["## Profiles (self time)", "", ...profiles] : []),
  ].join("\n");
  console.log("\n" + table.join("\n"));
  if (OUT === "") return;
  const out = OUT ?? join(ROOT, "bench", `proxy_cpu-${date.slice(0, 10)}.md`);
  const previous = existsSync(out) ? readFileSync(out, "utf8") + "\n" : "";
  writeFileSync(out, previous + report);
  console.log(`\nappended to ${out}`);
}

async function gitHead(): Promise<string> {
  const { execFileSync } = await import("node:child_process");
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {
    return "?";
  }
}

await runBenchScript(main);
