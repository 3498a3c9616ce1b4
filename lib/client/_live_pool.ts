/**
 * The client's pool carried out on live connections: {@linkcode PoolState}
 * decides (reuse an idle connection, join a pipeline, connect, or wait);
 * this object does it — dials with the connect timeout, queues and wakes
 * waiters, closes what expired, and runs the one coarse sweeper timer.
 *
 * @module
 */

import { ClientConnection, type ConnectionOwner, type ConnectionSettings } from "./_connection.ts";
import { ClientError } from "./errors.ts";
import { type PoolLimits, PoolState } from "./pool.ts";
import { parseKeepAliveHint } from "./reuse.ts";
import type { ConnectFunction } from "../transport.ts";
import { connectAttempt, connectFailure, describeTarget, type Route } from "./_route.ts";
import type { PooledConnection } from "./options.ts";
import type { MutableStats } from "./_response.ts";
import type { AbortSignalLike } from "./_prepare.ts";
import { unrefTimer } from "../_runtime_hooks.ts";

interface QueuedRequest {
  resolve(connection: ClientConnection): void;
  reject(error: unknown): void;
  readonly route: Route;
}

/** What the live pool needs to know besides the pool's limits. */
export interface LivePoolSettings {
  /** Dials a connection (the running runtime's). */
  readonly connect: ConnectFunction;
  /** Timeouts and limits of each connection. */
  readonly connection: ConnectionSettings;
  /** Milliseconds a connection attempt may take. */
  readonly connectTimeout: number;
  /** The caps of the pool. */
  readonly limits: PoolLimits;
}

/** The client's connections: acquired per request, released by their responses. */
export class LivePool {
  #settings: LivePoolSettings;
  #pool: PoolState<ClientConnection, QueuedRequest>;
  #stats: MutableStats;
  #nextId = 0;
  #closed = false;
  #open = new Set<ClientConnection>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #owner: ConnectionOwner = {
    exchangeDone: (connection) => this.#exchangeDone(connection),
    connectionGone: (connection) => this.#connectionGone(connection),
  };

  /** An empty pool; `stats` is the client's, bumped as connections open and close. */
  constructor(settings: LivePoolSettings, stats: MutableStats) {
    this.#settings = settings;
    this.#stats = stats;
    this.#pool = new PoolState(settings.limits);
  }

  /** True once {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Open connections, idle ones and queued requests. */
  get occupancy(): { open: number; idle: number; queued: number } {
    const pool = this.#pool;
    return { open: pool.size, idle: pool.idleCount, queued: pool.waiting };
  }

  /** The open connections, oldest first (see `KeepAliveClient.connections()`). */
  connections(): PooledConnection[] {
    const now = performance.now();
    const list: PooledConnection[] = [];
    for (const connection of this.#open) {
      if (connection.closed) continue;
      const idle = connection.inFlight === 0;
      const hint = connection.lastKeepAlive === ""
        ? undefined
        : parseKeepAliveHint(connection.lastKeepAlive).timeout;
      list.push({
        id: connection.id,
        origin: connection.origin,
        state: idle ? "idle" : "busy",
        requests: connection.requestCount,
        idleLifetime: connection.idleMs,
        idleTimeLeft: idle && Number.isFinite(connection.idleDeadline)
          ? Math.max(0, connection.idleDeadline - now)
          : null,
        serverTimeout: hint === undefined ? null : hint * 1000,
        remainingRequests: Number.isFinite(connection.remainingRequests)
          ? connection.remainingRequests
          : null,
      });
    }
    return list;
  }

  /** Closes every connection and fails the queued requests with `error`; later requests are refused. */
  close(error: ClientError): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const { members, waiters } = this.#pool.drain();
    for (const waiter of waiters) waiter.reject(error);
    for (const member of members) member.close(error);
  }

  /**
   * A connection for one request on `route`: an idle one, a pipelined slot,
   * a new one (`fresh`: never a reused one), or a place in the queue, which
   * an abort of `signal` leaves.
   */
  acquire(
    route: Route,
    pipelinable: boolean,
    fresh: boolean,
    signal: AbortSignalLike | null,
  ): Promise<ClientConnection> | ClientConnection {
    const origin = route.key;
    const acquisition = this.#pool.acquire(origin, performance.now(), pipelinable, fresh);
    this.#closeExpired();
    switch (acquisition.kind) {
      case "reuse":
        acquisition.member.socket?.ref?.();
        return acquisition.member;
      case "pipeline":
        return acquisition.member;
      case "connect":
        acquisition.evict?.close();
        return this.#connectNew(route, pipelinable);
      case "wait":
        return new Promise((resolve, reject) => {
          const queued: QueuedRequest = { resolve, reject, route };
          this.#pool.enqueue(origin, pipelinable, fresh, queued);
          signal?.addEventListener("abort", () => {
            if (this.#pool.dequeue(queued)) reject(signal.reason);
          }, { once: true });
        });
    }
  }

  // A response has been read completely on `connection`.
  #exchangeDone(connection: ClientConnection): void {
    const verdict = this.#pool.finished(connection, performance.now());
    if (verdict === "close") connection.close();
    // An idle pool must not keep the process alive (as the sweeper does not).
    else if (verdict === "idle") connection.socket?.unref?.();
    this.#dispatch();
  }

  #connectionGone(connection: ClientConnection): void {
    this.#pool.remove(connection);
    this.#open.delete(connection);
    this.#stats.connectionsClosed++;
    this.#dispatch();
  }

  async #connectNew(route: Route, pipelinable: boolean): Promise<ClientConnection> {
    const origin = route.key;
    const { options, tunnel } = connectAttempt(route);
    const connectTimeout = this.#settings.connectTimeout;
    const connection = new ClientConnection(
      origin,
      ++this.#nextId,
      this.#settings.connection,
      this.#owner,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const giveUp = new AbortController();
      const attempt = this.#settings.connect({ ...options, signal: giveUp.signal }, connection);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new ClientError(
            "connect-timeout",
            `no connection to ${describeTarget(route)} within ${connectTimeout} ms`,
          );
          reject(error);
          // The runtime closes a handshake or tunnel still in flight; one
          // that completes regardless is closed here.
          giveUp.abort(error);
          attempt.then((socket) => socket.close(), () => {});
        }, connectTimeout);
      });
      connection.socket = await Promise.race([attempt, timeout]);
    } catch (error) {
      this.#pool.connectFailed(origin);
      this.#dispatch();
      throw connectFailure(route, tunnel, error);
    } finally {
      clearTimeout(timer);
    }
    this.#stats.connectionsOpened++;
    this.#open.add(connection);
    this.#sweeper ??= this.#startSweeper();
    if (this.#closed) {
      connection.close(new ClientError("client-closed", "the client is closed"));
      throw new ClientError("client-closed", "the client is closed");
    }
    this.#pool.connected(connection, pipelinable);
    return connection;
  }

  #dispatch(): void {
    if (this.#pool.waiting === 0) return;
    for (const [queued, acquisition] of this.#pool.runnable(performance.now())) {
      switch (acquisition.kind) {
        case "reuse":
          acquisition.member.socket?.ref?.();
          queued.resolve(acquisition.member);
          break;
        case "pipeline":
          queued.resolve(acquisition.member);
          break;
        case "connect":
          acquisition.evict?.close();
          this.#connectNew(queued.route, false).then(
            queued.resolve,
            queued.reject,
          );
          break;
      }
    }
    this.#closeExpired();
  }

  // One coarse timer per client checks read deadlines and idle lifetimes:
  // cheaper than a timer per request, and precise enough for timeouts of
  // seconds (the tick is a quarter of the shortest one, 10 ms to 1 s).
  // Reuse never depends on it: acquire() checks idle deadlines itself.
  #startSweeper(): ReturnType<typeof setInterval> {
    const settings = this.#settings.connection;
    const shortest = Math.min(
      settings.headersTimeout > 0 ? settings.headersTimeout : Infinity,
      settings.bodyTimeout > 0 ? settings.bodyTimeout : Infinity,
      settings.policy.idleTimeout,
    );
    const tick = Math.max(10, Math.min(1_000, shortest / 4));
    const timer = setInterval(() => {
      const now = performance.now();
      for (const connection of this.#open) connection.checkDeadline(now);
      this.#pool.expireIdle(now);
      this.#closeExpired();
    }, tick);
    unrefTimer(timer);
    return timer;
  }

  #closeExpired(): void {
    for (const member of this.#pool.takeExpired()) member.close();
  }
}
