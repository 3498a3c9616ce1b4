import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLiveHandler, type LiveSnapshot } from "../../lib/handlers/live.ts";
import { ConnectionHistory } from "../../lib/handlers/connection_history.ts";
import { fakeInfo, fakeServer, snapshot } from "./fake_server.ts";

const get = (handler: ReturnType<typeof createLiveHandler>, target: string, init?: RequestInit) =>
  Promise.resolve(handler(new Request(`http://127.0.0.1:8080${target}`, init), fakeInfo()));

async function readEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  decoder: TextDecoder,
): Promise<string> {
  let text = "";
  while (!text.endsWith("\n\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("stream ended");
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe("live page handler", () => {
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
    assert.ok(!/<(link|img|script)[^>]+(src|href)=/.test(html), "no external assets");
  });

  test("answers HEAD for the page without a body", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    const response = await get(live, "/_keepwire/", { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.body, null);
  });

  test("redirects /_keepwire to /_keepwire/", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    const response = await get(live, "/_keepwire");
    assert.equal(response.status, 301);
    assert.equal(response.headers.get("location"), "/_keepwire/");
  });

  test("answers unknown routes with 404 and other methods with 405", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    assert.equal((await get(live, "/_keepwire/nope")).status, 404);
    assert.equal((await get(live, "/elsewhere")).status, 404);
    assert.equal((await get(live, "/_keepwire/", { method: "POST", body: "x" })).status, 405);
  });

  test("answers stats.json with 503 before the server runs", async () => {
    const live = createLiveHandler({ getServer: () => undefined });
    assert.equal((await get(live, "/_keepwire/stats.json")).status, 503);
  });

  test("reports totals, reuse ratio and each open connection in stats.json", async () => {
    const server = fakeServer(
      {
        openConnections: 2,
        idleConnections: 1,
        totalConnections: 5,
        totalRequests: 40,
        reusedRequests: 35,
      },
      [snapshot(4, 12, "idle"), snapshot(5, 3, "busy")],
    );
    const live = createLiveHandler({ getServer: () => server, keepAliveTimeout: 5000 });
    const response = await get(live, "/_keepwire/stats.json");
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-store");
    const body: LiveSnapshot = await response.json();
    assert.equal(body.stats.totalConnections, 5);
    assert.equal(body.stats.totalRequests, 40);
    assert.equal(body.reuseRatio, 35 / 40);
    assert.equal(body.keepAliveTimeout, 5000);
    assert.ok(Math.abs(body.now - Date.now()) < 1000);
    assert.deepEqual(
      body.connections.map((c) => [c.id, c.remote, c.state, c.requests, c.idleTimeLeft]),
      [
        [4, "127.0.0.1:40004", "idle", 12, 4000],
        [5, "127.0.0.1:40005", "busy", 3, null],
      ],
    );
    assert.deepEqual(body.recentlyClosed, []);
  });

  test("reports a zero reuse ratio before any request", async () => {
    const live = createLiveHandler({ getServer: () => fakeServer() });
    assert.equal((await (await get(live, "/_keepwire/stats.json")).json()).reuseRatio, 0);
  });

  test("remembers connections that closed between two snapshots", async () => {
    const server = fakeServer({}, [snapshot(1, 10), snapshot(2, 7)]);
    const live = createLiveHandler({ getServer: () => server });
    await (await get(live, "/_keepwire/stats.json")).text();
    server.setConnections([snapshot(2, 9)]);
    const body: LiveSnapshot = await (await get(live, "/_keepwire/stats.json")).json();
    assert.deepEqual(body.connections.map((c) => c.id), [2]);
    assert.deepEqual(body.recentlyClosed.map((c) => [c.id, c.requests]), [[1, 10]]);
  });

  test("samples in the background when asked, until the signal aborts", async () => {
    const server = fakeServer({}, [snapshot(1, 10)]);
    const controller = new AbortController();
    const live = createLiveHandler({
      getServer: () => server,
      sampleInterval: 10,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.setConnections([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    const body: LiveSnapshot = await (await get(live, "/_keepwire/stats.json")).json();
    assert.deepEqual(body.recentlyClosed.map((c) => [c.id, c.requests]), [[1, 10]]);
  });

  test("streams one data: snapshot per interval as Server-Sent Events", async () => {
    const server = fakeServer({ totalRequests: 1 }, [snapshot(1, 1)]);
    const live = createLiveHandler({ getServer: () => server, eventInterval: 20 });
    const response = await get(live, "/_keepwire/events");
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("content-length"), null);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = await readEvent(reader, decoder);
    assert.ok(first.startsWith("retry: 2000\n\n"));
    let events = first.split("\n\n").filter((e) => e.startsWith("data: "));
    while (events.length < 3) {
      events = events.concat(
        (await readEvent(reader, decoder)).split("\n\n").filter((e) => e.startsWith("data: ")),
      );
    }
    for (const event of events) {
      const data: LiveSnapshot = JSON.parse(event.slice("data: ".length));
      assert.equal(data.stats.totalRequests, 1);
      assert.equal(data.connections[0].id, 1);
    }
    await reader.cancel();
  });

  test("ends every event stream when the signal aborts", async () => {
    const controller = new AbortController();
    const live = createLiveHandler({
      getServer: () => fakeServer(),
      eventInterval: 10_000,
      signal: controller.signal,
    });
    const response = await get(live, "/_keepwire/events");
    const reader = response.body!.getReader();
    await readEvent(reader, new TextDecoder());
    controller.abort();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });

  test("stops the interval when the client goes away", async () => {
    let built = 0;
    const server = fakeServer();
    const counting = { stats: server.stats, connections: () => (built++, []) };
    const live = createLiveHandler({ getServer: () => counting, eventInterval: 5 });
    const response = await get(live, "/_keepwire/events");
    await response.body!.cancel();
    const after = built;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(built, after);
  });
});

describe("ConnectionHistory", () => {
  test("records the last request count seen and keeps the newest closed first, bounded", () => {
    const history = new ConnectionHistory(2);
    history.observe([snapshot(1, 1), snapshot(2, 1), snapshot(3, 1)], 0);
    history.observe([snapshot(1, 5), snapshot(2, 6), snapshot(3, 7)], 1);
    history.observe([snapshot(3, 8)], 2);
    history.observe([], 3);
    assert.deepEqual(history.closed().map((c) => [c.id, c.requests, c.closedAt]), [[3, 8, 3], [
      2,
      6,
      2,
    ]]);
  });
});
