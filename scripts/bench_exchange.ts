/**
 * `npm run bench:exchange`: the CPU cost of one keep-alive exchange inside
 * keepwire, without sockets, on Deno, Bun and Node.
 *
 * A fake transport feeds the server a wrk-like GET and takes its response,
 * over and over on one connection; the figure is process CPU time per
 * exchange (parse, Request, handler, Response, framing, keep-alive rules),
 * with the benchmark's own handler (bench/servers/_common.ts).
 * Unlike req/s over loopback it barely moves when other work shares the
 * machine, so it is the number to watch while profiling. Socket costs
 * (one write syscall per response, ~10 µs on Node) come on top.
 *
 * Each runtime prints two rows: the runtime's own Request/Response
 * (`native`), then the light ones (`light`); `(default)` marks the one
 * `serve()` picks there. Native goes first: the light globals, once
 * installed, stay for the rest of the process.
 *
 *   npm run bench:exchange                 all three runtimes
 *   deno run -A scripts/bench_exchange.ts  just this runtime (also: bun scripts/bench_exchange.ts)
 *   ... --light-fetch / --no-light-fetch   only that row
 *
 * @module
 */

import process from "node:process";
import { serveWith } from "../lib/connection/server.ts";
import { installLightFetchGlobals } from "../lib/fetch/light_fetch.ts";
import type { ListenFunction, Transport, TransportHandler } from "../lib/transport.ts";
import { helloHandler } from "../bench/servers/_common.ts";
import { detectRuntime } from "../lib/runtime/detect.ts";
import { installHooksFor } from "../lib/runtime/_hooks.ts";

// serveWith() runs no entry point: install what serve()'s would (Bun's
// synchronous read of a settled body read is on the measured path).
installHooksFor(detectRuntime());

const args = process.argv.slice(2);
const runtimeIsNode = !("Deno" in globalThis) && !("Bun" in globalThis);
// What serve() picks on each runtime by default.
const lightByDefault = runtimeIsNode;
const rows: boolean[] = args.includes("--light-fetch")
  ? [true]
  : args.includes("--no-light-fetch")
  ? [false]
  : [false, true];

const EXCHANGES = 100_000;
const WARM_UP = 20_000;
const ROUNDS = 5;
const REQUEST = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);
const PIPELINE = 16;

/** Runs `exchanges` requests (`depth` per delivery) and resolves when all are answered. */
async function measure(depth: number, lightFetchObjects: boolean): Promise<number[]> {
  let handler: TransportHandler | undefined;
  let answered = 0;
  let expected = 0;
  let wake: () => void = () => {};
  const addr = { transport: "tcp" as const, hostname: "127.0.0.1", port: 8080 };
  const transport: Transport = {
    remoteAddr: addr,
    write(bytes) {
      // Count status lines: a batch may carry several responses.
      for (let i = bytes.indexOf(0x48); i !== -1; i = bytes.indexOf(0x48, i + 1)) {
        if (bytes[i + 1] === 0x54 && bytes[i + 2] === 0x54 && bytes[i + 3] === 0x50) answered++;
      }
      if (answered >= expected) wake();
      return true;
    },
    pause() {},
    resume() {},
    end() {},
    close() {},
  };
  const listen: ListenFunction = (_options, onConnection) => {
    handler = onConnection(transport);
    return Promise.resolve({ addr, close: () => Promise.resolve() });
  };
  const server = await serveWith(listen, {
    port: 0,
    keepAliveTimeout: 3_600_000,
    maxRequestsPerConnection: Number.MAX_SAFE_INTEGER,
    lightFetchObjects,
  }, helloHandler);
  const batch = new Uint8Array(REQUEST.byteLength * depth);
  for (let i = 0; i < depth; i++) batch.set(REQUEST, i * REQUEST.byteLength);

  async function run(exchanges: number): Promise<void> {
    for (let sent = 0; sent < exchanges; sent += depth) {
      expected = answered + depth;
      const done = new Promise<void>((resolve) => (wake = resolve));
      handler!.onData(batch.slice());
      if (answered < expected) await done;
    }
  }
  await run(WARM_UP);
  const costs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    await run(EXCHANGES);
    const used = process.cpuUsage(before);
    costs.push((used.user + used.system) / EXCHANGES);
  }
  await server.shutdown();
  return costs;
}

function runtimeName(): string {
  const global = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (global.Deno !== undefined) return `deno ${global.Deno.version.deno}`;
  if (global.Bun !== undefined) return `bun ${global.Bun.version}`;
  return `node ${process.version}`;
}

const format = (costs: number[]) => {
  const sorted = [...costs].sort((a, b) => a - b);
  return `min ${sorted[0].toFixed(2)} µs, median ${sorted[sorted.length >> 1].toFixed(2)} µs`;
};
for (const wantLight of rows) {
  const lightFetchObjects = wantLight && installLightFetchGlobals();
  const single = await measure(1, lightFetchObjects);
  const pipelined = await measure(PIPELINE, lightFetchObjects);
  const label = `${runtimeName()} ${lightFetchObjects ? "light" : "native"}` +
    (lightFetchObjects === lightByDefault ? " (default)" : "");
  console.log(
    `${label.padEnd(30)} one at a time: ${format(single)} | ${PIPELINE} pipelined: ${
      format(pipelined)
    }  (CPU per exchange)`,
  );
}
process.exit(0);
