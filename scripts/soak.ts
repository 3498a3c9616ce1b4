/**
 * Soak: N seconds of mixed keep-alive traffic against the keepwire CLI's
 * echo server in a child process, watching errors and the server's memory.
 *
 *   deno run -A scripts/soak.ts [--seconds 60] [--runtime deno|bun|node] [--clients 32] [--max-heap-mb 48]
 *   npm run soak -- --runtime bun --seconds 600
 *
 * Each virtual client loops over a weighted mix on its own connection:
 * single requests, pipelined batches, chunked uploads, streamed and
 * length-framed downloads, idle gaps just under the keep-alive timeout
 * (the connection must still work) and past it (the server must have closed
 * it with a FIN), and abrupt disconnects mid-request. Every response is
 * checked. The server's RSS is sampled each second and reported at
 * start (after a warm-up), middle and end; after the clients leave, the
 * server must report no connection but the one asking.
 *
 * V8 (Deno, Node) grows its heap lazily for minutes, which looks like a
 * leak in RSS; `--max-heap-mb` caps the server's old space so that only a
 * real leak grows (and then crashes the server, an error).
 *
 * Exits 1 on any error, on memory growth, or if the server dies or does
 * not shut down cleanly.
 *
 * @module
 */

import process from "node:process";
import { closesWithin, readResponse, type WireResponse } from "../tests/_support/http_reader.ts";
import { delay, RawClient } from "../tests/_support/raw_client.ts";
import { type ChildServer, type Runtime, startChildServer } from "./_child_server.ts";
import { flag } from "./_flag.ts";
import { Random } from "./_fuzz_mutate.ts";

const args = process.argv.slice(2);
const seconds = Number(flag(args, "seconds", "60"));
const runtime = flag(args, "runtime", "deno") as Runtime;
const clientCount = Number(flag(args, "clients", "32"));
const maxHeapMb = args.some((arg) => arg.startsWith("--max-heap-mb"))
  ? Number(flag(args, "max-heap-mb", "64"))
  : undefined;
if (!(seconds > 0) || !(clientCount > 0) || !["deno", "bun", "node"].includes(runtime)) {
  console.error("usage: soak.ts [--seconds N] [--runtime deno|bun|node] [--clients N]");
  process.exit(2);
}

/** The server's keep-alive timeout (s); idle gaps are placed around it. */
const KEEP_ALIVE_S = 2;
const READ_TIMEOUT_MS = 15_000;
/** RSS may grow by this much from the warmed-up start before it counts as a leak. */
const RSS_ALLOWANCE = (start: number) => Math.max(32 * 1024 * 1024, start * 0.5);

const counts = {
  requests: 0,
  connections: 0,
  pipelined: 0,
  uploads: 0,
  downloads: 0,
  idleReuses: 0,
  idleCloses: 0,
  lateClients: 0,
  abrupt: 0,
};
const errors = new Map<string, number>();
const errorExamples: string[] = [];

function fail(kind: string, detail: string): void {
  errors.set(kind, (errors.get(kind) ?? 0) + 1);
  if (errorExamples.length < 10) errorExamples.push(`${kind}: ${detail}`);
}

class Expectation extends Error {}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Expectation(what);
}

/** One virtual client: a connection it replaces whenever the server ends it. */
class VirtualClient {
  #client: RawClient | null = null;
  #port: number;
  #random: Random;

  constructor(port: number, random: Random) {
    this.#port = port;
    this.#random = random;
  }

  async #connection(): Promise<RawClient> {
    if (this.#client === null) {
      this.#client = await RawClient.connect(this.#port);
      counts.connections++;
    }
    return this.#client;
  }

  /** Forget the connection (after `Connection: close`, an idle close or an error). */
  drop(): void {
    this.#client?.destroy();
    this.#client = null;
  }

  async #exchange(request: string, count = 1): Promise<WireResponse[]> {
    const client = await this.#connection();
    await client.write(request);
    const responses: WireResponse[] = [];
    for (let i = 0; i < count; i++) {
      const response = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS });
      counts.requests++;
      responses.push(response);
      if (response.headers.get("connection") === "close") {
        // The request limit can fall inside a pipeline: the rest is unanswered, by the rules.
        this.drop();
        break;
      }
    }
    return responses;
  }

  async get(): Promise<void> {
    const [response] = await this.#exchange("GET / HTTP/1.1\r\nHost: soak\r\n\r\n");
    expect(
      response.status === 200 && response.text === "Hello, World!",
      `GET / → ${response.status}`,
    );
  }

  async pipeline(): Promise<void> {
    const sizes = Array.from(
      { length: 2 + this.#random.below(15) },
      () => this.#random.below(4096),
    );
    const batch = sizes.map((n) => `GET /bytes?n=${n} HTTP/1.1\r\nHost: soak\r\n\r\n`).join("");
    const responses = await this.#exchange(batch, sizes.length);
    responses.forEach((response, i) =>
      expect(
        response.status === 200 && response.body.byteLength === sizes[i],
        `pipelined /bytes #${i}`,
      )
    );
    counts.pipelined += responses.length;
  }

  async upload(): Promise<void> {
    let total = 0;
    let body = "";
    for (let i = 1 + this.#random.below(8); i > 0; i--) {
      const size = 1 + this.#random.below(16 * 1024);
      body += `${size.toString(16)}\r\n${"u".repeat(size)}\r\n`;
      total += size;
    }
    const head = "POST /echo HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n";
    const [response] = await this.#exchange(head + body + "0\r\n\r\n");
    expect(response.status === 200, `chunked upload → ${response.status}`);
    expect(JSON.parse(response.text).bodyLength === total, "echoed body length");
    counts.uploads++;
  }

  async download(): Promise<void> {
    if (this.#random.chance(0.5)) {
      const chunks = 1 + this.#random.below(32);
      const size = 1 + this.#random.below(32 * 1024);
      const [response] = await this.#exchange(
        `GET /stream?chunks=${chunks}&size=${size} HTTP/1.1\r\nHost: soak\r\n\r\n`,
      );
      expect(
        response.body.byteLength === chunks * size,
        `/stream length ${response.body.byteLength}`,
      );
    } else {
      const n = this.#random.below(1024 * 1024);
      const [response] = await this.#exchange(`GET /bytes?n=${n} HTTP/1.1\r\nHost: soak\r\n\r\n`);
      expect(response.framing === "length" && response.body.byteLength === n, `/bytes?n=${n}`);
    }
    counts.downloads++;
  }

  /** Idle a while under the timeout, then reuse: the connection must still be there. */
  async idleUnderTimeout(): Promise<void> {
    await this.get();
    const client = this.#client;
    if (client === null) return;
    const answeredAt = Date.now();
    // Keep a margin before the hint runs out, as clients do (undici keeps 2 s; 1 s here).
    await delay(KEEP_ALIVE_S * 1000 * 0.4);
    const idle = Date.now() - answeredAt;
    if (idle >= KEEP_ALIVE_S * 1000 - 1_000) {
      // This process was too busy to keep its own schedule: not the server's fault.
      counts.lateClients++;
      this.drop();
      return;
    }
    const closedEarly = await closesWithin(client, 0);
    expect(!closedEarly, `the server closed a connection idle for only ${idle} ms`);
    await this.get();
    counts.idleReuses++;
  }

  /** Idle past the timeout: the server must have closed the connection, with a FIN. */
  async idlePastTimeout(): Promise<void> {
    await this.get();
    const client = this.#client;
    if (client === null) return;
    const closed = await closesWithin(client, KEEP_ALIVE_S * 1000 + 5_000);
    expect(closed, "an idle connection outlived the keep-alive timeout by 5 s");
    expect(client.error === undefined, `idle close was not a FIN: ${client.error?.code}`);
    this.drop();
    counts.idleCloses++;
  }

  /** Hang up mid-request or before reading the answer, with a FIN or a reset. */
  async abrupt(): Promise<void> {
    const client = await this.#connection();
    const request = "POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000\r\n\r\n" +
      "a".repeat(300);
    await client.write(
      this.#random.chance(0.5) ? request : "GET /bytes?n=500000 HTTP/1.1\r\nHost: soak\r\n\r\n",
    );
    if (this.#random.chance(0.5)) client.reset();
    else client.destroy();
    this.#client = null;
    counts.abrupt++;
  }
}

const ACTIONS: [keyof VirtualClient, number][] = [
  ["get", 30],
  ["pipeline", 15],
  ["upload", 15],
  ["download", 20],
  ["idleUnderTimeout", 4],
  ["idlePastTimeout", 2],
  ["abrupt", 6],
];
const WEIGHT = ACTIONS.reduce((sum, [, weight]) => sum + weight, 0);

function pickAction(random: Random): keyof VirtualClient {
  let roll = random.below(WEIGHT);
  for (const [action, weight] of ACTIONS) {
    if ((roll -= weight) < 0) return action;
  }
  return "get";
}

async function runClient(port: number, seed: number, until: number): Promise<void> {
  const random = new Random(seed);
  const client = new VirtualClient(port, random);
  while (Date.now() < until) {
    const action = pickAction(random);
    try {
      await (client[action] as () => Promise<void>).call(client);
    } catch (error) {
      fail(action, error instanceof Error ? error.message : String(error));
      client.drop();
    }
  }
  client.drop();
}

/** The server's own count of open connections, asked on a fresh connection. */
async function openConnections(server: ChildServer): Promise<number> {
  const client = await RawClient.connect(server.port);
  try {
    await client.write("GET /stats HTTP/1.1\r\nHost: soak\r\n\r\n");
    return JSON.parse((await readResponse(client, { timeoutMs: READ_TIMEOUT_MS })).text)
      .openConnections;
  } finally {
    client.destroy();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  console.log(
    `soak: ${seconds} s, ${clientCount} clients, ${runtime} server` +
      (maxHeapMb === undefined ? "" : `, old space capped at ${maxHeapMb} MB`),
  );
  const server = await startChildServer(runtime, [
    "echo",
    "--port",
    "0",
    "--hostname",
    "127.0.0.1",
    "--keep-alive-timeout",
    String(KEEP_ALIVE_S),
  ], maxHeapMb);
  const started = Date.now();
  const until = started + seconds * 1000;
  const samples: { at: number; rss: number }[] = [];
  const sampler = setInterval(
    () => samples.push({ at: Date.now() - started, rss: server.rss() }),
    1000,
  );
  const clients = Array.from(
    { length: clientCount },
    (_, i) => runClient(server.port, i + 1, until),
  );
  await Promise.all(clients);
  clearInterval(sampler);

  // Every client has left: after the linger time only our own /stats connection may remain.
  await delay(3_000);
  let leftOpen = -1;
  try {
    leftOpen = await openConnections(server);
  } catch (error) {
    fail("stats", String(error));
  }
  if (leftOpen !== 1) fail("leak", `${leftOpen} connections open after every client left`);

  const died = server.exitStatus();
  if (died !== null) fail("server died", `${died}: ${server.stderr().slice(-500)}`);
  const stopped = await server.stop();
  if (died === null && stopped !== "exit 0") fail("shutdown", stopped);

  // Start after a warm-up (a quarter of the run, at least 3 s): runtimes grow their heaps first.
  const warm = samples.filter((sample) => sample.at >= Math.max(3_000, seconds * 250));
  const start = warm[0]?.rss ?? NaN;
  const middle = warm[Math.floor(warm.length / 2)]?.rss ?? NaN;
  const end = warm.at(-1)?.rss ?? NaN;
  const peak = Math.max(...samples.map((sample) => sample.rss));
  if (!(end <= start + RSS_ALLOWANCE(start))) {
    fail("memory", `RSS grew from ${mb(start)} to ${mb(end)}`);
  }

  const errorTotal = [...errors.values()].reduce((sum, n) => sum + n, 0);
  const elapsed = (Date.now() - started) / 1000;
  console.log(
    `requests: ${counts.requests} (${
      Math.round(counts.requests / seconds)
    }/s) on ${counts.connections} connections; ` +
      `pipelined ${counts.pipelined}, chunked uploads ${counts.uploads}, downloads ${counts.downloads}, ` +
      `idle reuses ${counts.idleReuses} (${counts.lateClients} skipped: client late), idle closes ${counts.idleCloses}, abrupt disconnects ${counts.abrupt}`,
  );
  console.log(
    `server RSS (${runtime}): start ${mb(start)}, middle ${mb(middle)}, end ${mb(end)}, peak ${
      mb(peak)
    }; ` +
      `open connections after the run: ${leftOpen}; server ${stopped}; ${elapsed.toFixed(1)} s`,
  );
  // The whole curve, every 5 s: a leak climbs steadily, a heap warming up steps and levels off.
  const curve = samples.filter((_, i) => i % 5 === 4).map((sample) =>
    (sample.rss / 2 ** 20).toFixed(0)
  );
  console.log(`server RSS every 5 s (MB): ${curve.join(" ")}`);
  console.log(
    `errors: ${errorTotal}${
      errorTotal === 0 ? "" : " " + JSON.stringify(Object.fromEntries(errors))
    }`,
  );
  for (const example of errorExamples) console.log(`  ${example}`);
  process.exit(errorTotal === 0 ? 0 : 1);
}

await main();
