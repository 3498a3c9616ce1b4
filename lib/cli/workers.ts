/**
 * `--workers N`: N processes serving one port, each with its own
 * connections and keep-alive state, under one supervising process.
 *
 * Deno and Bun workers bind the port themselves with SO_REUSEPORT (the
 * kernel spreads new connections over them); Node 20 has no `reusePort`, so
 * Node workers are `node:cluster` workers and the primary hands them
 * connections. Either way the supervisor:
 *
 * - picks the port first when 0 is asked, so every worker binds the same one;
 * - prints the usual `Listening on …` line once every worker is listening;
 * - on SIGINT/SIGTERM closes each worker's stdin, which a worker reads as
 *   "shut down gracefully" (a signal would collide with the one a terminal
 *   already sends the whole process group on Ctrl-C, which each worker
 *   would then take as a second, forceful one), and exits when all have
 *   drained; a second signal kills them.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import cluster from "node:cluster";
import { createServer } from "node:net";
import process from "node:process";
import { missingPermission } from "./permissions.ts";
import { onShutdownSignal } from "./process.ts";

/** Set in a worker's environment by the supervisor. */
const WORKER_ENV = "KEEPWIRE_WORKER";

/** How long workers get to start listening. */
const START_TIMEOUT = 30_000;

/**
 * Whether this process is a worker started by `--workers`.
 *
 * @example
 * ```ts
 * import { isWorkerProcess } from "./workers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isWorkerProcess(), false);
 * ```
 */
export function isWorkerProcess(): boolean {
  if (cluster.isWorker) return true;
  try {
    return process.env[WORKER_ENV] === "1";
  } catch {
    return false; // Deno without --allow-env: not started by a supervisor
  }
}

/**
 * Whether workers of this runtime bind the port themselves (SO_REUSEPORT),
 * rather than through a `node:cluster` primary.
 *
 * @example
 * ```ts
 * import { workersUseReusePort } from "./workers.ts";
 *
 * console.log(workersUseReusePort() ? "reusePort" : "node:cluster");
 * ```
 */
export function workersUseReusePort(): boolean {
  const global = globalThis as { Deno?: unknown; Bun?: unknown };
  return global.Deno !== undefined || global.Bun !== undefined;
}

/**
 * Calls `listener` once the supervisor asks this worker to stop (its stdin
 * ends).
 *
 * @example
 * ```ts ignore
 * import { onSupervisorStop } from "./workers.ts";
 *
 * onSupervisorStop(() => console.error("draining"));
 * ```
 *
 * @param listener called at most once
 */
export function onSupervisorStop(listener: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    listener();
  };
  process.stdin.on("end", once);
  process.stdin.on("close", once);
  process.stdin.on("error", once);
  process.stdin.resume();
}

/** A free port on `hostname`, for workers that must all bind the same one. */
function freePort(hostname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, hostname, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The arguments for a worker: no `--workers`, and the port fixed. */
function workerArgs(argv: readonly string[], port: number): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--workers" || arg === "--port") {
      i++;
      continue;
    }
    if (arg.startsWith("--workers=") || arg.startsWith("--port=")) continue;
    args.push(arg);
  }
  args.push(`--port=${port}`);
  return args;
}

interface Worker {
  readonly child: ChildProcess;
  /** Resolves with the worker's startup lines once it listens; rejects if it exits first. */
  readonly ready: Promise<string[]>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

function startWorker(args: string[]): Worker {
  const env = { ...process.env, [WORKER_ENV]: "1" };
  let child: ChildProcess;
  if (!workersUseReusePort()) {
    cluster.setupPrimary({ exec: process.argv[1], args, silent: true });
    child = cluster.fork(env).process;
  } else {
    const deno = (globalThis as { Deno?: { mainModule: string } }).Deno;
    const command = deno !== undefined
      ? ["run", "-A", "--unstable-net", deno.mainModule, ...args]
      : [process.argv[1], ...args];
    child = spawn(process.execPath, command, { env, stdio: ["pipe", "pipe", "pipe"] });
  }
  // A child that cannot be spawned (ENOENT, or Deno without --allow-run)
  // reports an "error" event and never exits.
  let spawnError: Error | undefined;
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    child.once("error", (error) => {
      spawnError = error;
      resolve(127);
    });
  });
  const ready = new Promise<string[]>((resolve, reject) => {
    const lines: string[] = [];
    let pending = "";
    let listening = false;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => {
      pending += text;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      lines.push(...parts);
      if (!listening && lines.some((line) => line.startsWith("Listening on "))) {
        listening = true;
        // The startup block is printed in one go; give its last lines a moment.
        setTimeout(() => resolve(lines), 50);
      }
    });
    child.stderr!.pipe(process.stderr);
    void exited.then((code) =>
      reject(spawnError ?? new Error(`worker exited with code ${code} before listening`))
    );
  });
  ready.catch(() => {});
  return { child, ready, exited };
}

/**
 * Runs `count` workers with the given command line and supervises them
 * until a shutdown signal. Resolves with the exit status.
 *
 * @example
 * ```ts ignore
 * import { superviseWorkers } from "./workers.ts";
 *
 * // keepwire echo --workers 2 --port 8080
 * const status = await superviseWorkers(2, ["echo", "--port", "8080"], "127.0.0.1", 8080);
 * ```
 *
 * @param count how many workers
 * @param argv the command line, as given (`--workers` and `--port` are rewritten for the workers)
 * @param hostname the address to bind
 * @param port the port; 0 picks one for all workers
 * @returns 0 after a graceful shutdown, 1 when a worker could not start
 */
export async function superviseWorkers(
  count: number,
  argv: readonly string[],
  hostname: string,
  port: number,
): Promise<number> {
  const chosenPort = port === 0 ? await freePort(hostname) : port;
  const args = workerArgs(argv, chosenPort);
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) workers.push(startWorker(args));
  const killAll = () => {
    for (const worker of workers) worker.child.kill("SIGKILL");
  };

  let startup: string[];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("workers did not start in time")), START_TIMEOUT);
    });
    [startup] = await Promise.race([Promise.all(workers.map((worker) => worker.ready)), timeout]);
  } catch (error) {
    const flag = missingPermission(error);
    console.error(
      flag === undefined
        ? `keepwire: ${(error as Error).message}`
        : `keepwire: Deno needs ${flag} to start workers`,
    );
    killAll();
    await Promise.all(workers.map((worker) => worker.exited));
    return 1;
  } finally {
    clearTimeout(timer);
  }
  let remaining = count;
  let stopping = false;
  const allExited = Promise.all(workers.map(async (worker) => {
    const code = await worker.exited;
    remaining--;
    if (!stopping) {
      console.error(`keepwire: worker ${worker.child.pid} exited with code ${code}`);
    }
    return code;
  }));
  const stopRequested = new Promise<string>((resolve) => {
    const remove = onShutdownSignal((name) => {
      remove();
      resolve(name);
    });
    void allExited.then(() => {
      remove();
      resolve("all workers exited");
    });
  });
  // Announced only now: whoever reads the address may signal at once.
  for (const line of startup) console.log(line);
  const pids = workers.map((worker) => worker.child.pid).join(", ");
  console.log(`Workers: ${count} (pids ${pids})`);

  const reason = await stopRequested;
  stopping = true;
  if (remaining > 0) {
    console.error(`keepwire: ${reason}, shutting down ${remaining} workers`);
    onShutdownSignal(killAll);
    for (const worker of workers) worker.child.stdin?.end();
  }
  const codes = await allExited;
  return reason === "all workers exited" ? 1 : Math.max(0, ...codes);
}
