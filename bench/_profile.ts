/**
 * Where keepwire's time goes under the benchmark's load: the hello-world
 * server run with the runtime's own `--cpu-prof`, and the V8/JSC
 * `.cpuprofile` it writes on exit summarized as self time per function and
 * per area (codec, connection, runtime shim, the runtime's internals, GC).
 *
 * Node runs an esbuild bundle, whose profile names the bundle, not the
 * sources; esbuild marks where each source file starts with a `// path`
 * comment line, which maps a bundle line back to its file.
 *
 * @module
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONNECTIONS, PIPELINE_DEPTH, SCENARIOS } from "./_catalog.ts";
import { describeMachine } from "./_machine.ts";
import { runLoad } from "./_load.ts";
import {
  bundleForNode,
  ROOT,
  runCommand,
  type Runtime,
  runtimeBinary,
  sleep,
  startServer,
  stopServer,
} from "./_process.ts";

/** The parts of a `.cpuprofile` (Chrome DevTools format) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
}

/** One function's share of the busy samples. */
export interface ProfileEntry {
  name: string;
  where: string;
  percent: number;
}

/** One profiled run. */
export interface ProfileSummary {
  runtime: Runtime;
  scenario: string;
  /** Samples taken while not idle. */
  busySamples: number;
  areas: { area: string; percent: number }[];
  top: ProfileEntry[];
}

/** Source file starts in an esbuild bundle: [first line (0-based), path]. */
function bundleSources(bundle: string): [number, string][] {
  const starts: [number, string][] = [];
  readFileSync(bundle, "utf8").split("\n").forEach((line, index) => {
    const match = line.match(/^\/\/ ((?:lib|bench|node_modules)\/\S+)$/);
    if (match) starts.push([index, match[1]]);
  });
  return starts;
}

function sourceOf(
  url: string,
  line: number,
  bundle: string | undefined,
  starts: [number, string][],
) {
  if (bundle !== undefined && url.endsWith(bundle)) {
    let file = "bundle";
    for (const [start, path] of starts) {
      if (start > line) break;
      file = path;
    }
    return file;
  }
  const path = url.replace(/^file:\/\//, "");
  return path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path;
}

/** The area a file belongs to: keepwire's layers, the bench server, or the runtime. */
function areaOf(file: string, name: string): string {
  if (name === "(garbage collector)" || name === "(program)") return name;
  const layer = file.match(/^lib\/([^/]+)\//);
  if (layer) return `keepwire lib/${layer[1]}/`;
  if (file.startsWith("bench/")) return "bench server";
  if (file === "") return "native / builtins";
  return "runtime internals";
}

/** Summarizes a profile: self samples per function and per area, idle excluded. */
export function summarizeProfile(
  profile: CpuProfile,
  runtime: Runtime,
  scenario: string,
  bundle?: string,
): ProfileSummary {
  const starts = bundle === undefined ? [] : bundleSources(bundle);
  const counts = new Map<number, number>();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const byFunction = new Map<string, ProfileEntry & { samples: number }>();
  const byArea = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const samples = counts.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (samples === 0 || functionName === "(idle)") continue;
    busy += samples;
    const file = sourceOf(url, lineNumber, bundle, starts);
    const name = functionName || "(anonymous)";
    const where = file === ""
      ? ""
      : bundle !== undefined && url.endsWith(bundle)
      ? file
      : `${file}:${lineNumber + 1}`;
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, percent: 0, samples: 0 };
    entry.samples += samples;
    byFunction.set(key, entry);
    const area = areaOf(file, name);
    byArea.set(area, (byArea.get(area) ?? 0) + samples);
  }
  const share = (samples: number) => (busy === 0 ? 0 : (100 * samples) / busy);
  return {
    runtime,
    scenario,
    busySamples: busy,
    areas: [...byArea].map(([area, samples]) => ({ area, percent: share(samples) }))
      .sort((a, b) => b.percent - a.percent),
    top: [...byFunction.values()].sort((a, b) => b.samples - a.samples).slice(0, 15)
      .map(({ name, where, samples }) => ({ name, where, percent: share(samples) })),
  };
}

/** Runs keepwire's hello world under `--cpu-prof` with load and summarizes the profile. */
export async function profileKeepwire(
  runtime: Runtime,
  pipeline: number,
  durationSeconds: number,
  tool: "wrk" | "autocannon",
): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), "keepwire-profile-"));
  const entry = "bench/servers/keepwire.ts";
  try {
    const server = await startServer({
      name: "keepwire",
      runtime,
      entry,
      runtimeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
    }, "0");
    try {
      const options = { url: server.url, connections: CONNECTIONS, pipeline, cpus: "1" };
      await runLoad(tool, { ...options, durationSeconds: 2 });
      await runLoad(tool, { ...options, durationSeconds });
    } finally {
      await stopServer(server);
    }
    let file: string | undefined;
    for (let waited = 0; waited < 10_000 && file === undefined; waited += 200) {
      file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
      if (file === undefined) await sleep(200);
    }
    if (file === undefined) throw new Error(`${runtime} wrote no .cpuprofile`);
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const bundle = runtime === "node" ? await bundleForNode(entry) : undefined;
    const scenario = pipeline > 1
      ? `${PIPELINE_DEPTH}-deep pipelining`
      : `${CONNECTIONS} keep-alive`;
    return summarizeProfile(profile, runtime, scenario, bundle);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** PROFILE.md: per runtime and scenario, time by area and the top functions by self time. */
export function renderProfiles(summaries: ProfileSummary[], header: string): string {
  const parts = [header];
  for (const summary of summaries) {
    parts.push(`## ${summary.runtime} · ${summary.scenario} (${summary.busySamples} busy samples)`);
    parts.push(
      "| area | self time |\n| --- | --- |\n" +
        summary.areas.map(({ area, percent }) => `| ${area} | ${percent.toFixed(1)} % |`)
          .join("\n"),
    );
    parts.push(
      "| function | where | self time |\n| --- | --- | --- |\n" +
        summary.top.map(({ name, where, percent }) =>
          `| \`${name.replace(/\|/g, "\\|")}\` | ${where} | ${percent.toFixed(1)} % |`
        ).join("\n"),
    );
  }
  return parts.join("\n\n") + "\n";
}

/** `--profile`: keepwire under `--cpu-prof` on each runtime and scenario, summarized in PROFILE.md. */
export async function writeProfiles(
  runtimes: readonly Runtime[],
  duration: number,
  tool: "wrk" | "autocannon",
): Promise<void> {
  const summaries: ProfileSummary[] = [];
  for (const runtime of runtimes) {
    for (const scenario of SCENARIOS) {
      const summary = await profileKeepwire(runtime, scenario.pipeline, duration, tool);
      summaries.push(summary);
      console.log(
        `${runtime} ${scenario.name}: ` +
          summary.areas.slice(0, 4).map((a) => `${a.area} ${a.percent.toFixed(0)}%`).join(", "),
      );
    }
  }
  const machine = await describeMachine(tool);
  const header = "# Where keepwire's time goes\n\n" +
    `Generated by \`npm run bench -- --profile\` on ${new Date().toISOString()} (keepwire ` +
    `${machine.keepwire}; ${machine.Deno}, Bun ${machine.Bun}, Node ${machine.Node}). The ` +
    `hello-world server (bench/servers/keepwire.ts) ran under the runtime's \`--cpu-prof\`, ` +
    `pinned to CPU 0, with ${duration} s of wrk load after a 2 s warm-up. Self time, idle ` +
    "samples left out; on Node the bundle's lines are mapped back to their source files.";
  writeFileSync(`${ROOT}/bench/PROFILE.md`, renderProfiles(summaries, header));
  await runCommand(runtimeBinary("deno"), ["fmt", "--quiet", "bench/PROFILE.md"], 60_000);
  console.log("wrote bench/PROFILE.md");
}
