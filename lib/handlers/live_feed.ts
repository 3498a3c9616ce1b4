/**
 * The live page's feed: one subscription to the server's connection events
 * feeds the {@linkcode ConnectionHistory} and every open event stream.
 *
 * Each event stream gets a `snapshot` event first, then every connection
 * event as its own `connection` event, written in batches (one write every
 * `eventInterval` ms at most, so a burst of ten thousand requests costs a
 * few writes, not ten thousand) each followed by a `stats` event. A reader
 * that falls behind, or a batch larger than {@linkcode MAX_BATCH_EVENTS},
 * gets a fresh snapshot instead of the backlog (at most one a second): memory
 * stays bounded and the page stays correct (WHATWG HTML §9.2 for the
 * event-stream format).
 *
 * @module
 */

import type { ConnectionEvent } from "../connection/observer.ts";
import { ConnectionHistory, formatRemote } from "./connection_history.ts";
import type { LiveServerView } from "./server_view.ts";
import type { LiveSnapshot } from "./live.ts";
import type { UpstreamSnapshot } from "./proxy.ts";

/** Events one stream may have pending before it is sent a snapshot instead. */
export const MAX_BATCH_EVENTS = 2000;

/**
 * Least time between two snapshots sent to one stream instead of a backlog:
 * under a load test every batch overflows, and a snapshot is far larger than
 * a batch.
 */
const MIN_RESYNC_INTERVAL = 1000;

/**
 * Longest time between two `stats` events while upstreams are shown: their
 * pools change (connections retire, hints count down) without a downstream
 * event to carry the news.
 */
const UPSTREAM_REFRESH_INTERVAL = 1000;

/** Writes a stream may have queued unread before it is considered behind. */
const MAX_QUEUED_WRITES = 8;

const encoder = new TextEncoder();

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  pending: string[];
  resync: boolean;
  lastSnapshotAt: number;
  lastStatsAt: number;
}

/** Connection events for the page: the open event carries the peer as text. */
function wireEvent(event: ConnectionEvent): string {
  const data = event.type === "open"
    ? { type: "open", id: event.id, time: event.time, remote: formatRemote(event.remoteAddr) }
    : event;
  return `event: connection\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Keeps the history and the event streams of one live handler. */
export class LiveFeed {
  readonly history: ConnectionHistory = new ConnectionHistory();
  #server: LiveServerView | null = null;
  #stopObserving: (() => void) | null = null;
  #clients = new Set<Client>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #eventInterval: number;
  #stopped = false;
  #upstreams: (() => readonly UpstreamSnapshot[]) | undefined;

  constructor(
    eventInterval: number,
    signal: AbortSignal | undefined,
    upstreams?: () => readonly UpstreamSnapshot[],
  ) {
    this.#eventInterval = eventInterval;
    this.#upstreams = upstreams;
    if (signal?.aborted) this.#stopped = true;
    else signal?.addEventListener("abort", () => this.#stop(), { once: true });
  }

  /**
   * Starts observing `server` (once; a later, different server replaces it).
   * Observing goes on after the signal aborts, so the metrics count the
   * shutdown's closes too.
   */
  watch(server: LiveServerView): void {
    if (this.#server === server || this.#stopped) return;
    this.#stopObserving?.();
    this.#server = server;
    this.#stopObserving = server.observeConnections((event) => this.#onEvent(event));
    this.history.seed(server.connections(), server.limits.keepAliveTimeout);
  }

  /** The whole picture now. */
  snapshot(server: LiveServerView): LiveSnapshot {
    const now = Date.now();
    const stats = { ...server.stats };
    const known = new Map(this.history.open().map((record) => [record.id, record]));
    return {
      now,
      limits: server.limits,
      stats,
      reuseRatio: stats.totalRequests === 0 ? 0 : stats.reusedRequests / stats.totalRequests,
      connections: server.connections().map((c) => {
        const record = known.get(c.id);
        return {
          id: c.id,
          remote: formatRemote(c.remoteAddr),
          state: c.state,
          requests: c.requests,
          openedAt: c.openedAt,
          idleTimeLeft: c.idleTimeLeft,
          idleSince: record?.idleSince ?? null,
          upgradedAt: record?.upgradedAt ?? null,
          exchanges: record?.exchanges ?? [],
        };
      }),
      recentlyClosed: this.history.closed(),
      closes: { ...this.history.closes },
      upgrades: this.history.upgrades,
      ...(this.#upstreams === undefined ? {} : { upstreams: this.#upstreams() }),
    };
  }

  /** A `text/event-stream` body: the snapshot now, then every event. */
  stream(server: LiveServerView): ReadableStream<Uint8Array> {
    let client: Client | null = null;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        // `retry` tells EventSource how soon to reconnect after a restart (WHATWG HTML §9.2).
        controller.enqueue(encoder.encode("retry: 2000\n\n" + this.#snapshotEvent(server)));
        if (this.#stopped) {
          controller.close();
          return;
        }
        const now = Date.now();
        client = { controller, pending: [], resync: false, lastSnapshotAt: now, lastStatsAt: now };
        this.#clients.add(client);
        this.#timer ??= setInterval(() => this.#flush(), this.#eventInterval);
      },
      cancel: () => {
        if (client !== null) this.#remove(client);
      },
    });
  }

  #snapshotEvent(server: LiveServerView): string {
    return `event: snapshot\ndata: ${JSON.stringify(this.snapshot(server))}\n\n`;
  }

  #onEvent(event: ConnectionEvent): void {
    this.history.apply(event);
    if (this.#clients.size === 0) return;
    const text = wireEvent(event);
    for (const client of this.#clients) {
      if (client.resync) continue;
      if (client.pending.length >= MAX_BATCH_EVENTS) {
        client.pending.length = 0;
        client.resync = true;
      } else {
        client.pending.push(text);
      }
    }
  }

  #flush(): void {
    const server = this.#server;
    if (server === null) return;
    let stats: string | null = null;
    const now = Date.now();
    for (const client of this.#clients) {
      const refresh = this.#upstreams !== undefined &&
        now - client.lastStatsAt >= UPSTREAM_REFRESH_INTERVAL;
      if (!client.resync && client.pending.length === 0 && !refresh) continue;
      if ((client.controller.desiredSize ?? 0) < -MAX_QUEUED_WRITES) {
        client.pending.length = 0;
        client.resync = true;
        continue;
      }
      let text: string;
      if (client.resync) {
        if (now - client.lastSnapshotAt < MIN_RESYNC_INTERVAL) continue;
        text = this.#snapshotEvent(server);
        client.resync = false;
        client.lastSnapshotAt = now;
      } else {
        stats ??= `event: stats\ndata: ${
          JSON.stringify({
            now,
            stats: server.stats,
            ...(this.#upstreams === undefined ? {} : { upstreams: this.#upstreams() }),
          })
        }\n\n`;
        text = client.pending.join("") + stats;
        client.lastStatsAt = now;
      }
      client.pending.length = 0;
      try {
        client.controller.enqueue(encoder.encode(text));
      } catch {
        this.#remove(client);
      }
    }
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #stop(): void {
    this.#stopped = true;
    this.#flush();
    for (const client of [...this.#clients]) {
      this.#remove(client);
      try {
        client.controller.close();
      } catch {
        // already closed by the reader
      }
    }
  }
}
