/**
 * Every conformance case can fail: each is run against the in-memory echo
 * server as seen through a mutant — one wrong thing in what the server
 * sends — and must fail against every mutant that touches what it checks,
 * while passing against the server as it is. A case that passed whatever
 * the server did would prove nothing; this is the test of the tests (the
 * same runner, `runCase`, drives the cases over real sockets).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import {
  negotiatePerMessageDeflate,
  parseExtensions,
} from "../../lib/codec/websocket/extensions.ts";
import { KeepwireWebSocket } from "../../lib/websocket/websocket.ts";
import {
  type CaseConnection,
  CONFORMANCE_CASES,
  type ConformanceCase,
  runCase,
} from "./_conformance_cases.ts";
import { duplexPair, RawPeer } from "./_peer.ts";

type Seen = Awaited<ReturnType<CaseConnection["next"]>>;

/** A mutant: what the client would see from a server that gets one thing wrong. */
interface Mutant {
  name: string;
  /** Whether this mutant touches something the case checks (then the case must fail). */
  applies(testCase: ConformanceCase): boolean;
  /** Rewrites the server's frames as they arrive (`"eof"` included). */
  mutate(frames: Seen[]): Seen[];
}

const hasMessage = (c: ConformanceCase) =>
  c.expect.some((e) => "message" in e && e.payload.length > 0);
const hasPongPayload = (c: ConformanceCase) =>
  c.expect.some((e) => "pong" in e && e.pong.length > 0);

const MUTANTS: Mutant[] = [
  {
    name: "a different close code",
    applies: () => true,
    mutate: (frames) =>
      frames.map((f) =>
        f !== "eof" && f.type === "close" ? { ...f, code: f.code === 1000 ? 1001 : 1000 } : f
      ),
  },
  {
    name: "the first frame lost",
    applies: () => true,
    mutate: (frames) => frames.slice(1),
  },
  {
    name: "an extra pong before the end",
    applies: () => true,
    mutate: (frames) => [
      ...frames.slice(0, -1),
      { type: "pong", payload: new Uint8Array(0) },
      ...frames.slice(-1),
    ],
  },
  {
    name: "a byte in the middle of a message changed",
    applies: hasMessage,
    mutate: (frames) =>
      frames.map((f) => {
        if (f === "eof" || f.type !== "frame" || f.payload.length === 0) return f;
        const payload = f.payload.slice();
        // The middle, not an end: a compressed payload's last bits may be padding.
        payload[payload.length >> 1] ^= 0xff;
        return { ...f, payload };
      }),
  },
  {
    name: "text and binary swapped",
    applies: hasMessage,
    mutate: (frames) =>
      frames.map((f) =>
        f !== "eof" && f.type === "frame"
          ? { ...f, kind: f.kind === "text" ? "binary" : "text" }
          : f
      ),
  },
  {
    name: "pongs without their payload",
    applies: hasPongPayload,
    mutate: (frames) =>
      frames.map((f) =>
        f !== "eof" && f.type === "pong" ? { ...f, payload: new Uint8Array(0) } : f
      ),
  },
];

const DEFLATE = negotiatePerMessageDeflate(parseExtensions("permessage-deflate"));

/** Everything the in-memory echo server sends for a case, until its end. */
async function record(testCase: ConformanceCase): Promise<Seen[]> {
  const [socketSide, peerSide] = duplexPair();
  const socket = new KeepwireWebSocket({
    maxMessageSize: testCase.server?.maxMessageSize,
    deflate: testCase.server?.deflate ? DEFLATE : null,
  });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  socket.attach(socketSide);
  const peer = new RawPeer(peerSide, "client", 1 << 20);
  const frames: Seen[] = [];
  await runCase(testCase, {
    send: (bytes) => peer.send(bytes),
    next: async () => {
      const frame = await peer.next();
      frames.push(frame);
      return frame;
    },
  });
  return frames;
}

/** Replays recorded frames through `runCase` (it ignores what is sent). */
function replay(frames: Seen[]): CaseConnection {
  let at = 0;
  return {
    send: () => Promise.resolve(),
    next: () => {
      if (at >= frames.length) throw new Error("no frame from the server in time");
      return Promise.resolve(frames[at++]);
    },
  };
}

describe("every conformance case can fail", () => {
  for (const testCase of CONFORMANCE_CASES) {
    test(`${testCase.id}: passes as is, fails against each mutant that touches it`, async () => {
      const frames = await record(testCase);
      assert.deepEqual(await runCase(testCase, replay(frames)), testCase.expect);
      const survivors: string[] = [];
      for (const mutant of MUTANTS.filter((m) => m.applies(testCase))) {
        // isDeepStrictEqual, not assert.deepEqual: a failing assert diffs
        // 64 KiB payloads element by element, which takes minutes.
        const seen = await runCase(testCase, replay(mutant.mutate(frames))).catch(() => null);
        const failed = seen === null || !isDeepStrictEqual(seen, testCase.expect);
        if (!failed) survivors.push(mutant.name);
      }
      assert.deepEqual(survivors, [], `the case passed against: ${survivors.join(", ")}`);
    });
  }
});
