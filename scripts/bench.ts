/**
 * `npm run bench`: keepwire against the servers it must beat, side by side in
 * one run (issue 7).
 *
 *   deno run -A scripts/bench.ts [--quick] [--duration S] [--pairs N]
 *       [--runtime deno|bun|node|all] [--idle N] [--body-mib N]
 *       [--skip throughput,idle,bodies,workers]
 *   deno run -A scripts/bench.ts --profile [--runtime R] [--duration S]   (writes bench/PROFILE.md)
 *
 * Each runtime's servers (bench/servers/) are pinned to CPU 0 and the load
 * generator (wrk, else autocannon) to CPU 1; this process pins itself to
 * CPU 1 as well, where it only waits while wrk runs. keepwire and each anchor
 * alternate A B A B, each run after a short warm-up, and the ratio reported is
 * the median of the per-pair ratios. Then idle-connection memory, body
 * throughput and, when the CLI has `--workers`, 1 vs 2 workers. Writes
 * bench/RESULTS.md and bench/results.svg (a run with `--runtime` or `--skip`
 * writes them to the temporary folder instead).
 *
 * Needs root or a hard open-file limit of at least 65,536 for the idle run
 * (servers are started under `ulimit -n 65536`; this process holds the client
 * sockets, so run it with `ulimit -n 20000` or more). Run it on a quiet
 * machine: the load average is recorded in RESULTS.md.
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import process from "node:process";
import { measureBody, removeUploadFile } from "../bench/_bodies.ts";
import { renderSvg } from "../bench/_chart.ts";
import { FlagError, type Flags, parseFlags, RUNTIMES, USAGE } from "../bench/_flags.ts";
import { describeMachine } from "../bench/_machine.ts";
import { writeProfiles } from "../bench/_profile.ts";
import { measureIdle } from "../bench/_idle.ts";
import { type LoadResult, loadTool, runLoad } from "../bench/_load.ts";
import {
  cpuSeconds,
  freePort,
  killAllServers,
  removeBundles,
  ROOT,
  runBenchScript,
  runCommand,
  type RunningServer,
  type Runtime,
  runtimeBinary,
  type ServerSpec,
  sleep,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import {
  CONNECTIONS,
  IDLE_GOAL_KIB,
  PIPELINE_DEPTH,
  SCENARIOS,
  serversFor,
} from "../bench/_catalog.ts";
import {
  contentionNote,
  median,
  type RatioRow,
  renderMarkdown,
  type Report,
  type ThroughputRow,
} from "../bench/_report.ts";

const SERVER_CPUS = "0";
const LOAD_CPUS = "1";

/** One timed run and the server CPU time it cost per request. */
interface TimedRun extends LoadResult {
  cpuMicrosPerRequest: number;
}

function summarize(
  runtime: Runtime,
  scenario: string,
  server: string,
  runs: TimedRun[],
): ThroughputRow {
  return {
    runtime,
    scenario,
    server,
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    cpuMicrosPerRequest: median(runs.map((run) => run.cpuMicrosPerRequest)),
    runs: runs.length,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

async function measureThroughput(flags: Flags, tool: "wrk" | "autocannon", report: Report) {
  for (const runtime of flags.runtimes) {
    const { keepwire, anchors } = serversFor(runtime);
    const servers: RunningServer[] = [];
    try {
      for (const spec of [...keepwire, ...anchors.map((anchor) => anchor.spec)]) {
        servers.push(await startServer(spec, SERVER_CPUS));
      }
      const keepwireServers = servers.slice(0, keepwire.length);
      const anchorServers = servers.slice(keepwire.length);
      // A longer first warm-up per server: keepwire on Node kept speeding up through its
      // first few seconds (JIT), which would have cost it the first pair.
      for (const server of servers) {
        for (const pipeline of [1, PIPELINE_DEPTH]) {
          await runLoad(tool, {
            url: server.url,
            connections: CONNECTIONS,
            pipeline,
            cpus: LOAD_CPUS,
            durationSeconds: 2 * flags.warmUp,
          });
        }
      }
      for (const scenario of SCENARIOS) {
        const timed = async (server: RunningServer): Promise<TimedRun> => {
          const options = {
            url: server.url,
            connections: CONNECTIONS,
            pipeline: scenario.pipeline,
            cpus: LOAD_CPUS,
          };
          await runLoad(tool, { ...options, durationSeconds: flags.warmUp });
          const cpuBefore = await cpuSeconds(server.pid);
          const result = await runLoad(tool, { ...options, durationSeconds: flags.duration });
          const cpu = await cpuSeconds(server.pid) - cpuBefore;
          return { ...result, cpuMicrosPerRequest: (cpu * 1e6) / result.requests };
        };
        // The headline (default options) first, then the light Fetch objects' row.
        for (const keepwireServer of keepwireServers) {
          const name = keepwireServer.spec.name;
          const keepwireRuns: TimedRun[] = [];
          // Each row starts warm: a server left idle through the rows before it (~50 s for
          // the light row) has had its heap shrunk by V8's memory reducer and would pay to
          // grow it back during its first pair (bench/PROFILE.md, Deno, session 3).
          await runLoad(tool, {
            url: keepwireServer.url,
            connections: CONNECTIONS,
            pipeline: scenario.pipeline,
            cpus: LOAD_CPUS,
            durationSeconds: 2 * flags.warmUp,
          });
          for (const [index, anchor] of anchors.entries()) {
            const anchorRuns: TimedRun[] = [];
            const ratios: number[] = [];
            const cpuRatios: number[] = [];
            for (let pair = 0; pair < flags.pairs; pair++) {
              const a = await timed(keepwireServer);
              const b = await timed(anchorServers[index]);
              keepwireRuns.push(a);
              anchorRuns.push(b);
              ratios.push(a.requestsPerSecond / b.requestsPerSecond);
              cpuRatios.push(b.cpuMicrosPerRequest / a.cpuMicrosPerRequest);
              console.log(
                `${runtime} ${scenario.name}: ${name} ${Math.round(a.requestsPerSecond)} vs ` +
                  `${anchor.spec.name} ${Math.round(b.requestsPerSecond)} req/s → ${
                    ratios.at(-1)!.toFixed(2)
                  }× (CPU µs/req ${a.cpuMicrosPerRequest.toFixed(1)} vs ${
                    b.cpuMicrosPerRequest.toFixed(1)
                  })`,
              );
            }
            // An anchor's own row once per scenario (its runs against the headline).
            if (keepwireServer === keepwireServers[0]) {
              report.throughput.push(
                summarize(runtime, scenario.name, anchor.spec.name, anchorRuns),
              );
            }
            const row: RatioRow = {
              runtime,
              scenario: scenario.name,
              server: name,
              anchor: anchor.spec.name,
              ratios,
              median: median(ratios),
              cpuRatios,
              cpuMedian: median(cpuRatios),
              goal: anchor.goals[scenario.goal],
            };
            report.ratios.push(row);
          }
          report.throughput.push(summarize(runtime, scenario.name, name, keepwireRuns));
        }
      }
    } catch (error) {
      // One runtime failing (a server that does not start) must not cost the others' figures.
      report.notes.push(`throughput, ${runtime}: ${(error as Error).message.split("\n")[0]}`);
      console.error(`throughput, ${runtime}:`, error);
    } finally {
      for (const server of servers) await stopServer(server);
    }
  }
}

/** Starts `spec`, runs `measure` on it and stops it; a failure becomes a note, not the end of the run. */
async function withServer(
  spec: ServerSpec,
  cpus: string,
  label: string,
  report: Report,
  measure: (server: RunningServer) => Promise<void>,
): Promise<void> {
  let server: RunningServer | undefined;
  try {
    server = await startServer(spec, cpus);
    await measure(server);
  } catch (error) {
    // A server that crashed explains the failure better than the client's error does;
    // give its exit a moment to be reported.
    if (server !== undefined) await sleep(300);
    const reason = server?.death() ?? (error as Error).message.split("\n")[0];
    report.notes.push(`${label}: ${reason}`);
    console.error(`${label}: ${reason}`, error);
  } finally {
    if (server !== undefined) await stopServer(server);
  }
}

async function measureIdleMemory(flags: Flags, tool: "wrk" | "autocannon", report: Report) {
  for (const runtime of flags.runtimes) {
    const { keepwire, anchors } = serversFor(runtime);
    for (const spec of [...keepwire, ...anchors.map((anchor) => anchor.spec)]) {
      const label = `idle memory, ${runtime} ${spec.name}`;
      await withServer(spec, SERVER_CPUS, label, report, async (server) => {
        const warmUp = () =>
          runLoad(tool, {
            url: server.url,
            connections: CONNECTIONS,
            pipeline: 1,
            durationSeconds: flags.warmUp,
            cpus: LOAD_CPUS,
          });
        const result = await measureIdle(server.pid, server.port, flags.idle, warmUp);
        report.idle.push({
          ...result,
          runtime,
          server: spec.name,
          goalKiB: keepwire.includes(spec) ? IDLE_GOAL_KIB[runtime] : undefined,
        });
        console.log(
          `${runtime} idle: ${spec.name} ${result.perConnectionKiB.toFixed(2)} kB per connection ` +
            `(${result.stillOpen}/${result.connections} open)`,
        );
      });
    }
  }
}

async function measureBodies(flags: Flags, report: Report) {
  if ((await runCommand("curl", ["--version"], 10_000)).code !== 0) {
    report.notes.push("body throughput: skipped, curl is not installed (`apt-get install curl`).");
    return;
  }
  const bytes = flags.bodyMiB * 2 ** 20;
  const echo = (runtime: Runtime): ServerSpec => ({
    name: "keepwire echo",
    runtime,
    entry: "lib/cli.ts",
    args: ["echo", "--port", "0", "--max-body-size", String(2 * bytes)],
  });
  const specs: ServerSpec[] = flags.runtimes.map(echo);
  if (flags.runtimes.includes("node")) {
    specs.push({ name: "node:http", runtime: "node", entry: "bench/servers/node_http_echo.ts" });
  }
  for (const spec of specs) {
    for (const direction of ["download", "upload"] as const) {
      const label = `${spec.runtime} ${spec.name} ${direction}`;
      // A fresh server per transfer, so VmHWM is this transfer's peak.
      await withServer(spec, SERVER_CPUS, label, report, async (server) => {
        const result = await measureBody(server.pid, server.port, direction, bytes, LOAD_CPUS);
        report.bodies.push({ ...result, runtime: spec.runtime, server: spec.name });
        console.log(
          `${label} ${flags.bodyMiB} MiB: ${result.megabytesPerSecond.toFixed(0)} MB/s, ` +
            `status ${result.status}, peak RSS ${(result.peakKiB / 1024).toFixed(1)} MiB`,
        );
      });
    }
  }
}

async function measureWorkers(flags: Flags, tool: "wrk" | "autocannon", report: Report) {
  const help = await runCommand(
    runtimeBinary("deno"),
    ["run", "-A", "lib/cli.ts", "--help"],
    60_000,
  );
  if (!help.stdout.includes("--workers")) {
    report.notes.push(
      "1 vs 2 workers: skipped, `keepwire --help` has no `--workers` flag yet (issue 7).",
    );
    return;
  }
  for (const runtime of flags.runtimes) {
    for (const workers of [1, 2]) {
      const spec: ServerSpec = {
        name: `keepwire echo --workers ${workers}`,
        runtime,
        entry: "lib/cli.ts",
        // A fixed port: with port 0 each reusePort worker would get a port of its own.
        args: [
          "echo",
          "--port",
          String(await freePort()),
          "--workers",
          String(workers),
          "--max-requests",
          "1000000000",
        ],
      };
      // Not pinned: a second worker needs the second core (which wrk shares).
      await withServer(spec, "0,1", `${runtime} --workers ${workers}`, report, async (server) => {
        const options = { url: server.url, connections: CONNECTIONS, pipeline: 1, cpus: LOAD_CPUS };
        await runLoad(tool, { ...options, durationSeconds: flags.warmUp });
        const result = await runLoad(tool, { ...options, durationSeconds: flags.duration });
        report.workers.push({
          runtime,
          workers,
          requestsPerSecond: result.requestsPerSecond,
          p99: result.p99,
        });
        console.log(`${runtime} workers=${workers}: ${Math.round(result.requestsPerSecond)} req/s`);
      });
    }
  }
}

async function main(): Promise<void> {
  let parsed: Flags | "help";
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`bench: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed === "help") {
    console.log(USAGE);
    return;
  }
  const flags = parsed;
  // This process runs beside wrk on the load CPU; its waiting must not steal the server's core.
  await runCommand("taskset", ["-a", "-p", "-c", LOAD_CPUS, String(process.pid)], 10_000);
  const tool = await loadTool();
  if (flags.profile) return await writeProfiles(flags.runtimes, flags.duration, tool);
  const report: Report = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    quick: flags.quick,
    machine: await describeMachine(tool),
    settings: {
      "runs": `${flags.pairs} A B pairs per anchor, ${flags.duration} s each after a ` +
        `${flags.warmUp} s warm-up; ${
          4 * flags.warmUp
        } s of load per server before the first pair, and ${
          2 * flags.warmUp
        } s more on keepwire before each of its rows`,
      "connections": `${CONNECTIONS} (wrk -t1), pipelining ${PIPELINE_DEPTH} requests per write`,
      "idle connections": String(flags.idle),
      "body size": `${flags.bodyMiB} MiB`,
    },
    throughput: [],
    ratios: [],
    idle: [],
    bodies: [],
    workers: [],
    notes: [],
  };
  if (tool !== "wrk") report.notes.push("wrk not found; autocannon (Node) generated the load.");
  try {
    if (!flags.skip.has("throughput")) {
      await measureThroughput(flags, tool, report);
      const note = contentionNote(report);
      if (note !== undefined) report.notes.push(note);
    }
    if (!flags.skip.has("idle")) await measureIdleMemory(flags, tool, report);
    if (!flags.skip.has("bodies")) await measureBodies(flags, report);
    if (!flags.skip.has("workers")) await measureWorkers(flags, tool, report);
  } finally {
    // Before the report is written, so the load average at end is the machine's own.
    killAllServers();
    removeBundles();
    removeUploadFile();
  }
  report.machine["load average at end (1/5/15 min)"] = loadavg().map((load) => load.toFixed(2))
    .join(" / ");
  const markdown = renderMarkdown(report);
  // Only a run of everything replaces the committed RESULTS.md; a partial one goes to /tmp.
  const partial = flags.runtimes.length < RUNTIMES.length || flags.skip.size > 0;
  const dir = partial ? tmpdir() : `${ROOT}/bench`;
  const markdownPath = `${dir}/${partial ? "keepwire-bench-" : ""}RESULTS.md`;
  const svgPath = `${dir}/${partial ? "keepwire-bench-" : ""}results.svg`;
  writeFileSync(markdownPath, markdown);
  writeFileSync(svgPath, renderSvg(report));
  // Both files are committed: keep them as the repository's formatter (deno fmt) wants them.
  await runCommand(runtimeBinary("deno"), ["fmt", "--quiet", markdownPath, svgPath], 60_000);
  console.log(`\n${readFileSync(markdownPath, "utf8")}`);
  console.log(`wrote ${markdownPath} and ${svgPath}`);
}

await runBenchScript(main, removeUploadFile);
