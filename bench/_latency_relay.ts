/**
 * A TCP relay that adds latency, for the stale-connection race (issue 17).
 *
 * On loopback a proxy sees the upstream's FIN microseconds after it is
 * sent, so it almost never reuses a connection the upstream has just
 * closed: nginx with a naive 60 s upstream keep-alive gave 0 502s there.
 * Between real hosts the FIN takes a one-way trip, and a request the proxy
 * sends during that trip meets a closed socket at the upstream (RFC 9112
 * §9.5: a server may close an idle connection at any time; the client may
 * not have seen it yet). This relay sits between proxy and upstream and
 * delays everything by `delayMs` each way — data, and the FIN or reset
 * behind it, in order — so the race appears as it does on a network.
 * Only this relay is slowed; nothing is changed on `lo` (no `tc netem`).
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from "node:net";

/** A running relay. */
export interface LatencyRelay {
  /** The port the proxy connects to. */
  readonly port: number;
  /** Connections accepted so far (each opened one upstream). */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Forwards `from` to `to` after `delayMs`: each chunk, then the FIN (as
 * `end()`), or a reset/error (as `destroy()`), in the order they came. One
 * constant delay keeps the order: timers of equal delay fire in turn.
 */
function forward(from: Socket, to: Socket, delayMs: number): void {
  let ended = false;
  from.on("data", (chunk: Uint8Array) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on("end", () => {
    ended = true;
    setTimeout(() => {
      if (!to.destroyed) to.end();
    }, delayMs);
  });
  from.on("close", () => {
    if (ended) return;
    // Closed without a FIN (reset, error): the other side learns it late too.
    setTimeout(() => to.destroy(), delayMs);
  });
  from.on("error", () => {});
}

/**
 * Starts a relay on 127.0.0.1 to `127.0.0.1:upstreamPort`, adding
 * `delayMs` to every byte and to every close, each way.
 */
export async function startLatencyRelay(
  upstreamPort: number,
  delayMs: number,
): Promise<LatencyRelay> {
  let connections = 0;
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (downstream) => {
    connections++;
    const upstream = connect({ port: upstreamPort, host: "127.0.0.1", allowHalfOpen: true });
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.setNoDelay(true);
    }
    forward(downstream, upstream, delayMs);
    forward(upstream, downstream, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
