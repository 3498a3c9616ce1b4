// Test helpers: a fake ServeInfo and a fake server view, so handlers run without sockets.
import type { ConnectionSnapshot, ServeInfo, ServerStats } from "../../lib/connection/options.ts";
import type { ServerView } from "../../lib/handlers/server_view.ts";

export function fakeInfo(id = 1, requestIndex = 1, httpVersion: "1.0" | "1.1" = "1.1"): ServeInfo {
  return {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
    httpVersion,
    connection: { id, requestIndex },
    completed: Promise.resolve(),
  };
}

export function fakeServer(
  stats: Partial<ServerStats> = {},
  connections: ConnectionSnapshot[] = [],
): ServerView & { setConnections(list: ConnectionSnapshot[]): void } {
  let current = connections;
  return {
    stats: {
      openConnections: current.length,
      idleConnections: 0,
      upgradedConnections: 0,
      totalConnections: 0,
      totalRequests: 0,
      reusedRequests: 0,
      ...stats,
    },
    connections: () => current.map((c) => ({ ...c })),
    setConnections(list) {
      current = list;
    },
  };
}

export function snapshot(
  id: number,
  requests: number,
  state: ConnectionSnapshot["state"] = "idle",
): ConnectionSnapshot {
  return {
    id,
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 + id },
    state,
    requests,
    openedAt: 1_700_000_000_000,
    idleTimeLeft: state === "idle" ? 4000 : null,
  };
}
