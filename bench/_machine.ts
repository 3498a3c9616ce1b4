/**
 * What RESULTS.md says about the machine: CPU, cores, kernel, load, and the
 * versions of the runtimes and tools that produced the figures.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { runCommand, runtimeBinary } from "./_process.ts";

async function firstLine(command: string, args: string[]): Promise<string> {
  const result = await runCommand(command, args, 30_000);
  return `${result.stdout}${result.stderr}`.trim().split("\n")[0] ?? "?";
}

/** The commit measured, and whether the library had uncommitted changes (a shared checkout may). */
async function keepwireRevision(): Promise<string> {
  const head = (await runCommand("git", ["rev-parse", "--short", "HEAD"], 10_000)).stdout.trim();
  const dirty = (await runCommand("git", ["status", "--porcelain", "--", "lib", "mod.ts"], 10_000))
    .stdout.trim();
  return `${head || "?"}${dirty ? " with uncommitted changes in lib/" : ""}`;
}

/** The machine, for the report. */
export async function describeMachine(tool: string): Promise<Record<string, string>> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  return {
    "CPU": cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? "?",
    "nproc": String(cpus().length),
    "kernel": await firstLine("uname", ["-sr"]),
    "load average at start (1/5/15 min)": loadavg().map((load) => load.toFixed(2)).join(" / "),
    "Deno": await firstLine(runtimeBinary("deno"), ["--version"]),
    "Bun": await firstLine(runtimeBinary("bun"), ["--version"]),
    "Node": await firstLine(runtimeBinary("node"), ["--version"]),
    "load generator": tool === "wrk"
      ? (await firstLine("wrk", ["--version"])).replace(/\s*Copyright.*$/, "")
      : "autocannon 9",
    "body client": (await firstLine("curl", ["--version"])).split(" ").slice(0, 2).join(" "),
    "keepwire": await keepwireRevision(),
  };
}
