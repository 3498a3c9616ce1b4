/**
 * Mutation fuzzing of keepwire's WebSocket frame reader and of a
 * KeepwireWebSocket over an in-memory connection.
 *
 *   deno run -A scripts/fuzz_websocket.ts [--seconds 60] [--seed N]
 *
 * Inputs are the client byte streams of the conformance cases
 * (tests/websocket/_conformance_cases.ts), mutated where frames are
 * decided: header bits (FIN, RSV, opcode, MASK), length encodings, masking
 * keys, payload bytes (UTF-8), truncation, duplicated and spliced frames.
 * Oracles:
 *
 * - the readers throw nothing but `WebSocketError`, with close code 1002,
 *   1007 or 1009;
 * - no hang: the events of an input stay within a step budget of its length;
 * - split invariance: the same events and error whole, in random pieces and
 *   byte by byte;
 * - text messages that come out whole are UTF-8, no message exceeds the limit;
 * - a socket fed the input and then EOF fires `close` (once) within a
 *   second, never throws, and any Close it sends carries a sendable code.
 *
 * Prints iterations per second and every finding; exits 1 if there was any.
 *
 * @module
 */

import process from "node:process";
import { WebSocketError } from "../lib/codec/websocket/errors.ts";
import { FrameReader } from "../lib/codec/websocket/frame_reader.ts";
import { MessageReader } from "../lib/codec/websocket/message_reader.ts";
import { isValidCloseCode } from "../lib/codec/websocket/close.ts";
import { negotiatePerMessageDeflate, parseExtensions } from "../lib/codec/websocket/extensions.ts";
import { KeepwireWebSocket } from "../lib/websocket/websocket.ts";
import { CONFORMANCE_CASES } from "../tests/websocket/_conformance_cases.ts";
import { duplexPair, RawPeer } from "../tests/websocket/_peer.ts";
import { flag } from "./_flag.ts";
import { Random, randomCuts } from "./_fuzz_mutate.ts";
import { Findings, OracleFailure, type Outcome, piecesAt, sameOutcome } from "./_fuzz_findings.ts";

const args = process.argv.slice(2);
const seconds = Number(flag(args, "seconds", "60"));
const seed = Number(flag(args, "seed", String(Date.now() % 0x1_0000_0000)));
if (!(seconds > 0) || !Number.isInteger(seed)) {
  console.error("usage: fuzz_websocket.ts [--seconds N] [--seed N]");
  process.exit(2);
}

const MAX_MESSAGE = 512;
const ALLOWED_CLOSE_CODES = new Set([1002, 1007, 1009]);
const SEEDS: Uint8Array[] = CONFORMANCE_CASES.map((testCase) => {
  const parts = testCase.send.map((step) => step.bytes);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}).filter((bytes) => bytes.length <= 4096);
const DEFLATE = negotiatePerMessageDeflate(parseExtensions("permessage-deflate"));

const findings = new Findings<Uint8Array>((input) =>
  `(${input.length} bytes) ` +
  Array.from(input.subarray(0, 200), (b) => b.toString(16).padStart(2, "0")).join("")
);
const report = findings.report.bind(findings);

/** One mutation aimed at what decides framing. */
function mutate(input: Uint8Array, random: Random): Uint8Array {
  const bytes = input.slice();
  const at = () => random.below(Math.max(1, bytes.length));
  switch (random.below(9)) {
    case 0: // a header bit: FIN, RSV1-3, MASK
      if (bytes.length > 1) bytes[random.below(2)] ^= random.pick([0x80, 0x40, 0x20, 0x10, 0x80]);
      return bytes;
    case 1: // an opcode
      if (bytes.length > 0) bytes[0] = (bytes[0] & 0xf0) | random.below(16);
      return bytes;
    case 2: // a 7-bit length: boundaries and extended forms
      if (bytes.length > 1) {
        bytes[1] = (bytes[1] & 0x80) | random.pick([0, 1, 125, 126, 127, random.below(128)]);
      }
      return bytes;
    case 3: // any byte
      if (bytes.length > 0) bytes[at()] = random.below(256);
      return bytes;
    case 4: // a UTF-8 troublemaker
      if (bytes.length > 0) {
        bytes[at()] = random.pick([0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff]);
      }
      return bytes;
    case 5: // truncate
      return bytes.slice(0, at());
    case 6: { // duplicate a slice
      const from = at();
      const slice = bytes.slice(from, from + 1 + random.below(20));
      const out = new Uint8Array(bytes.length + slice.length);
      out.set(bytes);
      out.set(slice, bytes.length);
      return out;
    }
    case 7: { // splice another seed in
      const other = random.pick(SEEDS);
      const cut = at();
      const out = new Uint8Array(cut + other.length);
      out.set(bytes.subarray(0, cut));
      out.set(other, cut);
      return out;
    }
    default: // a big 64-bit length
      if (bytes.length > 10) {
        bytes[1] = (bytes[1] & 0x80) | 127;
        for (let i = 2; i < 10; i++) bytes[i] = random.below(256);
      }
      return bytes;
  }
}

function read(pieces: readonly Uint8Array[], compression: boolean): Outcome {
  const reader = new FrameReader({ role: "server", maxMessageSize: MAX_MESSAGE, compression });
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const budget = 3 * total + 8;
  const events: string[] = [];
  let data = "";
  let steps = 0;
  try {
    for (const piece of pieces) {
      reader.push(piece);
      for (let event = reader.next(); event !== null; event = reader.next()) {
        if (++steps > budget) throw new OracleFailure(`step budget: over ${budget} events`);
        if (event.type === "data") {
          if (event.bytes.length === 0) throw new OracleFailure("an empty data event");
          data += String.fromCharCode(...event.bytes);
          continue;
        }
        if (data !== "") events.push(`data ${JSON.stringify(data)}`);
        data = "";
        events.push(
          JSON.stringify(event, (_, value) => value instanceof Uint8Array ? [...value] : value),
        );
      }
    }
  } catch (thrown) {
    if (thrown instanceof OracleFailure) throw thrown;
    if (!(thrown instanceof WebSocketError)) throw new OracleFailure(`threw ${String(thrown)}`);
    if (!ALLOWED_CLOSE_CODES.has(thrown.closeCode)) {
      throw new OracleFailure(`WebSocketError with close code ${thrown.closeCode}`);
    }
    if (data !== "") events.push(`data ${JSON.stringify(data)}`);
    return { events, error: `${thrown.closeCode} ${thrown.code}` };
  }
  if (data !== "") events.push(`data ${JSON.stringify(data)}`);
  return { events, error: "" };
}

const fatal = new TextDecoder("utf-8", { fatal: true });

function codecIteration(input: Uint8Array, random: Random, iteration: number): void {
  const compression = random.chance(0.3);
  try {
    const whole = read([input], compression);
    const cuts = randomCuts(input.length, 1 + random.below(8), random);
    if (!sameOutcome(whole, read(piecesAt(input, cuts), compression))) {
      report("split", `cuts ${cuts.join(",")}`, input);
    }
    if (iteration % 4 === 0 && input.length <= 2048) {
      const single = Array.from(input, (_, i) => input.subarray(i, i + 1));
      if (!sameOutcome(whole, read(single, compression))) report("split", "byte by byte", input);
    }
    const messages = new MessageReader({
      role: "server",
      maxMessageSize: MAX_MESSAGE,
      compression,
    });
    messages.push(input);
    try {
      for (let event = messages.next(); event !== null; event = messages.next()) {
        if (event.type !== "message") continue;
        if (event.data.length > MAX_MESSAGE) {
          report("limit", `a message of ${event.data.length} bytes`, input);
        }
        if (event.kind === "text" && !event.compressed) {
          try {
            fatal.decode(event.data);
          } catch {
            report("utf8", "a text message that is not UTF-8 came out", input);
          }
        }
      }
    } catch (thrown) {
      if (!(thrown instanceof WebSocketError)) report("exception", String(thrown), input);
    }
  } catch (error) {
    if (!(error instanceof OracleFailure)) throw error;
    report(error.message.startsWith("step") ? "hang" : "exception", error.message, input);
  }
}

async function socketIteration(input: Uint8Array, random: Random): Promise<void> {
  const [socketSide, peerSide] = duplexPair();
  const socket = new KeepwireWebSocket({
    maxMessageSize: MAX_MESSAGE,
    deflate: random.chance(0.3) ? DEFLATE : null,
    closeTimeout: 200,
  });
  let closes = 0;
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  const closed = new Promise<void>((resolve) =>
    socket.addEventListener("close", () => {
      closes++;
      resolve();
    })
  );
  socket.attach(socketSide);
  const peer = new RawPeer(peerSide, "client", 1 << 20);
  try {
    for (const piece of piecesAt(input, randomCuts(input.length, random.below(4), random))) {
      await peer.send(piece).catch(() => {});
    }
    await peer.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), 1000)),
    ]);
    clearTimeout(timer);
    if (timedOut) report("socket-hang", "no close event within 1 s of EOF", input);
    for (;;) {
      const frame = await peer.next(500).catch(() => "eof" as const);
      if (frame === "eof") break;
      if (frame.type === "close" && frame.code !== 1005 && !isValidCloseCode(frame.code)) {
        report("socket-close-code", `sent close code ${frame.code}`, input);
      }
    }
    if (closes > 1) report("socket-close-twice", `${closes} close events`, input);
  } catch (error) {
    report("socket-exception", String(error), input);
  }
}

const random = new Random(seed);
console.log(`fuzz_websocket: seed ${seed}, ${seconds} s, ${SEEDS.length} seeds`);
const deadline = Date.now() + seconds * 1000;
let iterations = 0;
let socketRuns = 0;
while (Date.now() < deadline) {
  let input = random.pick(SEEDS);
  const rounds = 1 + random.below(4);
  for (let i = 0; i < rounds; i++) input = mutate(input, random);
  codecIteration(input, random, iterations);
  if (iterations % 20 === 0) {
    await socketIteration(input, random);
    socketRuns++;
  }
  iterations++;
}
console.log(
  `${iterations} inputs (${Math.round(iterations / seconds)}/s), ${socketRuns} through a socket`,
);
findings.exit(`seed ${seed}`);
