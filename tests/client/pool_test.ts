import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type PoolMember, PoolState } from "../../lib/client/pool.ts";

const A = "http://a:80";
const B = "http://b:80";

function member(origin: string, idleMs = 4000): PoolMember & { name: string } {
  return {
    name: `${origin}#${Math.random().toString(36).slice(2, 6)}`,
    origin,
    inFlight: 0,
    reusable: true,
    remainingRequests: Infinity,
    idleMs,
    idleDeadline: Infinity,
    pipelinable: false,
  };
}

type M = ReturnType<typeof member>;

function pool(maxConnectionsPerOrigin = 6, maxConnections = 256, pipelining = 1) {
  return new PoolState<M, string>({ maxConnectionsPerOrigin, maxConnections, pipelining });
}

/** Opens a connection through the pool and returns it busy. */
function open(state: PoolState<M, string>, origin: string, now = 0, pipelinable = false): M {
  const acquisition = state.acquire(origin, now, pipelinable);
  assert.equal(acquisition.kind, "connect");
  const created = member(origin);
  state.connected(created, pipelinable);
  return created;
}

describe("PoolState", () => {
  test("opens a connection when none is idle, then reuses it", () => {
    const state = pool();
    const first = open(state, A);
    assert.equal(state.finished(first, 10), "idle");
    const again = state.acquire(A, 20, false);
    assert.deepEqual(again, { kind: "reuse", member: first });
    assert.equal(first.inFlight, 1);
    assert.equal(state.size, 1);
  });

  test("reuses the most recently used idle connection first (LIFO)", () => {
    const state = pool();
    const older = open(state, A);
    const newer = open(state, A);
    state.finished(older, 10);
    state.finished(newer, 20);
    const acquisition = state.acquire(A, 30, false);
    assert.equal(acquisition.kind === "reuse" && acquisition.member, newer);
  });

  test("caps connections per origin and queues the rest in FIFO order", () => {
    const state = pool(2);
    const one = open(state, A);
    open(state, A);
    assert.equal(state.acquire(A, 0, false).kind, "wait");
    state.enqueue(A, false, false, "first");
    state.enqueue(A, false, false, "second");
    assert.equal(state.waiting, 2);
    assert.equal(state.finished(one, 5), "idle");
    const runnable = state.runnable(6);
    assert.deepEqual(runnable.map(([token, acquisition]) => [token, acquisition.kind]), [[
      "first",
      "reuse",
    ]]);
    assert.equal(state.waiting, 1);
  });

  test("serves other origins while one origin is at its cap", () => {
    const state = pool(1);
    open(state, A);
    state.enqueue(A, false, false, "a-waiter");
    state.enqueue(B, false, false, "b-waiter");
    const runnable = state.runnable(0);
    assert.deepEqual(runnable.map(([token, acquisition]) => [token, acquisition.kind]), [[
      "b-waiter",
      "connect",
    ]]);
  });

  test("evicts the longest-idle connection of another origin at the total cap", () => {
    const state = pool(6, 2);
    const a1 = open(state, A);
    const a2 = open(state, A);
    state.finished(a1, 10);
    state.finished(a2, 20);
    const acquisition = state.acquire(B, 30, false);
    assert.equal(acquisition.kind, "connect");
    assert.equal(acquisition.kind === "connect" && acquisition.evict, a1);
    assert.equal(state.size, 2);
  });

  test("waits at the total cap when nothing is idle", () => {
    const state = pool(6, 1);
    open(state, A);
    assert.equal(state.acquire(B, 0, false).kind, "wait");
  });

  test("drops idle connections past their deadline and reports them", () => {
    const state = pool();
    const stale = open(state, A);
    state.finished(stale, 0); // deadline 4000
    const acquisition = state.acquire(A, 4000, false);
    assert.equal(acquisition.kind, "connect");
    assert.deepEqual(state.takeExpired(), [stale]);
    assert.deepEqual(state.takeExpired(), []);
  });

  test("honours remainingRequests: a spent connection closes instead of idling", () => {
    const state = pool();
    const spent = open(state, A);
    spent.remainingRequests = 0;
    assert.equal(state.finished(spent, 1), "close");
    assert.equal(state.size, 0);
  });

  test("counts remainingRequests down as requests are assigned", () => {
    const state = pool();
    const conn = open(state, A);
    conn.remainingRequests = 1; // the server said max=1 after the first response
    state.finished(conn, 1);
    assert.equal(state.acquire(A, 2, false).kind, "reuse");
    assert.equal(conn.remainingRequests, 0);
    assert.equal(state.finished(conn, 3), "close");
  });

  test("closes a connection marked not reusable once its responses are done", () => {
    const state = pool();
    const conn = open(state, A);
    conn.reusable = false;
    assert.equal(state.finished(conn, 1), "close");
    assert.equal(state.acquire(A, 2, false).kind, "connect");
  });

  test("pipelines only pipelinable requests, up to the depth", () => {
    const state = pool(1, 256, 2);
    const conn = open(state, A, 0, true);
    assert.equal(state.acquire(A, 0, false).kind, "wait", "a POST is never pipelined");
    const second = state.acquire(A, 0, true);
    assert.equal(second.kind === "pipeline" && second.member, conn);
    assert.equal(conn.inFlight, 2);
    assert.equal(state.acquire(A, 0, true).kind, "wait", "depth reached");
    assert.equal(state.finished(conn, 1), "busy");
    assert.equal(state.finished(conn, 2), "idle");
  });

  test("does not pipeline behind a non-pipelinable request", () => {
    const state = pool(1, 256, 4);
    open(state, A, 0, false);
    assert.equal(state.acquire(A, 0, true).kind, "wait");
  });

  test("a fresh acquisition skips idle connections and replaces one at the cap", () => {
    const state = pool(1);
    const idle = open(state, A);
    state.finished(idle, 0);
    const acquisition = state.acquire(A, 1, false, true);
    assert.equal(acquisition.kind, "connect");
    assert.equal(acquisition.kind === "connect" && acquisition.evict, idle);
    assert.equal(state.size, 1);
  });

  test("removal frees the slot; dequeue forgets a waiter; drain empties all", () => {
    const state = pool(1);
    const conn = open(state, A);
    state.enqueue(A, false, false, "w");
    assert.equal(state.dequeue("w"), true);
    assert.equal(state.dequeue("w"), false);
    state.remove(conn);
    state.remove(conn);
    assert.equal(state.size, 0);
    const again = open(state, A);
    state.enqueue(A, false, false, "x");
    const drained = state.drain();
    assert.deepEqual(drained.members, [again]);
    assert.deepEqual(drained.waiters, ["x"]);
    assert.equal(again.reusable, false);
    assert.equal(state.size, 0);
  });

  test("a failed connect frees its reserved slot", () => {
    const state = pool(1);
    assert.equal(state.acquire(A, 0, false).kind, "connect");
    assert.equal(state.acquire(A, 0, false).kind, "wait");
    state.connectFailed(A);
    assert.equal(state.acquire(A, 0, false).kind, "connect");
  });
});
