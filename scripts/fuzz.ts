/**
 * Mutation fuzzing of keepwire's request parser and of a live keepwire
 * server.
 *
 *   deno run -A scripts/fuzz.ts [--seconds 60] [--seed N] [--runtime deno|bun|node] [--live 0.2]
 *   npm run fuzz -- --seconds 600
 *
 * Inputs are requests from a corpus (valid shapes and every desync case),
 * mutated at the bytes that decide framing, often with more requests
 * pipelined behind them. Oracles:
 *
 * - the parser throws nothing but `ProtocolError`, with a status it may carry;
 * - no hang: the events of an input stay within a step budget of its length;
 * - split invariance: the same events and error whole, in random pieces and
 *   byte by byte;
 * - a valid request in front of any input parses the same (no input reaches
 *   back into the request before it);
 * - a live server (the CLI's echo server in a child process, the share of
 *   time set by `--live`) gets mutated inputs over real sockets in random
 *   pieces: it must close every connection after the client's FIN, never
 *   answer 500, answer a health check after every round, and never die.
 *
 * Prints iterations per second and every finding with its input; exits 1 if
 * there was any finding. `--seed` replays a run (the seed is printed).
 *
 * @module
 */

import { connect } from "node:net";
import process from "node:process";
import { Buffer } from "node:buffer";
import { CANARY } from "../tests/hardening/_desync_cases.ts";
import { ProtocolError } from "../lib/codec/errors.ts";
import type { RequestParserOptions } from "../lib/codec/limits.ts";
import { RequestParser } from "../lib/codec/request_parser.ts";
import { type ChildServer, type Runtime, startChildServer } from "./_child_server.ts";
import { flag } from "./_flag.ts";
import {
  generateInput,
  Random,
  randomCuts,
  SEEDS,
  showInput,
  VALID_SEEDS,
} from "./_fuzz_mutate.ts";
import { Findings, OracleFailure, type Outcome, piecesAt, sameOutcome } from "./_fuzz_findings.ts";

const args = process.argv.slice(2);
const seconds = Number(flag(args, "seconds", "60"));
const seed = Number(flag(args, "seed", String(Date.now() % 0x1_0000_0000)));
const runtime = flag(args, "runtime", "deno") as Runtime;
const liveShare = Number(flag(args, "live", "0.2"));
if (!(seconds > 0) || !Number.isInteger(seed) || !["deno", "bun", "node"].includes(runtime)) {
  console.error("usage: fuzz.ts [--seconds N] [--seed N] [--runtime deno|bun|node] [--live 0..1]");
  process.exit(2);
}

const ALLOWED_STATUSES = new Set([400, 408, 413, 414, 431, 501, 505]);

/** Small limits, so mutations reach every limit check too. */
const TIGHT: RequestParserOptions = {
  maxRequestLineSize: 48,
  maxHeaderSize: 160,
  maxHeaderCount: 6,
  maxBodySize: 64,
  maxChunkSizeDigits: 4,
  maxChunkExtensionSize: 24,
  maxTrailerSize: 48,
  maxLeadingEmptyLines: 2,
};

const findings = new Findings<string>(showInput);
const report = findings.report.bind(findings);

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Feeds `pieces` to a fresh parser, then EOF; enforces the exception and step-budget oracles. */
function parse(pieces: readonly Uint8Array[], options: RequestParserOptions | undefined): Outcome {
  const parser = new RequestParser(options);
  const total = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const budget = 2 * total + 8; // every event but `end` consumes at least one byte
  const events: string[] = [];
  let pendingData = "";
  let steps = 0;
  const drain = () => {
    for (let event = parser.next(); event !== null; event = parser.next()) {
      if (++steps > budget) throw new OracleFailure(`step budget: over ${budget} events`);
      if (event.type === "data") {
        if (event.bytes.byteLength === 0) throw new OracleFailure("an empty data event");
        pendingData += latin1(event.bytes);
        continue;
      }
      if (pendingData !== "") events.push(`data ${JSON.stringify(pendingData)}`);
      pendingData = "";
      events.push(JSON.stringify(event));
    }
  };
  let error = "";
  try {
    for (const piece of pieces) {
      parser.push(piece);
      drain();
    }
    parser.finish();
    drain();
  } catch (thrown) {
    if (thrown instanceof OracleFailure) throw thrown;
    if (!(thrown instanceof ProtocolError)) {
      throw new OracleFailure(`threw ${String(thrown)} (${(thrown as Error)?.stack ?? ""})`);
    }
    if (!ALLOWED_STATUSES.has(thrown.status)) {
      throw new OracleFailure(`ProtocolError with status ${thrown.status}`);
    }
    error = `${thrown.status} ${thrown.code}`;
  }
  if (pendingData !== "") events.push(`data ${JSON.stringify(pendingData)}`);
  return { events, error };
}

/** One codec iteration: every oracle on one generated input. */
function codecIteration(random: Random, iteration: number): void {
  const input = generateInput(random);
  const bytes = latin1Bytes(input);
  const options = random.chance(0.3) ? TIGHT : undefined;
  const limits = options === undefined ? "default limits" : "tight limits";
  try {
    const whole = parse([bytes], options);
    const cuts = randomCuts(bytes.length, 1 + random.below(8), random);
    const split = parse(piecesAt(bytes, cuts), options);
    if (!sameOutcome(whole, split)) {
      report("split", `${limits}, cuts ${cuts.join(",")}: ${diff(whole, split)}`, input);
    }
    if (iteration % 4 === 0 && bytes.length <= 1024) {
      const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
      const byteByByte = parse(single, options);
      if (!sameOutcome(whole, byteByByte)) {
        report("split", `${limits}, byte by byte: ${diff(whole, byteByByte)}`, input);
      }
    }
    if (random.chance(0.2)) {
      const valid = random.pick(VALID_SEEDS);
      const alone = parse([latin1Bytes(valid)], undefined);
      const both = parse([latin1Bytes(valid + input)], undefined);
      const prefix = both.events.slice(0, alone.events.length);
      if (alone.error !== "" || prefix.some((event, i) => event !== alone.events[i])) {
        report("prefix", `a valid request changed by what follows it`, valid + input);
      }
    }
  } catch (error) {
    if (!(error instanceof OracleFailure)) throw error;
    report(error.message.startsWith("step") ? "hang" : "exception", error.message, input);
  }
}

function diff(a: Outcome, b: Outcome): string {
  if (a.error !== b.error) return `error ${a.error || "none"} vs ${b.error || "none"}`;
  const at = a.events.findIndex((event, i) => event !== b.events[i]);
  return `event ${at}: ${a.events[at]} vs ${b.events[at]}`;
}

// ---- the live server ---------------------------------------------------------

const LIVE_CONCURRENCY = 8;
/** Generous: a loaded CI machine must not turn slowness into a finding; a hang still is one. */
const LIVE_CLOSE_TIMEOUT_MS = 30_000;
const liveStats = { connections: 0, resets: 0, writesAfterClose: 0, responses: 0 };

/** Sends one mutated input plus a canary in random pieces, then FIN; waits for the server to close. */
function liveConnection(server: ChildServer, random: Random): Promise<void> {
  const input = generateInput(random) + CANARY;
  const bytes = latin1Bytes(input);
  const pieces = piecesAt(bytes, randomCuts(bytes.length, random.below(6), random));
  const pauses = pieces.map(() => random.chance(0.5));
  return new Promise((resolve) => {
    const socket = connect({ port: server.port, host: "127.0.0.1" });
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      report("live", `no close ${LIVE_CLOSE_TIMEOUT_MS} ms after the client's FIN`, input);
      socket.destroy();
    }, LIVE_CLOSE_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ECONNRESET") liveStats.resets++;
      else if (error.code === "EPIPE") liveStats.writesAfterClose++; // still sending after the server's FIN
      else report("live", `client socket error ${error.code ?? error.message}`, input);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      liveStats.connections++;
      const text = latin1(Buffer.concat(received));
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => match[1]);
      liveStats.responses += statuses.length;
      if (text !== "" && !/^HTTP\/1\.[01] \d{3} /.test(text)) {
        report(
          "live",
          `the answer does not start with a status line: ${showInput(text.slice(0, 40))}`,
          input,
        );
      }
      if (statuses.includes("500")) report("live", "the server answered 500", input);
      resolve();
    });
    socket.on("connect", async () => {
      for (const [i, piece] of pieces.entries()) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (pauses[i]) await new Promise((r) => setTimeout(r, 0));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

async function healthCheck(server: ChildServer): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port: server.port, host: "127.0.0.1" });
    let text = "";
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), LIVE_CLOSE_TIMEOUT_MS);
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.endsWith("Hello, World!")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.startsWith("HTTP/1.1 200 "));
      }
    });
    socket.on("close", () => (clearTimeout(timer), resolve(false)));
    socket.write("GET / HTTP/1.1\r\nHost: health\r\n\r\n");
  });
}

async function liveRound(server: ChildServer, random: Random, until: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < until && server.exitStatus() === null) {
    while (inFlight.size < LIVE_CONCURRENCY) {
      const connection: Promise<void> = liveConnection(server, random)
        .finally(() => inFlight.delete(connection));
      inFlight.add(connection);
    }
    await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (server.exitStatus() !== null) {
    report("live", `the server died (${server.exitStatus()}): ${server.stderr().slice(-500)}`, "");
  } else if (!(await healthCheck(server))) {
    report("live", "the server did not answer a health check after a round", "");
  }
}

// ---- the run ---------------------------------------------------------------------

async function main(): Promise<void> {
  const useLive = liveShare > 0;
  console.log(
    `fuzz: ${seconds} s, seed ${seed}, ${SEEDS.length} seeds` +
      (useLive ? `, live ${runtime} server ${Math.round(liveShare * 100)}% of the time` : ""),
  );
  const random = new Random(seed);
  const server = useLive
    ? await startChildServer(runtime, [
      "echo",
      "--port",
      "0",
      "--hostname",
      "127.0.0.1",
      "--headers-timeout",
      "2",
      "--max-body-size",
      "65536",
    ])
    : null;
  const start = Date.now();
  const end = start + seconds * 1000;
  let iterations = 0;
  let codecMs = 0;
  let liveMs = 0;
  let nextProgress = start + 10_000;
  const ROUND_MS = 500;
  while (Date.now() < end) {
    const roundStart = Date.now();
    const codecUntil = Math.min(end, roundStart + ROUND_MS * (useLive ? 1 - liveShare : 1));
    while (Date.now() < codecUntil) {
      for (let i = 0; i < 32; i++) codecIteration(random, iterations++);
    }
    const liveStart = Date.now();
    codecMs += liveStart - roundStart;
    if (server !== null && liveStart < end) {
      await liveRound(server, random, Math.min(end, liveStart + ROUND_MS * liveShare));
    }
    liveMs += Date.now() - liveStart;
    if (Date.now() >= nextProgress) {
      nextProgress += 10_000;
      console.log(
        `  ${Math.round((Date.now() - start) / 1000)} s: ${iterations} inputs, ` +
          `${liveStats.connections} live connections, ${findings.count} findings`,
      );
    }
  }
  if (server !== null) {
    const status = await server.stop();
    if (status !== "exit 0") report("live", `the server did not shut down cleanly (${status})`, "");
  }
  const perSecond = (count: number, ms: number) => Math.round(count / Math.max(ms, 1) * 1000);
  console.log(
    `codec: ${iterations} inputs in ${(codecMs / 1000).toFixed(1)} s (${
      perSecond(iterations, codecMs)
    } iterations/s)`,
  );
  if (server !== null) {
    console.log(
      `live ${runtime}: ${liveStats.connections} connections in ${(liveMs / 1000).toFixed(1)} s (${
        perSecond(liveStats.connections, liveMs)
      }/s), ${liveStats.responses} responses, ${liveStats.resets} resets, ${liveStats.writesAfterClose} writes after the server's FIN`,
    );
  }
  findings.exit(`seed ${seed}`);
}

await main();
