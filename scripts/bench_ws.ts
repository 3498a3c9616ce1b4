/**
 * `npm run bench:ws`: WebSocket messages per second for small echo
 * messages over 50 sockets, keepwire (`upgradeWebSocket` on `serve()`)
 * against the runtimes' own WebSocket servers, in one run (issue 16):
 * ÷ `Deno.upgradeWebSocket` on `Deno.serve`, ÷ Bun.serve's `websocket`
 * handlers; keepwire on Node is measured alone (no anchor).
 *
 *   deno run -A scripts/bench_ws.ts [--quick] [--seconds S] [--pairs N]
 *       [--runtime deno|bun|node|all] [--size BYTES]
 *
 * Each server (bench/servers/ws_*.ts) is pinned to CPU 0 and the load client
 * (bench/_ws_load.ts, raw frames over node:net under Bun) to CPU 1. Two
 * scenarios: one message in flight per socket (a read and a write per
 * message) and 16 in flight. keepwire and its anchor alternate A B A B
 * after a warm-up each; the ratio reported is the median of the per-pair
 * ratios, with the server's CPU time per message beside it (steadier on a
 * shared machine) and the client's CPU share (near 100% would mean the
 * client, not the server, was the limit). Writes bench/ws/RESULTS-<date>.md
 * with the machine, its load and the command; `--quick` (a smoke run: one
 * pair, 2 s) writes to the temporary folder instead.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describeMachine } from "../bench/_machine.ts";
import {
  cpuSeconds,
  ROOT,
  runBenchScript,
  runCommand,
  type RunningServer,
  type Runtime,
  runtimeBinary,
  type ServerSpec,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import { flag } from "./_flag.ts";

const SERVER_CPUS = "0";
const LOAD_CPUS = "1";
const CONNECTIONS = 50;
const WINDOWS = [1, 16] as const;

interface Flags {
  quick: boolean;
  seconds: number;
  warmUp: number;
  pairs: number;
  size: number;
  runtimes: Runtime[];
}

function parseFlags(args: string[]): Flags {
  const quick = args.includes("--quick");
  const runtime = flag(args, "runtime", "all");
  if (!["deno", "bun", "node", "all"].includes(runtime)) {
    throw new Error(`--runtime must be deno, bun, node or all, not ${runtime}`);
  }
  return {
    quick,
    seconds: Number(flag(args, "seconds", quick ? "2" : "10")),
    warmUp: quick ? 1 : 3,
    pairs: Number(flag(args, "pairs", quick ? "1" : "3")),
    size: Number(flag(args, "size", "16")),
    runtimes: runtime === "all" ? ["deno", "bun", "node"] : [runtime as Runtime],
  };
}

/** keepwire and its anchor on one runtime. */
function serversFor(runtime: Runtime): { keepwire: ServerSpec; anchor: ServerSpec | null } {
  const keepwire = { name: "keepwire", runtime, entry: "bench/servers/ws_keepwire.ts" };
  if (runtime === "deno") {
    return {
      keepwire,
      anchor: { name: "Deno.upgradeWebSocket", runtime, entry: "bench/servers/ws_deno.ts" },
    };
  }
  if (runtime === "bun") {
    return {
      keepwire,
      anchor: { name: "Bun.serve websocket", runtime, entry: "bench/servers/ws_bun.ts" },
    };
  }
  return { keepwire, anchor: null };
}

interface LoadRun {
  messagesPerSecond: number;
  /** Server CPU time per message, µs. */
  serverMicros: number;
  /** The client's CPU time as a share of the measured wall time. */
  clientShare: number;
  errors: number;
}

/** One measured run of the load client against `server`. */
async function load(
  server: RunningServer,
  window: number,
  flags: Flags,
  seconds: number,
): Promise<LoadRun> {
  const before = await cpuSeconds(server.pid);
  const result = await runCommand("taskset", [
    "-c",
    LOAD_CPUS,
    runtimeBinary("bun"),
    "bench/_ws_load.ts",
    String(server.port),
    "--connections",
    String(CONNECTIONS),
    "--window",
    String(window),
    "--size",
    String(flags.size),
    "--warmup",
    String(flags.warmUp),
    "--seconds",
    String(seconds),
  ], (seconds + flags.warmUp + 30) * 1000);
  const after = await cpuSeconds(server.pid);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: {
    messages: number;
    seconds: number;
    messagesPerSecond: number;
    clientCpuSeconds: number;
    errors: number;
  };
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(
      `load client failed against ${server.spec.name} (${server.spec.runtime}): ${
        result.stderr.slice(0, 500)
      }${server.death() ?? ""}`,
    );
  }
  // The server CPU counted covers the warm-up too: scale by the share of the run measured.
  const measuredShare = parsed.seconds / (parsed.seconds + flags.warmUp);
  return {
    messagesPerSecond: parsed.messagesPerSecond,
    serverMicros: parsed.messages === 0
      ? NaN
      : ((after - before) * measuredShare * 1e6) / parsed.messages,
    clientShare: parsed.clientCpuSeconds / parsed.seconds,
    errors: parsed.errors,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Row {
  runtime: Runtime;
  window: number;
  keepwire: LoadRun[];
  anchorName: string | null;
  anchor: LoadRun[];
  ratios: number[];
}

async function measure(flags: Flags): Promise<Row[]> {
  const rows: Row[] = [];
  for (const runtime of flags.runtimes) {
    const { keepwire, anchor } = serversFor(runtime);
    const servers: RunningServer[] = [];
    try {
      servers.push(await startServer(keepwire, SERVER_CPUS));
      if (anchor !== null) servers.push(await startServer(anchor, SERVER_CPUS));
      for (const window of WINDOWS) {
        const row: Row = {
          runtime,
          window,
          keepwire: [],
          anchorName: anchor?.name ?? null,
          anchor: [],
          ratios: [],
        };
        // A warm-up run per server (JIT), not counted.
        for (const server of servers) await load(server, window, flags, flags.warmUp);
        for (let pair = 0; pair < flags.pairs; pair++) {
          const ours = await load(servers[0], window, flags, flags.seconds);
          row.keepwire.push(ours);
          if (servers[1] !== undefined) {
            const theirs = await load(servers[1], window, flags, flags.seconds);
            row.anchor.push(theirs);
            row.ratios.push(ours.messagesPerSecond / theirs.messagesPerSecond);
          }
          console.log(
            `${runtime} window ${window} pair ${pair + 1}: keepwire ${
              Math.round(ours.messagesPerSecond)
            } msg/s${
              row.anchor.length > pair
                ? `, ${anchor!.name} ${Math.round(row.anchor[pair].messagesPerSecond)} msg/s`
                : ""
            }`,
          );
        }
        rows.push(row);
      }
    } finally {
      for (const server of servers) await stopServer(server);
    }
  }
  return rows;
}

const format = (value: number, digits = 0) => Number.isFinite(value) ? value.toFixed(digits) : "–";
const percent = (value: number) => `${Math.round(value * 100)}%`;

function render(
  rows: Row[],
  flags: Flags,
  machine: Record<string, string>,
  command: string,
): string {
  const lines = [
    `# WebSocket echo: keepwire ÷ the runtimes' own servers (${new Date().toISOString()})`,
    "",
    `Command: \`${command}\``,
    "",
    `${CONNECTIONS} sockets, binary messages of ${flags.size} bytes echoed; server on CPU ${SERVER_CPUS}, ` +
    `load client (raw frames over node:net, Bun) on CPU ${LOAD_CPUS}. ${flags.pairs} pair(s) of ` +
    `${flags.seconds} s runs after a ${flags.warmUp} s warm-up; medians. "in flight" is messages ` +
    "outstanding per socket. Server µs/msg is its CPU time per message; client CPU is the load " +
    "client's share of one core (near 100% would mean the client was the limit).",
    "",
    "| runtime | in flight | keepwire msg/s | anchor | anchor msg/s | keepwire ÷ anchor | keepwire µs/msg | anchor µs/msg | client CPU (keepwire / anchor) | errors |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const mps = (runs: LoadRun[]) => median(runs.map((run) => run.messagesPerSecond));
    const micros = (runs: LoadRun[]) => median(runs.map((run) => run.serverMicros));
    const client = (runs: LoadRun[]) => median(runs.map((run) => run.clientShare));
    const errors = [...row.keepwire, ...row.anchor].reduce((sum, run) => sum + run.errors, 0);
    const hasAnchor = row.anchor.length > 0;
    lines.push(
      `| ${row.runtime} | ${row.window} | ${format(mps(row.keepwire))} | ${
        row.anchorName ?? "–"
      } | ${hasAnchor ? format(mps(row.anchor)) : "–"} | ${
        hasAnchor ? format(median(row.ratios), 2) + "×" : "–"
      } | ${format(micros(row.keepwire), 1)} | ${
        hasAnchor ? format(micros(row.anchor), 1) : "–"
      } | ${percent(client(row.keepwire))}${
        hasAnchor ? " / " + percent(client(row.anchor)) : ""
      } | ${errors} |`,
    );
  }
  lines.push("", "## Machine", "");
  for (const [name, value] of Object.entries(machine)) lines.push(`- ${name}: ${value}`);
  lines.push(
    `- load average at end (1/5/15 min): ${loadavg().map((load) => load.toFixed(2)).join(" / ")}`,
  );
  if (flags.quick) {
    lines.push("", "A `--quick` smoke run: checks the benchmark works; not a measurement.");
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const command = ["npm run bench:ws --", ...process.argv.slice(2)].join(" ");
  const machine = await describeMachine("ws");
  machine["load generator"] = "bench/_ws_load.ts (node:net under Bun)";
  delete machine["body client"];
  const rows = await measure(flags);
  const report = render(rows, flags, machine, command);
  const stamp = new Date().toISOString().slice(0, 16).replace(":", "-");
  const directory = flags.quick ? tmpdir() : join(ROOT, "bench", "ws");
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `RESULTS-${stamp}.md`);
  writeFileSync(file, report);
  console.log(`\n${report}\nwritten to ${file}`);
}

await runBenchScript(main);
