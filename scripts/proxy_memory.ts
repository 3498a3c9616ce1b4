/**
 * `npm run bench:proxy-memory`: issue 17's "a 1 GiB upload or download in
 * flat memory". `keepwire proxy` runs as its own process (Deno, Bun, Node;
 * pinned to CPU 0) in front of a node:http upstream in this process; a
 * 1 GiB download and a 1 GiB upload go through it, each with its slow
 * side stopping for a while after a quarter (the client stops reading, the
 * upstream stops reading), while the proxy's RSS is read every 25 ms from
 * /proc. Prints a Markdown table: baseline RSS, peak, growth, seconds.
 * Exits 1 when a growth passes the bound (96 MiB: V8 collects garbage
 * Buffers only after 64 MB of external allocations, so Node plateaus near
 * +64 MiB; see tests/cli/proxy_memory_test.ts). The proxy runs with
 * `--max-body-size 2147483648`: the server's default limit is 128 MiB
 * (nginx's `client_max_body_size` is 1 MiB).
 *
 *   deno run -A scripts/proxy_memory.ts
 *   deno run -A scripts/proxy_memory.ts --runtime bun --mib 256 --stall 1000
 *
 * Linux only (/proc). Bounded: each transfer has a deadline, and the
 * proxies are killed at the end.
 *
 * @module
 */

import process from "node:process";
import { cpus, loadavg } from "node:os";
import {
  killAllServers,
  removeBundles,
  type Runtime,
  startServer,
  stopServer,
} from "../bench/_process.ts";
import {
  MIB,
  proxiedDownload,
  proxiedUpload,
  startBodyUpstream,
  type TransferResult,
} from "../bench/_proxy_memory.ts";

/** The bound issue 17 is held to here: RSS growth over the baseline. */
const BOUND = 96 * MIB;

function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
}

const runtimes =
  (flag("--runtime", "all") === "all"
    ? ["deno", "bun", "node"]
    : flag("--runtime", "all").split(",")) as Runtime[];
const bytes = Number(flag("--mib", "1024")) * MIB;
const stallMs = Number(flag("--stall", "2000"));

function mib(value: number): string {
  return (value / MIB).toFixed(1);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no end within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const upstream = await startBodyUpstream();
  const rows: (TransferResult & { runtime: Runtime })[] = [];
  console.log(
    `proxy memory: ${mib(bytes)} MiB each way, slow side stalls ${stallMs} ms after a quarter; ` +
      `${cpus()[0]?.model ?? "?"} ×${cpus().length}, load ${loadavg()[0].toFixed(2)}\n`,
  );
  try {
    for (const runtime of runtimes) {
      const proxy = await startServer({
        name: `keepwire proxy (${runtime})`,
        runtime,
        entry: "lib/cli.ts",
        args: [
          "proxy",
          "--port",
          "0",
          "--no-live",
          "--max-body-size",
          String(2 * 1024 * MIB),
          "--to",
          `http://127.0.0.1:${upstream.port}`,
        ],
      }, "0");
      try {
        // Warm-up: JIT, pools and buffers reach their working size first.
        await proxiedDownload(proxy.pid, proxy.port, 16 * MIB, 0);
        await proxiedUpload(proxy.pid, proxy.port, 16 * MIB, 0);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const deadline = 120_000 + bytes / 1_000; // ≥ 1 MB/s beyond two minutes is broken
        for (const transfer of [proxiedDownload, proxiedUpload]) {
          const result = await withDeadline(
            transfer(proxy.pid, proxy.port, bytes, stallMs),
            deadline,
            `${runtime} ${transfer.name}`,
          );
          rows.push({ ...result, runtime });
          console.log(
            `${runtime} ${result.direction}: +${mib(result.growth)} MiB peak over ${
              mib(result.baselineRss)
            } MiB, ${result.seconds.toFixed(1)} s`,
          );
        }
      } finally {
        await stopServer(proxy);
      }
    }
  } finally {
    await upstream.close();
  }
  console.log(
    "\n| proxy | transfer | MiB | stall ms | RSS before MiB | peak MiB | growth MiB | seconds | MB/s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const row of rows) {
    console.log(
      `| keepwire proxy (${row.runtime}) | ${row.direction} | ${
        mib(row.bytes)
      } | ${row.stallMs} | ${mib(row.baselineRss)} | ${mib(row.peakRss)} | ${mib(row.growth)} | ${
        row.seconds.toFixed(1)
      } | ${(row.bytes / 1e6 / row.seconds).toFixed(0)} |`,
    );
  }
  const over = rows.filter((row) => row.growth >= BOUND);
  console.log(
    over.length === 0
      ? `\nEvery growth is under ${mib(BOUND)} MiB.`
      : `\nOVER ${mib(BOUND)} MiB: ${over.map((r) => `${r.runtime} ${r.direction}`).join(", ")}`,
  );
  return over.length === 0 ? 0 : 1;
}

let status = 1;
try {
  status = await main();
} finally {
  killAllServers();
  removeBundles();
}
process.exit(status);
