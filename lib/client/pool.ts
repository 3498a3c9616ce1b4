/**
 * The pool's decisions, sans-IO: which connection carries the next request
 * to an origin, when to open one, when to wait, when to let one go. It
 * holds plain records and a clock passed in by the caller; it never opens,
 * closes or times anything, it only says what to do.
 *
 * Theory of operation: per origin, idle connections sit on a stack, so the
 * most recently used is reused first (LIFO): it is the one least likely to
 * have been closed by the server, and the others age out on their idle
 * timers. A request takes an idle connection, or (with pipelining on, for
 * an idempotent request) joins a busy one that has room, or opens a new
 * one while the origin and the whole pool are under their caps, evicting
 * the longest-idle connection of another origin when only the total cap is
 * in the way; otherwise it waits in one FIFO queue, and every change of
 * state gives the waiters, in order, another chance.
 *
 * @module
 */

/** What the pool knows of one connection. The caller owns the object; the pool updates these fields. */
export interface PoolMember {
  /**
   * The pool key: the server's origin (`scheme://host:port`), or for a
   * proxied connection a key that also names the proxy (`_route.ts`).
   * Connections are shared only within one key.
   */
  readonly origin: string;
  /** Requests written and not yet fully answered. */
  inFlight: number;
  /** False once the connection must close after its current responses. */
  reusable: boolean;
  /** Requests the server will still take (`Infinity` when it did not say). */
  remainingRequests: number;
  /** How long this connection may sit idle, in ms (set from the last response). */
  idleMs: number;
  /** When an idle connection expires (clock of the caller), or `Infinity` while busy. */
  idleDeadline: number;
  /** True while the requests in flight may have another pipelined behind them. */
  pipelinable: boolean;
}

/** Limits of a {@linkcode PoolState}. */
export interface PoolLimits {
  /** Most connections per origin (idle, busy and connecting). */
  readonly maxConnectionsPerOrigin: number;
  /** Most connections across all origins. */
  readonly maxConnections: number;
  /** Most requests in flight on one connection; 1 turns pipelining off. */
  readonly pipelining: number;
}

/** What to do with a request: use `member`, open a new connection (closing `evict` first), or wait. */
export type Acquisition<M extends PoolMember> =
  | { readonly kind: "reuse"; readonly member: M }
  | { readonly kind: "pipeline"; readonly member: M }
  | { readonly kind: "connect"; readonly evict: M | undefined }
  | { readonly kind: "wait" };

interface OriginState<M> {
  idle: M[];
  busy: Set<M>;
  connecting: number;
}

interface Waiter<W> {
  readonly origin: string;
  readonly pipelinable: boolean;
  readonly fresh: boolean;
  readonly token: W;
}

const WAIT = Object.freeze({ kind: "wait" as const });

/**
 * The pool's state machine. `M` is the caller's connection record, `W` the
 * caller's token for a queued request.
 */
export class PoolState<M extends PoolMember, W = unknown> {
  readonly limits: PoolLimits;
  #origins = new Map<string, OriginState<M>>();
  #total = 0;
  #waiters: Waiter<W>[] = [];
  /** Members found expired by the last call; the caller closes them. */
  #expired: M[] = [];

  constructor(limits: PoolLimits) {
    this.limits = limits;
  }

  /** Connections open or opening, across origins. */
  get size(): number {
    return this.#total;
  }

  /** Idle connections across origins. */
  get idleCount(): number {
    let count = 0;
    for (const state of this.#origins.values()) count += state.idle.length;
    return count;
  }

  /** Requests waiting for a connection. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Idle members found past their deadline since the last call, removed
   * from the pool: the caller closes them. Clears the list.
   */
  takeExpired(): M[] {
    const expired = this.#expired;
    this.#expired = [];
    return expired;
  }

  /**
   * Decides how a request to `origin` goes out now. `pipelinable` says the
   * request may be pipelined (idempotent, no body). On `reuse` and
   * `pipeline` the member is already counted busy; on `connect` a slot is
   * reserved: call `connected` or `connectFailed` next. `fresh` asks for a
   * new connection (a retry after a stale one failed).
   */
  acquire(origin: string, now: number, pipelinable: boolean, fresh = false): Acquisition<M> {
    const state = this.#state(origin);
    // A retry must not meet another stale connection: `fresh` skips reuse.
    for (
      let member = fresh ? undefined : state.idle.pop();
      member !== undefined;
      member = state.idle.pop()
    ) {
      if (member.idleDeadline > now && member.reusable && member.remainingRequests > 0) {
        this.#take(state, member, pipelinable);
        return { kind: "reuse", member };
      }
      this.#total--;
      this.#expired.push(member);
    }
    if (pipelinable && !fresh && this.limits.pipelining > 1) {
      for (const member of state.busy) {
        if (
          member.pipelinable && member.reusable && member.remainingRequests > 0 &&
          member.inFlight < this.limits.pipelining
        ) {
          this.#take(state, member, pipelinable);
          return { kind: "pipeline", member };
        }
      }
    }
    const count = state.idle.length + state.busy.size + state.connecting;
    if (count >= this.limits.maxConnectionsPerOrigin) {
      // A fresh connection may replace an idle one of the same origin.
      const replaced = fresh ? state.idle.shift() : undefined;
      if (replaced === undefined) return WAIT;
      state.connecting++;
      return { kind: "connect", evict: replaced };
    }
    let evict: M | undefined;
    if (this.#total >= this.limits.maxConnections) {
      evict = this.#evictIdle();
      if (evict === undefined) return WAIT;
    }
    state.connecting++;
    this.#total++;
    return { kind: "connect", evict };
  }

  /** A connection opened for `acquire`'s `connect` now carries its first request. */
  connected(member: M, pipelinable: boolean): void {
    const state = this.#state(member.origin);
    state.connecting--;
    this.#take(state, member, pipelinable);
  }

  /** Opening the connection reserved by `acquire` failed; its slot is free again. */
  connectFailed(origin: string): void {
    this.#state(origin).connecting--;
    this.#total--;
  }

  /**
   * One response on `member` has been read completely. Returns `"idle"`
   * when the connection now waits on the idle stack, `"busy"` when it still
   * has requests in flight, `"close"` when it must be closed (it has left
   * the pool).
   */
  finished(member: M, now: number): "idle" | "busy" | "close" {
    const state = this.#state(member.origin);
    member.inFlight--;
    if (!member.reusable || member.remainingRequests <= 0) {
      if (member.inFlight > 0) return "busy";
      this.remove(member);
      return "close";
    }
    if (member.inFlight > 0) return "busy";
    state.busy.delete(member);
    member.pipelinable = false;
    member.idleDeadline = now + member.idleMs;
    state.idle.push(member);
    return "idle";
  }

  /** The connection is gone (closed by either side); forget it. Idempotent. */
  remove(member: M): void {
    const state = this.#origins.get(member.origin);
    if (state === undefined) return;
    member.reusable = false;
    if (state.busy.delete(member)) {
      this.#total--;
    } else {
      const index = state.idle.indexOf(member);
      if (index === -1) return;
      state.idle.splice(index, 1);
      this.#total--;
    }
    this.#forgetIfEmpty(member.origin, state);
  }

  /** Moves every idle member past its deadline to the expired list (see `takeExpired`). */
  expireIdle(now: number): void {
    for (const [origin, state] of this.#origins) {
      const kept = state.idle.filter((member) => member.idleDeadline > now);
      if (kept.length === state.idle.length) continue;
      for (const member of state.idle) if (member.idleDeadline <= now) this.#expired.push(member);
      this.#total -= state.idle.length - kept.length;
      state.idle = kept;
      this.#forgetIfEmpty(origin, state);
    }
  }

  /** Queues a request that got `wait`. */
  enqueue(origin: string, pipelinable: boolean, fresh: boolean, token: W): void {
    this.#waiters.push({ origin, pipelinable, fresh, token });
  }

  /** Drops a queued request (aborted). Returns false when it was not queued. */
  dequeue(token: W): boolean {
    const index = this.#waiters.findIndex((waiter) => waiter.token === token);
    if (index === -1) return false;
    this.#waiters.splice(index, 1);
    return true;
  }

  /**
   * The queued requests that can go now, in FIFO order, each with its
   * acquisition (already applied). Call after anything frees capacity.
   */
  runnable(now: number): [W, Acquisition<M>][] {
    const result: [W, Acquisition<M>][] = [];
    const blocked = new Set<string>();
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i];
      if (blocked.has(waiter.origin)) {
        i++;
        continue;
      }
      const acquisition = this.acquire(waiter.origin, now, waiter.pipelinable, waiter.fresh);
      if (acquisition.kind === "wait") {
        blocked.add(waiter.origin);
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      result.push([waiter.token, acquisition]);
    }
    return result;
  }

  /** Empties the pool: every member (idle and busy) and every waiter's token, to close and reject. */
  drain(): { members: M[]; waiters: W[] } {
    const members: M[] = [];
    for (const state of this.#origins.values()) members.push(...state.idle, ...state.busy);
    for (const member of members) member.reusable = false;
    const waiters = this.#waiters.map((waiter) => waiter.token);
    this.#origins.clear();
    this.#waiters = [];
    this.#total = 0;
    return { members, waiters };
  }

  #take(state: OriginState<M>, member: M, pipelinable: boolean): void {
    state.busy.add(member);
    member.inFlight++;
    member.remainingRequests--;
    member.idleDeadline = Infinity;
    member.pipelinable = pipelinable && (member.inFlight === 1 || member.pipelinable);
  }

  // The idle connection of another origin that has waited longest; the
  // stack bottom of each origin is its oldest.
  #evictIdle(): M | undefined {
    let oldest: M | undefined;
    for (const state of this.#origins.values()) {
      const candidate = state.idle[0];
      if (candidate === undefined) continue;
      if (oldest === undefined || candidate.idleDeadline < oldest.idleDeadline) oldest = candidate;
    }
    if (oldest === undefined) return undefined;
    const state = this.#state(oldest.origin);
    state.idle.shift();
    this.#total--;
    this.#forgetIfEmpty(oldest.origin, state);
    return oldest;
  }

  #state(origin: string): OriginState<M> {
    let state = this.#origins.get(origin);
    if (state === undefined) {
      state = { idle: [], busy: new Set(), connecting: 0 };
      this.#origins.set(origin, state);
    }
    return state;
  }

  #forgetIfEmpty(origin: string, state: OriginState<M>): void {
    if (state.idle.length === 0 && state.busy.size === 0 && state.connecting === 0) {
      this.#origins.delete(origin);
    }
  }
}
