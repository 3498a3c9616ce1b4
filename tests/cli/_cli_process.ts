// Test support: run lib/cli.ts as a child process on whichever runtime runs the tests
// (Deno: deno run -A; Bun: bun; Node: an esbuild bundle of lib/cli.ts, as the npm bin is).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import process from "node:process";
import { bundleForNode } from "../../scripts/_node_bundle.mjs";

/** The repository root: tests are run from it (scripts/test.mjs chdirs there). */
export const ROOT: string = resolve(".");
if (!existsSync(join(ROOT, "lib", "cli.ts"))) {
  throw new Error(`run the tests from the repository root, not ${ROOT}`);
}

const runtime = globalThis as unknown as {
  Deno?: { execPath(): string };
  Bun?: unknown;
  process: { execPath: string; env: Record<string, string | undefined> };
};

let nodeBundle: Promise<string> | undefined;

/** lib/cli.ts bundled for Node, once per test process. */
function bundleForNodeOnce(): Promise<string> {
  nodeBundle ??= bundleForNode({
    root: ROOT,
    entry: "lib/cli.ts",
    outfile: join(mkdtempSync(join(tmpdir(), "kw-cli-")), "keepwire.mjs"),
  });
  return nodeBundle;
}

/** The command that runs the CLI on the current runtime. */
export async function cliCommand(): Promise<string[]> {
  if (runtime.Deno !== undefined) {
    return [runtime.Deno.execPath(), "run", "-A", "--no-check", "lib/cli.ts"];
  }
  if (runtime.Bun !== undefined) return [runtime.process.execPath, "lib/cli.ts"];
  return [runtime.process.execPath, await bundleForNodeOnce()];
}

/** What a finished CLI process left behind. */
export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A CLI child process with its output collected as it comes. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<CliResult>;

  constructor(command: string[], args: string[]) {
    this.child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...runtime.process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => (this.stdout += text));
    this.child.stderr!.on("data", (text: string) => (this.stderr += text));
    this.exited = new Promise((resolveExit) => {
      this.child.on(
        "close",
        (code, signal) => resolveExit({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** Waits for `Listening on http(s)://HOST:PORT/` and returns the origin (no trailing slash). */
  async listening(timeoutMs = 15_000): Promise<{ origin: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^Listening on (https?:\/\/[^\s/]+:(\d+))\/$/m.exec(this.stdout);
      if (match !== null) return { origin: match[1], port: Number(match[2]) };
      if (this.child.exitCode !== null || Date.now() > deadline) {
        this.child.kill("SIGKILL");
        throw new Error(`the CLI did not start:\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Sends a signal by pid. Not `child.kill()`: Deno's node:child_process then
   * reports the signal instead of the exit code the child chose after
   * handling it (measured with Deno 2.9.5).
   */
  signal(signal: "SIGTERM" | "SIGINT"): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      process.kill(this.child.pid, signal);
    }
  }

  /** Sends a signal and waits for the exit, killing the process if it takes longer than `timeoutMs`. */
  async stop(signal: "SIGTERM" | "SIGINT" = "SIGTERM", timeoutMs = 15_000): Promise<CliResult> {
    this.signal(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/** Starts the CLI with `args` (e.g. `["echo", "--port", "0"]`). */
export async function startCli(args: string[]): Promise<CliProcess> {
  return new CliProcess(await cliCommand(), args);
}

/** Runs the CLI to completion (for commands that exit on their own). */
export async function runCli(args: string[], timeoutMs = 15_000): Promise<CliResult> {
  const cli = await startCli(args);
  const timer = setTimeout(() => cli.child.kill("SIGKILL"), timeoutMs);
  const result = await cli.exited;
  clearTimeout(timer);
  return result;
}
