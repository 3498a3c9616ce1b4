/**
 * `/_keepwire/metrics`: the live page's numbers for machines, in the
 * Prometheus text exposition format 0.0.4 (one `# HELP` and one `# TYPE`
 * line per metric family, then `name{label="value"} number` samples;
 * counters end in `_total`, a histogram has cumulative `_bucket{le=…}`
 * samples ending with `le="+Inf"`, then `_sum` and `_count`).
 *
 * @module
 */

import type { ServerLimits } from "../connection/observer.ts";
import type { ServerStats } from "../connection/options.ts";
import { type ConnectionHistory, REQUESTS_PER_CONNECTION_BUCKETS } from "./connection_history.ts";

/**
 * The content type of the text exposition format.
 *
 * @example
 * ```ts
 * import { METRICS_CONTENT_TYPE } from "./live_metrics.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(METRICS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
 * ```
 */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Renders the server's metrics.
 *
 * @example
 * ```ts
 * import { ConnectionHistory } from "./connection_history.ts";
 * import { renderMetrics } from "./live_metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = { openConnections: 1, idleConnections: 1, upgradedConnections: 0, totalConnections: 3, totalRequests: 7, reusedRequests: 4 };
 * const text = renderMetrics(stats, new ConnectionHistory(), null);
 * assert.ok(text.includes("\nkeepwire_requests_total 7\n"));
 * ```
 *
 * @param stats the server's counters
 * @param history closes by cause and the requests-per-connection histogram
 * @param limits the timeouts in force, when known
 * @returns the exposition text, ending with a newline
 */
export function renderMetrics(
  stats: ServerStats,
  history: ConnectionHistory,
  limits: ServerLimits | null,
): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, samples: string[]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  family("keepwire_connections_open", "gauge", "Connections open now.", [
    `keepwire_connections_open ${stats.openConnections}`,
  ]);
  family("keepwire_connections_idle", "gauge", "Open connections waiting for a request.", [
    `keepwire_connections_idle ${stats.idleConnections}`,
  ]);
  family(
    "keepwire_connections_upgraded",
    "gauge",
    "Open connections handed to another protocol (a WebSocket) by a 101.",
    [`keepwire_connections_upgraded ${stats.upgradedConnections}`],
  );
  family("keepwire_connections_total", "counter", "Connections accepted since start.", [
    `keepwire_connections_total ${stats.totalConnections}`,
  ]);
  family("keepwire_requests_total", "counter", "Requests whose head was parsed since start.", [
    `keepwire_requests_total ${stats.totalRequests}`,
  ]);
  family(
    "keepwire_requests_reused_total",
    "counter",
    "Requests that arrived on a connection that had already carried one.",
    [`keepwire_requests_reused_total ${stats.reusedRequests}`],
  );
  family(
    "keepwire_upgrades_total",
    "counter",
    "Connections upgraded to another protocol (a 101 written) since the page began observing.",
    [`keepwire_upgrades_total ${history.upgrades}`],
  );
  family(
    "keepwire_connections_closed_total",
    "counter",
    "Connections closed, by the reason that decided the close.",
    Object.entries(history.closes).map(([cause, count]) =>
      `keepwire_connections_closed_total{cause="${cause}"} ${count}`
    ),
  );
  const buckets: string[] = [];
  let cumulative = 0;
  REQUESTS_PER_CONNECTION_BUCKETS.forEach((bound, i) => {
    cumulative += history.requestsPerConnection[i];
    buckets.push(`keepwire_requests_per_connection_bucket{le="${bound}"} ${cumulative}`);
  });
  cumulative += history.requestsPerConnection[REQUESTS_PER_CONNECTION_BUCKETS.length];
  buckets.push(
    `keepwire_requests_per_connection_bucket{le="+Inf"} ${cumulative}`,
    `keepwire_requests_per_connection_sum ${history.requestsOnClosed}`,
    `keepwire_requests_per_connection_count ${cumulative}`,
  );
  family(
    "keepwire_requests_per_connection",
    "histogram",
    "Requests carried by each closed connection.",
    buckets,
  );
  if (limits !== null) {
    family("keepwire_timeout_seconds", "gauge", "Timeouts in force, by kind.", [
      `keepwire_timeout_seconds{kind="idle"} ${limits.keepAliveTimeout / 1000}`,
      `keepwire_timeout_seconds{kind="headers"} ${limits.headersTimeout / 1000}`,
      `keepwire_timeout_seconds{kind="body"} ${limits.requestBodyTimeout / 1000}`,
      `keepwire_timeout_seconds{kind="send"} ${limits.sendTimeout / 1000}`,
    ]);
    family(
      "keepwire_max_requests_per_connection",
      "gauge",
      "Requests one connection may carry.",
      [`keepwire_max_requests_per_connection ${limits.maxRequestsPerConnection}`],
    );
  }
  return lines.join("\n") + "\n";
}
