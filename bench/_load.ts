/**
 * Load generation: wrk (pinned to the load core) when installed, else
 * autocannon from devDependencies. One call is one timed run.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { nodeBinary, ROOT, runCommand } from "./_process.ts";

/** One timed run's figures. */
export interface LoadResult {
  requestsPerSecond: number;
  /** Responses completed in the timed run. */
  requests: number;
  /** Median latency in ms. */
  p50: number;
  /** 99th-percentile latency in ms. */
  p99: number;
  /** Socket errors plus non-2xx responses: a run with errors is not comparable. */
  errors: number;
}

/** What to run. */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Whole seconds. */
  durationSeconds: number;
  /** Requests per write; 1 is no pipelining. */
  pipeline: number;
  /** CPUs for the load generator, as taskset reads them. */
  cpus: string;
}

/** Which load generator this machine has: wrk on PATH, else autocannon. */
export async function loadTool(): Promise<"wrk" | "autocannon"> {
  const probe = await runCommand("wrk", ["--version"], 10_000);
  // wrk --version prints its banner and exits 1; a missing binary gives ENOENT (code 127 or 1 with no output).
  return `${probe.stdout}${probe.stderr}`.includes("wrk ") ? "wrk" : "autocannon";
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Parses wrk's `--latency` report. */
export function parseWrk(output: string): LoadResult {
  const rps = output.match(/Requests\/sec:\s+([\d.]+)/);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${output}`);
  const latency = (percent: string): number => {
    const match = output.match(new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m"));
    return match ? Number(match[1]) * UNIT_MS[match[2]] : NaN;
  };
  const socketErrors = output.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  const non2xx = output.match(/Non-2xx or 3xx responses: (\d+)/);
  const errors = (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) +
    (non2xx ? Number(non2xx[1]) : 0);
  const requests = Number(output.match(/(\d+) requests in /)?.[1] ?? NaN);
  return {
    requestsPerSecond: Number(rps[1]),
    requests,
    p50: latency("50"),
    p99: latency("99"),
    errors,
  };
}

/** Runs one timed load against `options.url`. */
export async function runLoad(
  tool: "wrk" | "autocannon",
  options: LoadOptions,
): Promise<LoadResult> {
  const timeoutMs = (options.durationSeconds + 30) * 1000;
  if (tool === "wrk") {
    const args = [
      "-c",
      options.cpus,
      "wrk",
      "-t1",
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      "--latency",
      "--timeout",
      "10s",
    ];
    if (options.pipeline > 1) args.push("-s", join(ROOT, "bench", "pipeline.lua"));
    args.push(options.url);
    if (options.pipeline > 1) args.push("--", String(options.pipeline));
    const result = await runCommand("taskset", args, timeoutMs);
    if (result.code !== 0) throw new Error(`wrk failed (${result.code}): ${result.stderr}`);
    return parseWrk(result.stdout);
  }
  const autocannon = join(ROOT, "node_modules", "autocannon", "autocannon.js");
  if (!existsSync(autocannon)) throw new Error("neither wrk nor autocannon is installed");
  const result = await runCommand("taskset", [
    "-c",
    options.cpus,
    nodeBinary(),
    autocannon,
    "-c",
    String(options.connections),
    "-d",
    String(options.durationSeconds),
    "-p",
    String(options.pipeline),
    "-j",
    options.url,
  ], timeoutMs);
  if (result.code !== 0) throw new Error(`autocannon failed (${result.code}): ${result.stderr}`);
  const report = JSON.parse(result.stdout);
  return {
    requestsPerSecond: report.requests.average,
    requests: report.requests.total,
    p50: report.latency.p50,
    p99: report.latency.p99,
    errors: (report.errors ?? 0) + (report.non2xx ?? 0) + (report.timeouts ?? 0),
  };
}
