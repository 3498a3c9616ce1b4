/**
 * What every benchmark server shares: the hello-world Fetch handler (written
 * once, served by keepwire, @hono/node-server, Deno.serve and Bun.serve), the
 * port from the command line, and the ready line the benchmark waits for.
 *
 * @module
 */

import process from "node:process";

/** The one hello-world handler every Fetch-handler server runs (issue 15's anchors' own). */
export const helloHandler = (): Response =>
  new Response("Hello, World!", { headers: { "content-type": "text/plain" } });

/** The body every server answers `/` with; the ceiling servers send it pre-encoded. */
export const HELLO_BODY = "Hello, World!";

/**
 * Idle keep-alive timeout given to every server that has one: long enough that
 * the idle-memory measurement's 5,000 connections stay open while RSS is read.
 */
export const BENCH_KEEP_ALIVE_MS = 120_000;

/** The port from `argv[2]`, else `$PORT`, else 0 (any free port). */
export function benchPort(): number {
  const raw = process.argv[2] ?? process.env.PORT ?? "0";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The host every benchmark server binds: loopback only. */
export const BENCH_HOST = "127.0.0.1";

/** Prints the ready line the benchmark (and keepwire's CLI) uses: `Listening on http://HOST:PORT/`. */
export function announce(port: number): void {
  console.log(`Listening on http://${BENCH_HOST}:${port}/`);
}
