/**
 * A keepwire CLI server in a child process on a chosen runtime, for the fuzz
 * and soak scripts: the server under test must not share a heap, an event
 * loop or a crash with the load that drives it.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { bundleForNode, systemNode } from "./_node_bundle.mjs";

/** Runtimes a child server can run on. */
export type Runtime = "deno" | "bun" | "node";

/** The repository root (scripts are run from anywhere). */
export const ROOT: string = resolve(new URL("..", import.meta.url).pathname);

const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

/** Node runs an esbuild bundle of lib/cli.ts, as the npm bin does. */
function bundleCliForNode(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), "kw-child-")), "keepwire.mjs");
  return bundleForNode({ root: ROOT, entry: "lib/cli.ts", outfile });
}

async function commandFor(runtime: Runtime): Promise<string[]> {
  if (runtime === "deno") return [bin("deno"), "run", "-A", "--no-check", "lib/cli.ts"];
  if (runtime === "bun") return [bin("bun"), "lib/cli.ts"];
  return [systemNode(), await bundleCliForNode()];
}

/** A running child server. */
export interface ChildServer {
  readonly runtime: Runtime;
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** The exit code or signal once the child has exited, else null. */
  exitStatus(): string | null;
  /** Resident set size of the child in bytes (Linux /proc), or NaN when unknown. */
  rss(): number;
  /** SIGTERM (graceful), then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(graceMs?: number): Promise<string>;
}

/**
 * Starts `keepwire <args>` (e.g. `["echo", "--port", "0"]`) on `runtime`
 * and waits for its `Listening on http://HOST:PORT/` line. `maxHeapMb`
 * caps V8's old space on Deno and Node (Bun's JavaScriptCore has no such
 * flag): garbage that is merely uncollected then stays under the cap,
 * while a leak ends in an out-of-memory crash.
 */
export async function startChildServer(
  runtime: Runtime,
  args: string[],
  maxHeapMb?: number,
): Promise<ChildServer> {
  const command = await commandFor(runtime);
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  if (maxHeapMb !== undefined) {
    const heapFlag = `--max-old-space-size=${maxHeapMb}`;
    if (runtime === "deno") env.DENO_V8_FLAGS = heapFlag;
    if (runtime === "node") env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} ${heapFlag}`.trim();
  }
  const child = spawn(command[0], [...command.slice(1), ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exit: string | null = null;
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<string>((done) => {
    child.on("close", (code, signal) => done(exit = signal ?? `exit ${code}`));
  });
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (port === 0) {
    const match = /^Listening on http:\/\/[^\s/]+:(\d+)\/$/m.exec(stdout);
    if (match !== null) port = Number(match[1]);
    else if (exit !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${runtime} server did not start (${exit}):\n${stdout}\n${stderr}`);
    } else await new Promise((r) => setTimeout(r, 20));
  }
  return {
    runtime,
    port,
    process: child,
    stderr: () => stderr,
    exitStatus: () => exit,
    rss: () => rssOf(child.pid),
    async stop(graceMs = 10_000) {
      if (exit !== null) return exit;
      // By pid, not child.kill(): Deno's node:child_process then reports the
      // signal instead of the exit code the child chose after handling it.
      if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match === null ? NaN : Number(match[1]) * 1024;
  } catch {
    return NaN;
  }
}
