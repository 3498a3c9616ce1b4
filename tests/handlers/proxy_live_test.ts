/**
 * The live page on a proxy (issue 17): both sides. The downstream
 * connections as on any server, and per upstream its pooled connections
 * (idle/busy, requests each, idle time left by the upstream's Keep-Alive
 * hint), the reuse ratio and the stale retries — from `proxy.upstreams()`
 * into `/_keepwire/stats.json`, the event stream and the page. Real
 * sockets on every side.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createNetServer } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { createProxyHandler, type ProxyHandler } from "../../lib/handlers/proxy.ts";
import { createLiveHandler, LIVE_PREFIX, type LiveSnapshot } from "../../lib/handlers/live.ts";
import { delay } from "../_support/raw_client.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };

/** A proxy in front of `app`, with the live page mounted as `keepwire proxy` mounts it. */
async function withLiveProxy(
  upstreamUrl: string,
  run: (origin: string, proxy: ProxyHandler, front: Server) => Promise<void>,
  withUpstreams = true,
): Promise<void> {
  const proxy = createProxyHandler({ upstreams: [upstreamUrl], upstreamConnections: 4 });
  const stop = new AbortController();
  let live: Handler | null = null;
  const front = await serve(
    LOCAL,
    (request, info) =>
      live !== null && new URL(request.url).pathname.startsWith(LIVE_PREFIX)
        ? live(request, info)
        : proxy(request, info),
  );
  live = createLiveHandler({
    getServer: () => front,
    signal: stop.signal,
    eventInterval: 20,
    ...(withUpstreams ? { upstreams: proxy.upstreams } : {}),
  });
  try {
    await run(`http://127.0.0.1:${front.addr.port}`, proxy, front);
  } finally {
    stop.abort();
    await front.shutdown();
    await proxy.close();
  }
}

async function stats(origin: string): Promise<LiveSnapshot> {
  const response = await fetch(`${origin}${LIVE_PREFIX}stats.json`);
  assert.equal(response.status, 200);
  return await response.json();
}

describe("live page on a proxy: the upstream side", () => {
  test("stats.json keeps its fields and adds each upstream's pooled connections", async () => {
    const app = await serve({ ...LOCAL, keepAliveTimeout: 3_000 }, () => new Response("ok"));
    const upstreamUrl = `http://127.0.0.1:${app.addr.port}/`;
    try {
      await withLiveProxy(upstreamUrl, async (origin) => {
        for (let i = 0; i < 5; i++) {
          assert.equal(await (await fetch(`${origin}/x${i}`)).text(), "ok");
        }
        const snapshot = await stats(origin);
        // The downstream side as on any server: the existing fields, unchanged.
        for (
          const key of [
            "now",
            "limits",
            "stats",
            "reuseRatio",
            "connections",
            "recentlyClosed",
            "closes",
          ]
        ) {
          assert.ok(key in snapshot, key);
        }
        assert.ok(snapshot.stats.totalRequests >= 5);
        assert.ok(snapshot.connections.length >= 1);
        // The upstream side.
        assert.equal(snapshot.upstreams?.length, 1);
        const [upstream] = snapshot.upstreams!;
        assert.equal(upstream.url, upstreamUrl);
        assert.equal(upstream.requests, 5);
        assert.equal(upstream.staleRetries, 0);
        assert.equal(upstream.failures, 0);
        assert.equal(upstream.reuseRatio, upstream.reusedRequests / upstream.requests);
        assert.ok(upstream.reuseRatio >= 0.8 - 1e-9, `reuse ${upstream.reuseRatio}`);
        assert.equal(upstream.connections.length, upstream.open);
        assert.equal(
          upstream.connections.reduce((sum, c) => sum + c.requests, 0),
          upstream.requests,
          "requests per connection add up",
        );
        for (const c of upstream.connections) {
          assert.equal(c.state, "idle");
          assert.equal(c.origin, `http://127.0.0.1:${app.addr.port}`);
          assert.equal(c.serverTimeout, 3_000, "the upstream's Keep-Alive: timeout=3");
          // The hint minus the pool's 1 s margin: the proxy lets go first.
          assert.equal(c.idleLifetime, 2_000);
          assert.ok(c.idleTimeLeft !== null && c.idleTimeLeft > 0 && c.idleTimeLeft <= 2_000);
          assert.ok(c.remainingRequests !== null && c.remainingRequests > 0);
        }
      });
    } finally {
      await app.shutdown();
    }
  });

  test("a connection carrying a request is busy, with no idle time; it retires by its hint", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const app = await serve({ ...LOCAL, keepAliveTimeout: 1_000 }, async (request) => {
      if (new URL(request.url).pathname === "/hold") await held;
      return new Response("ok");
    });
    try {
      await withLiveProxy(`http://127.0.0.1:${app.addr.port}`, async (origin) => {
        const pending = fetch(`${origin}/hold`);
        try {
          // `open` counts a connection still connecting; `connections` lists connected ones.
          let snapshot = await stats(origin);
          for (let tries = 0; snapshot.upstreams![0].connections.length === 0; tries++) {
            assert.ok(tries < 200, "the upstream connection opens");
            await delay(10);
            snapshot = await stats(origin);
          }
          const [busy] = snapshot.upstreams![0].connections;
          assert.equal(busy.state, "busy");
          assert.equal(busy.idleTimeLeft, null);
        } finally {
          release();
        }
        assert.equal(await (await pending).text(), "ok");
        const after = (await stats(origin)).upstreams![0].connections[0];
        assert.equal(after.state, "idle");
        assert.equal(after.serverTimeout, 1_000);
        // A 1 s hint: the margin is capped at half of it, so 500 ms of reuse.
        assert.ok(after.idleTimeLeft! <= 500);
        // Before the upstream's 1 s are up, the pool no longer reuses it
        // (the client's sweeper closes it on its next tick).
        await delay(650);
        const retired = (await stats(origin)).upstreams![0].connections;
        assert.ok(retired.every((c) => c.idleTimeLeft === 0), JSON.stringify(retired));
      });
    } finally {
      await app.shutdown();
    }
  });

  test("a stale connection met by a GET counts one stale retry", async () => {
    // Each connection answers its first request and resets on the second,
    // without a Keep-Alive hint: the pool reuses it and meets the reset.
    const upstream = createNetServer((socket) => {
      let requests = 0;
      socket.on("error", () => {});
      socket.on("data", (chunk) => {
        if (!String(chunk).includes("\r\n\r\n")) return;
        if (++requests === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        else socket.resetAndDestroy();
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const { port } = upstream.address() as { port: number };
    try {
      await withLiveProxy(`http://127.0.0.1:${port}`, async (origin) => {
        assert.equal((await fetch(`${origin}/a`)).status, 200);
        assert.equal(await (await fetch(`${origin}/b`)).text(), "ok");
        const [u] = (await stats(origin)).upstreams!;
        assert.equal(u.staleRetries, 1);
        assert.equal(u.failures, 0);
        assert.equal(u.connectionsOpened, 2);
        const [c] = u.connections;
        assert.equal(c.serverTimeout, null, "no hint: the proxy's own idle time");
        assert.equal(c.remainingRequests, null);
      });
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  test("the event stream refreshes the upstreams without downstream events", async () => {
    const app = await serve({ ...LOCAL, keepAliveTimeout: 5_000 }, () => new Response("ok"));
    try {
      await withLiveProxy(`http://127.0.0.1:${app.addr.port}`, async (origin) => {
        await (await fetch(`${origin}/`)).text();
        const response = await fetch(`${origin}${LIVE_PREFIX}events`);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        const started = Date.now();
        const events: { event: string; data: Record<string, unknown> }[] = [];
        while (events.filter((e) => e.event === "stats").length < 2) {
          assert.ok(Date.now() - started < 5_000, "two stats events within 5 s");
          const { done, value } = await reader.read();
          assert.equal(done, false);
          text += decoder.decode(value, { stream: true });
          for (let end = text.indexOf("\n\n"); end !== -1; end = text.indexOf("\n\n")) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined) {
              events.push({ event, data: JSON.parse(data) });
            }
          }
        }
        await reader.cancel();
        assert.equal(events[0].event, "snapshot");
        assert.equal((events[0].data.upstreams as unknown[]).length, 1);
        const last = events.filter((e) => e.event === "stats").at(-1)!.data;
        assert.ok("stats" in last && "now" in last);
        const [u] = last.upstreams as LiveSnapshot["upstreams"] & object;
        assert.equal(u.requests, 1);
        assert.equal(u.connections.length, 1);
      });
    } finally {
      await app.shutdown();
    }
  });

  test("the page arrives with the upstream panel and the upstreams in its snapshot", async () => {
    const app = await serve(LOCAL, () => new Response("ok"));
    try {
      await withLiveProxy(`http://127.0.0.1:${app.addr.port}`, async (origin) => {
        await (await fetch(`${origin}/`)).text();
        const html = await (await fetch(`${origin}${LIVE_PREFIX}`)).text();
        assert.ok(html.includes('id="upstreams"'));
        assert.ok(html.includes("function renderUpstreams("));
        const json = /var initial = (.*);\n/.exec(html)?.[1];
        assert.ok(json !== undefined);
        const snapshot = JSON.parse(json) as LiveSnapshot;
        assert.equal(snapshot.upstreams?.[0].connections.length, 1);
      });
    } finally {
      await app.shutdown();
    }
  });

  test("without upstreams the snapshot has no upstreams field", async () => {
    const app = await serve(LOCAL, () => new Response("ok"));
    try {
      await withLiveProxy(`http://127.0.0.1:${app.addr.port}`, async (origin) => {
        await (await fetch(`${origin}/`)).text();
        assert.equal("upstreams" in await stats(origin), false);
      }, false);
    } finally {
      await app.shutdown();
    }
  });
});
