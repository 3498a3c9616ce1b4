/**
 * The byte relay of an upgraded connection through the reverse proxy
 * (RFC 9110 §7.8): once both sides have switched protocols, the proxy
 * copies bytes each way with back-pressure and understands none of them.
 *
 * Theory of operation: upstream bytes are written to the downstream
 * connection's writable, and the upstream socket is paused while too many
 * of those writes are pending; downstream bytes are written to the upstream
 * socket, waiting for its drain when it says its queue is full. When one
 * side finishes, the other is half-closed after the bytes already on their
 * way (a protocol's goodbye, such as a WebSocket Close frame, gets through),
 * and closed if it has not finished too within {@linkcode TUNNEL_LINGER_MS}.
 *
 * @module
 */

import type { UpgradedDuplex } from "../connection/upgrade.ts";
import { unrefTimer } from "../_runtime_hooks.ts";

/** After one side of a tunnel has finished, how long the other has to follow before it is closed, in ms. */
export const TUNNEL_LINGER_MS = 5_000;

// Writes handed to the downstream connection and not yet taken by its
// socket, before the upstream is paused.
const WRITES_IN_FLIGHT = 8;

/** The upstream side of a tunnel, as the relay drives it. */
export interface TunnelUpstream {
  /** Writes bytes to the upstream; false means wait for `drained()`. */
  write(bytes: Uint8Array): boolean;
  /** Half-closes the upstream socket (FIN after what is queued). */
  end(): void;
  /** Stops reading the upstream socket. */
  pause(): void;
  /** Reads it again. */
  resume(): void;
  /**
   * From now on, upstream bytes go to `sink` (the bytes that came before
   * first); `done` runs once when the upstream finishes or fails (at once
   * if it already has).
   */
  relayTo(sink: (bytes: Uint8Array) => void, done: () => void): void;
  /** Resolves when the socket's write queue has drained (or the socket is gone). */
  drained(): Promise<void>;
  /** Closes the upstream socket now. */
  close(): void;
}

/**
 * Joins `upstream` and `downstream` until both have finished (or the
 * linger ends it).
 *
 * @param upstream the switched upstream connection
 * @param downstream the switched downstream connection, from the server
 */
export function relayTunnel(upstream: TunnelUpstream, downstream: UpgradedDuplex): void {
  const writer = downstream.writable.getWriter();
  const reader = downstream.readable.getReader();
  let inFlight = 0;
  let paused = false;
  let upstreamDone = false;
  let downstreamDone = false;
  let lingering: ReturnType<typeof setTimeout> | undefined;
  const linger = (then: () => void) => {
    lingering ??= setTimeout(then, TUNNEL_LINGER_MS);
    unrefTimer(lingering);
  };
  const bothDone = () => clearTimeout(lingering);
  const toDownstream = (bytes: Uint8Array) => {
    inFlight++;
    writer.write(bytes).then(() => {
      inFlight--;
      if (paused && inFlight < WRITES_IN_FLIGHT / 2) {
        paused = false;
        upstream.resume();
      }
    }, () => upstream.close());
    if (!paused && inFlight >= WRITES_IN_FLIGHT) {
      paused = true;
      upstream.pause();
    }
  };
  const onUpstreamDone = () => {
    if (upstreamDone) return;
    upstreamDone = true;
    writer.close().catch(() => {});
    if (downstreamDone) return bothDone();
    linger(() => reader.cancel().catch(() => {}));
  };
  upstream.relayTo(toDownstream, onUpstreamDone);
  if (!paused && !upstreamDone) upstream.resume();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // The upstream is gone: what the client still sends has nowhere to
        // go, but it is read until the client finishes (or the linger ends).
        if (upstreamDone) continue;
        if (!upstream.write(value)) await upstream.drained();
      }
    } catch {
      // The downstream connection failed: nothing more to relay upstream.
      upstream.close();
    }
    downstreamDone = true;
    if (upstreamDone) return bothDone();
    // The client finished: half-close upstream, and let it finish too.
    upstream.end();
    linger(() => upstream.close());
  })();
}
