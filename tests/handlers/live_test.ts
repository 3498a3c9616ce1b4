/**
 * The live page: its routes against a fake server that emits connection
 * events by hand, and the history's bounds. /_keepwire/metrics is checked
 * in live_metrics_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLiveHandler, type LiveSnapshot } from "../../lib/handlers/live.ts";
import {
  ConnectionHistory,
  MAX_EXCHANGES_KEPT,
  REQUESTS_PER_CONNECTION_BUCKETS,
} from "../../lib/handlers/connection_history.ts";
import { MAX_BATCH_EVENTS } from "../../lib/handlers/live_feed.ts";
import { isLoopbackHostname } from "../../lib/handlers/loopback.ts";
import type { ConnectionEvent, ConnectionEventListener } from "../../lib/connection/observer.ts";
import type { ConnectionSnapshot, ServerStats } from "../../lib/connection/options.ts";
import type { LiveServerView } from "../../lib/handlers/server_view.ts";
import { fakeInfo } from "./_fake_server.ts";

const LIMITS = {
  keepAliveTimeout: 5000,
  headersTimeout: 20_000,
  requestBodyTimeout: 30_000,
  sendTimeout: 60_000,
  maxRequestsPerConnection: 1000,
};
const remoteAddr = (id: number) =>
  ({ transport: "tcp", hostname: "127.0.0.1", port: 40000 + id }) as const;

/** A server view whose events the test emits by hand, with counters kept to match. */
class FakeLiveServer implements LiveServerView {
  readonly limits = LIMITS;
  listeners = new Set<ConnectionEventListener>();
  #open = new Map<number, ConnectionSnapshot>();
  #stats = { totalConnections: 0, totalRequests: 0, reusedRequests: 0 };

  get stats(): ServerStats {
    const open = [...this.#open.values()];
    return {
      ...this.#stats,
      openConnections: open.length,
      idleConnections: open.filter((c) => c.state === "idle").length,
      upgradedConnections: open.filter((c) => c.state === "upgraded").length,
    };
  }
  connections(): ConnectionSnapshot[] {
    return [...this.#open.values()];
  }
  observeConnections(listener: ConnectionEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ConnectionEvent): void {
    const c = this.#open.get(event.id);
    if (event.type === "open") {
      this.#stats.totalConnections++;
      this.#open.set(event.id, {
        id: event.id,
        remoteAddr: event.remoteAddr,
        state: "idle",
        requests: 0,
        openedAt: event.time,
        idleTimeLeft: LIMITS.keepAliveTimeout,
      });
    } else if (event.type === "request" && c !== undefined) {
      this.#stats.totalRequests++;
      if (event.index > 1) this.#stats.reusedRequests++;
      this.#open.set(event.id, { ...c, state: "busy", requests: event.index, idleTimeLeft: null });
    } else if (event.type === "idle" && c !== undefined) {
      this.#open.set(event.id, { ...c, state: "idle", idleTimeLeft: LIMITS.keepAliveTimeout });
    } else if (event.type === "close") {
      this.#open.delete(event.id);
    }
    for (const listener of this.listeners) listener(event);
  }
  /** One whole connection: open, `requests` exchanges, then close for `cause`. */
  connection(
    id: number,
    requests: number,
    cause: "client_close" | "idle_timeout" = "client_close",
  ) {
    const t = 1_000_000 + id * 100;
    this.emit({ type: "open", id, time: t, remoteAddr: remoteAddr(id) });
    for (let i = 1; i <= requests; i++) {
      this.emit({ type: "request", id, time: t + i * 2, index: i });
      this.emit({ type: "response", id, time: t + i * 2 + 1, index: i, status: 200 });
      this.emit({ type: "idle", id, time: t + i * 2 + 1 });
    }
    this.emit({ type: "close", id, time: t + 50, cause, requests });
  }
}

const get = (handler: ReturnType<typeof createLiveHandler>, target: string, init?: RequestInit) =>
  Promise.resolve(handler(new Request(`http://127.0.0.1:8080${target}`, init), fakeInfo()));

const buffers = new WeakMap<ReadableStreamDefaultReader<Uint8Array>, { text: string }>();
const decoder = new TextDecoder();

/** Reads SSE messages until `count` have arrived; returns them as { event, data }. */
async function readMessages(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
): Promise<Array<{ event: string; data: unknown }>> {
  const buffer = buffers.get(reader) ?? { text: "" };
  buffers.set(reader, buffer);
  const messages: Array<{ event: string; data: unknown }> = [];
  while (messages.length < count) {
    const end = buffer.text.indexOf("\n\n");
    if (end === -1) {
      const { done, value } = await reader.read();
      if (done) throw new Error("stream ended");
      buffer.text += decoder.decode(value, { stream: true });
      continue;
    }
    const block = buffer.text.slice(0, end);
    buffer.text = buffer.text.slice(end + 2);
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (data !== undefined) messages.push({ event, data: JSON.parse(data) });
  }
  return messages;
}

describe("live page handler: routes", () => {
  test("serves the page as self-contained HTML with a known length", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    const response = await get(live, "/_keepwire/");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await response.text();
    assert.equal(
      response.headers.get("content-length"),
      String(new TextEncoder().encode(html).byteLength),
    );
    assert.ok(html.includes("<script>") && html.includes("<style>"));
    assert.ok(html.includes("/_keepwire/events") && html.includes("/_keepwire/stats.json"));
    assert.ok(html.includes('id="timeline"') && html.includes('id="chart"'));
    assert.ok(!/<(link|img|script)[^>]+(src|href)=/.test(html), "no external assets");
  });

  test("writes the snapshot of the moment into the page, unable to end its script", async () => {
    const server = new FakeLiveServer();
    server.emit({
      type: "open",
      id: 7,
      time: 1,
      remoteAddr: { transport: "tcp", hostname: "</script><b>", port: 1 },
    });
    const live = createLiveHandler({ getServer: () => server });
    const html = await (await get(live, "/_keepwire/")).text();
    assert.equal(html.split("</script>").length, 2, "one script element, closed once");
    const json = /var initial = (.*);\n/.exec(html)?.[1];
    assert.ok(json !== undefined);
    const snapshot: LiveSnapshot = JSON.parse(json);
    assert.equal(snapshot.connections[0].remote, "</script><b>:1");
  });

  test("answers HEAD without a body, redirects /_keepwire, 404s and 405s the rest", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    assert.equal((await get(live, "/_keepwire/", { method: "HEAD" })).body, null);
    const redirect = await get(live, "/_keepwire");
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/_keepwire/");
    assert.equal((await get(live, "/_keepwire/nope")).status, 404);
    assert.equal((await get(live, "/elsewhere")).status, 404);
    assert.equal((await get(live, "/_keepwire/", { method: "POST", body: "x" })).status, 405);
  });

  test("answers stats.json, events and metrics with 503 before the server runs", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    for (const route of ["stats.json", "events", "metrics"]) {
      assert.equal((await get(live, `/_keepwire/${route}`)).status, 503, route);
    }
  });
});

describe("live page handler: every event counts", () => {
  test("remembers every connection, however short, with its exchanges and close cause", async () => {
    const server = new FakeLiveServer();
    const live = createLiveHandler({ getServer: () => server });
    // Three connections open and close between two looks: sampling would miss them all.
    server.connection(1, 3);
    server.connection(2, 1, "idle_timeout");
    server.connection(3, 2);
    server.emit({ type: "open", id: 4, time: 2_000_000, remoteAddr: remoteAddr(4) });
    server.emit({ type: "request", id: 4, time: 2_000_001, index: 1 });
    const body: LiveSnapshot = await (await get(live, "/_keepwire/stats.json")).json();
    assert.deepEqual(body.recentlyClosed.map((c) => [c.id, c.requests, c.cause]), [
      [3, 2, "client_close"],
      [2, 1, "idle_timeout"],
      [1, 3, "client_close"],
    ]);
    assert.deepEqual(body.recentlyClosed[2].exchanges, [
      [1_000_102, 1_000_103],
      [1_000_104, 1_000_105],
      [1_000_106, 1_000_107],
    ]);
    assert.deepEqual(
      body.connections.map((c) => [c.id, c.state, c.requests, c.exchanges]),
      [[4, "busy", 1, [[2_000_001, null]]]],
    );
    assert.equal(body.closes.client_close, 2);
    assert.equal(body.closes.idle_timeout, 1);
    assert.equal(body.stats.totalConnections, 4);
    assert.equal(body.reuseRatio, 3 / 7);
    assert.deepEqual(body.limits, LIMITS);
  });

  test("learns the connections already open when it first sees the server", async () => {
    const server = new FakeLiveServer();
    server.emit({ type: "open", id: 9, time: 5, remoteAddr: remoteAddr(9) });
    const live = createLiveHandler({ getServer: () => server });
    server.emit({ type: "request", id: 9, time: 6, index: 1 });
    server.emit({ type: "close", id: 9, time: 7, cause: "request_close", requests: 1 });
    const body: LiveSnapshot = await (await get(live, "/_keepwire/stats.json")).json();
    assert.deepEqual(body.recentlyClosed.map((c) => [c.id, c.cause, c.exchanges.length]), [
      [9, "request_close", 1],
    ]);
  });

  test("streams a snapshot, then every event as its own SSE event, then the stats", async () => {
    const server = new FakeLiveServer();
    const live = createLiveHandler({ getServer: () => server, eventInterval: 5 });
    const response = await get(live, "/_keepwire/events");
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("content-length"), null);
    const reader = response.body!.getReader();
    const [snapshot] = await readMessages(reader, 1);
    assert.equal(snapshot.event, "snapshot");
    server.connection(1, 2);
    server.connection(2, 1);
    const messages = await readMessages(reader, 13);
    assert.deepEqual(
      messages.map((m) => m.event === "connection" ? (m.data as ConnectionEvent).type : m.event),
      [
        ...["open", "request", "response", "idle", "request", "response", "idle", "close"],
        ...["open", "request", "response", "idle", "close"],
      ],
    );
    assert.deepEqual(messages[0].data, {
      type: "open",
      id: 1,
      time: 1_000_100,
      remote: "127.0.0.1:40001",
    });
    const [stats] = await readMessages(reader, 1);
    assert.equal(stats.event, "stats");
    assert.equal((stats.data as { stats: ServerStats }).stats.totalRequests, 3);
    await reader.cancel();
  });

  test("sends a fresh snapshot instead of a backlog larger than a batch, at most one a second", async () => {
    const server = new FakeLiveServer();
    const live = createLiveHandler({ getServer: () => server, eventInterval: 20 });
    const reader = (await get(live, "/_keepwire/events")).body!.getReader();
    const started = Date.now();
    await readMessages(reader, 1);
    for (let id = 1; id <= MAX_BATCH_EVENTS / 2; id++) server.connection(id, 1);
    const [next] = await readMessages(reader, 1);
    assert.equal(next.event, "snapshot");
    assert.ok(Date.now() - started >= 900, "not sooner than a second after the last snapshot");
    assert.equal((next.data as LiveSnapshot).stats.totalConnections, MAX_BATCH_EVENTS / 2);
    // Then events flow one by one again.
    server.connection(MAX_BATCH_EVENTS, 0);
    const [open] = await readMessages(reader, 1);
    assert.deepEqual([open.event, (open.data as ConnectionEvent).id], [
      "connection",
      MAX_BATCH_EVENTS,
    ]);
    await reader.cancel();
  });

  test("ends every event stream when the signal aborts, and stops its timer on cancel", async () => {
    const controller = new AbortController();
    const server = new FakeLiveServer();
    const live = createLiveHandler({ getServer: () => server, signal: controller.signal });
    const reader = (await get(live, "/_keepwire/events")).body!.getReader();
    await readMessages(reader, 1);
    controller.abort();
    for (;;) if ((await reader.read()).done) break;
    const other = createLiveHandler({ getServer: () => server, eventInterval: 5 });
    await (await get(other, "/_keepwire/events")).body!.cancel();
    // A leaked interval would keep Deno's test sanitizer (and Node's event loop) busy.
  });
});

describe("ConnectionHistory", () => {
  test("keeps the newest closed connections and the latest exchanges, within bounds", () => {
    const history = new ConnectionHistory(2);
    for (let id = 1; id <= 3; id++) {
      history.apply({ type: "open", id, time: id, remoteAddr: remoteAddr(id) });
      history.apply({ type: "close", id, time: id + 1, cause: "client_close", requests: id });
    }
    assert.deepEqual(history.closed().map((c) => c.id), [3, 2]);
    history.apply({ type: "open", id: 4, time: 0, remoteAddr: remoteAddr(4) });
    for (let i = 1; i <= MAX_EXCHANGES_KEPT + 5; i++) {
      history.apply({ type: "request", id: 4, time: i, index: i });
    }
    const [open] = history.open();
    assert.equal(open.requests, MAX_EXCHANGES_KEPT + 5);
    assert.equal(open.exchanges.length, MAX_EXCHANGES_KEPT);
    assert.equal(open.exchanges[0][0], 6);
    assert.equal(history.closes.client_close, 3, "counters cover more than the kept records");
  });

  test("counts requests per connection into histogram buckets at the bounds", () => {
    const history = new ConnectionHistory();
    const counts = [0, 1, 2, 3, 1000, 1001];
    counts.forEach((requests, id) =>
      history.apply({ type: "close", id, time: 0, cause: "max_requests", requests })
    );
    const bucket = (n: number) => REQUESTS_PER_CONNECTION_BUCKETS.findIndex((b) => n <= b);
    assert.equal(history.requestsPerConnection[bucket(1)], 2); // 0 and 1
    assert.equal(history.requestsPerConnection[bucket(2)], 1);
    assert.equal(history.requestsPerConnection[bucket(3)], 1);
    assert.equal(history.requestsPerConnection[bucket(1000)], 1);
    assert.equal(history.requestsPerConnection.at(-1), 1); // +Inf
    assert.equal(history.requestsOnClosed, 2007);
  });
});

describe("isLoopbackHostname", () => {
  const cases: Array<[string, boolean]> = [
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["localhost", true],
    ["LocalHost.", true],
    ["app.localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false], // every interface
    ["::", false], // every interface
    ["192.168.1.10", false],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["::2", false],
    ["::ffff:10.0.0.1", false],
    ["localhost.example.com", false],
    ["example.com", false],
  ];
  for (const [hostname, loopback] of cases) {
    test(`${hostname} is ${loopback ? "" : "not "}loopback`, () => {
      assert.equal(isLoopbackHostname(hostname), loopback);
    });
  }
});
