/**
 * The proxy's choice of upstream: round-robin or least-connections over the
 * upstreams that are not backing off, with passive health checks — an
 * upstream that refused a connection is skipped for a while (1 s, doubling
 * on each refusal in a row up to 30 s) as long as another one is available.
 * Pure state: time comes in as an argument, so it is tested without clocks.
 *
 * @module
 */

/**
 * How the proxy spreads requests over its upstreams: in turn, or to the one
 * with the fewest requests in flight.
 *
 * @example
 * ```ts
 * import type { BalanceStrategy } from "@keepwire/keepwire";
 *
 * const balance: BalanceStrategy = "least-connections";
 * ```
 */
export type BalanceStrategy = "round-robin" | "least-connections";

/** First back-off after a refused connection, in ms. */
export const HEALTH_BACKOFF_MIN = 1_000;
/** Longest back-off, in ms. */
export const HEALTH_BACKOFF_MAX = 30_000;

/** One upstream's health as the balancer tracks it. */
export interface UpstreamHealth {
  /** Refusals in a row (0 when healthy). */
  failures: number;
  /** Until when (ms, the caller's clock) the upstream is skipped. */
  downUntil: number;
}

/**
 * Picks upstreams by a strategy, skipping those backing off.
 *
 * @example
 * ```ts
 * import { UpstreamBalancer } from "./proxy_upstreams.ts";
 * import assert from "node:assert/strict";
 *
 * const balancer = new UpstreamBalancer(2, "round-robin");
 * assert.deepEqual([balancer.pick(0, () => 0), balancer.pick(0, () => 0)], [0, 1]);
 * balancer.refused(1, 0);
 * assert.deepEqual([balancer.pick(10, () => 0), balancer.pick(10, () => 0)], [0, 0]);
 * ```
 */
export class UpstreamBalancer {
  readonly health: UpstreamHealth[];
  #strategy: BalanceStrategy;
  #next = 0;

  /**
   * @param count how many upstreams there are
   * @param strategy round-robin or least-connections
   */
  constructor(count: number, strategy: BalanceStrategy) {
    this.health = Array.from({ length: count }, () => ({ failures: 0, downUntil: 0 }));
    this.#strategy = strategy;
  }

  /**
   * The index of the upstream for the next request. When every upstream is
   * backing off, the one that comes back first is tried anyway: answering
   * 502 without trying would turn a short outage into a longer one.
   *
   * @param now the current time in ms
   * @param busy how many requests an upstream has in flight (least-connections)
   * @param exclude an upstream already tried for this request
   */
  pick(now: number, busy: (index: number) => number, exclude = -1): number {
    const count = this.health.length;
    let best = -1;
    let bestBusy = Infinity;
    for (let step = 0; step < count; step++) {
      const index = (this.#next + step) % count;
      if (index === exclude || this.health[index].downUntil > now) continue;
      if (this.#strategy === "round-robin") {
        best = index;
        break;
      }
      const load = busy(index);
      if (load < bestBusy) {
        best = index;
        bestBusy = load;
      }
    }
    if (best === -1) {
      // All backing off (or only the excluded one is up): the soonest back.
      let soonest = Infinity;
      for (let index = 0; index < count; index++) {
        if (index === exclude && count > 1) continue;
        if (this.health[index].downUntil < soonest) {
          soonest = this.health[index].downUntil;
          best = index;
        }
      }
    }
    this.#next = (best + 1) % count;
    return best;
  }

  /** The upstream refused a connection: back off, doubling on each refusal in a row. */
  refused(index: number, now: number): void {
    const health = this.health[index];
    health.failures++;
    const backoff = Math.min(HEALTH_BACKOFF_MAX, HEALTH_BACKOFF_MIN * 2 ** (health.failures - 1));
    health.downUntil = now + backoff;
  }

  /** The upstream answered: it is healthy again. */
  answered(index: number): void {
    const health = this.health[index];
    health.failures = 0;
    health.downUntil = 0;
  }
}
