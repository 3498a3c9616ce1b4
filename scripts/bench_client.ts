/**
 * Client requests/s: keepwire's `createClient().fetch` next to undici's
 * `request`, Node's global fetch, Deno's fetch and Bun's fetch, with 1 and
 * 50 concurrent callers, against one fast server (Bun.serve, hello world).
 *
 *   deno run -A scripts/bench_client.ts            (or: npm run bench:client)
 *   BENCH_SECONDS=5 deno run -A scripts/bench_client.ts
 *
 * The orchestrator starts the server in its own process, then runs each
 * (runtime, client, callers) case in a fresh child process for a warm-up
 * second plus BENCH_SECONDS (default 3) and prints a table with ratios.
 * With `taskset`, the server is pinned to CPU 0 and the clients to CPU 1,
 * so the two never compete for a core. Node (the machine's Node 20, not the
 * node_modules one) runs an esbuild bundle of this same file (Node 20 runs
 * no TypeScript). Bounded: every child is killed
 * after its time plus 20 s.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "../lib/client.ts";
import { bundleForNode, systemNode } from "./_node_bundle.mjs";

type ClientKind = "keepwire" | "undici.request" | "fetch";
type RuntimeKind = "node" | "deno" | "bun";

const SECONDS = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env
    .BENCH_SECONDS ?? 3,
);
const WARMUP_MS = 1_000;

/** One caller: a request, its body read in full. */
async function makeRequester(kind: ClientKind, concurrency: number) {
  if (kind === "keepwire") {
    const client = createClient({ maxConnectionsPerOrigin: concurrency });
    return {
      run: async (url: string) => void await (await client.fetch(url)).arrayBuffer(),
      close: () => client.close(),
    };
  }
  if (kind === "undici.request") {
    const { request } = await import("undici");
    return {
      run: async (url: string) => void await (await request(url)).body.arrayBuffer(),
      close: () => Promise.resolve(),
    };
  }
  return {
    run: async (url: string) => void await (await fetch(url)).arrayBuffer(),
    close: () => Promise.resolve(),
  };
}

/** Worker mode: measure one case and print `{"perSecond": n}`. */
async function measure(kind: ClientKind, url: string, concurrency: number): Promise<void> {
  const requester = await makeRequester(kind, concurrency);
  let count = 0;
  let counting = false;
  const warmupEnd = performance.now() + WARMUP_MS;
  const end = warmupEnd + SECONDS * 1000;
  let started = 0;
  const caller = async () => {
    for (;;) {
      const now = performance.now();
      if (now >= end) return;
      if (!counting && now >= warmupEnd) {
        counting = true;
        count = 0;
        started = now;
      }
      await requester.run(url);
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - started) / 1000;
  await requester.close();
  console.log(JSON.stringify({ perSecond: Math.round(count / elapsed) }));
}

// ---- orchestrator ----

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(
  command: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function pinned(cpu: number, command: string[]): string[] {
  return existsSync("/usr/bin/taskset") ? ["taskset", "-c", String(cpu), ...command] : command;
}

async function startServer(port: number): Promise<() => void> {
  const code =
    `Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: () => new Response("hello") });` +
    `console.log("ready");`;
  const child = spawn(
    pinned(0, [bin("bun"), "-e", code])[0],
    pinned(0, [bin("bun"), "-e", code]).slice(1),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => String(chunk).includes("ready") && resolve());
    child.on("error", reject);
    setTimeout(() => reject(new Error("server did not start")), 10_000);
  });
  return () => child.kill("SIGKILL");
}

async function orchestrate(): Promise<void> {
  const buildDir = join(root, ".test-build", `bench-client-${Date.now()}`);
  mkdirSync(buildDir, { recursive: true });
  const bundle = join(buildDir, "bench_client.mjs");
  await bundleForNode({
    root,
    entry: fileURLToPath(import.meta.url),
    outfile: bundle,
    externalPackages: true,
  });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}/`;
  const stopServer = await startServer(port);
  const self = fileURLToPath(import.meta.url);
  const runtimes: [RuntimeKind, string[], ClientKind[]][] = [
    ["node", [systemNode(), bundle], ["keepwire", "undici.request", "fetch"]],
    ["deno", [bin("deno"), "run", "-A", self], ["keepwire", "fetch"]],
    ["bun", [bin("bun"), self], ["keepwire", "fetch"]],
  ];
  const results: {
    runtime: RuntimeKind;
    client: ClientKind;
    callers: number;
    perSecond: number;
  }[] = [];
  try {
    for (const callers of [1, 50]) {
      for (const [runtime, command, clients] of runtimes) {
        for (const client of clients) {
          const args = [...command, "--worker", client, url, String(callers)];
          const out = await run(pinned(1, args), (SECONDS + 20) * 1000);
          const line = out.stdout.trim().split("\n").at(-1) ?? "";
          let perSecond = NaN;
          try {
            perSecond = JSON.parse(line).perSecond;
          } catch {
            console.error(`${runtime} ${client} failed: ${out.stderr.slice(0, 500)}`);
          }
          results.push({ runtime, client, callers, perSecond });
          console.error(
            `${runtime.padEnd(5)} ${client.padEnd(15)} c=${callers}: ${perSecond} req/s`,
          );
        }
      }
    }
  } finally {
    stopServer();
    rmSync(buildDir, { recursive: true, force: true });
  }
  const find = (runtime: RuntimeKind, client: ClientKind, callers: number) =>
    results.find((r) => r.runtime === runtime && r.client === client && r.callers === callers)
      ?.perSecond ?? NaN;
  console.log(`\nclient req/s against Bun.serve (hello), ${SECONDS} s per case\n`);
  console.log("| runtime | client | 1 caller | 50 callers | keepwire ÷ this (1 / 50) |");
  console.log("|---|---|---|---|---|");
  for (const result of results.filter((r) => r.callers === 1)) {
    const many = find(result.runtime, result.client, 50);
    const ratio = (callers: number, value: number) =>
      (find(result.runtime, "keepwire", callers) / value).toFixed(2);
    console.log(
      `| ${result.runtime} | ${result.client} | ${result.perSecond} | ${many} | ` +
        `${ratio(1, result.perSecond)}× / ${ratio(50, many)}× |`,
    );
  }
}

const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
if (argv[0] === "--worker") {
  await measure(argv[1] as ClientKind, argv[2], Number(argv[3]));
  // Undici and the runtimes' fetch keep sockets open; the measurement is done.
  (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(0);
} else {
  await orchestrate();
}
