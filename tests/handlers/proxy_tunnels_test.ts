/**
 * The proxy's tunnels — dedicated upstream connections of upgraded
 * requests, outside the pool — in `proxy.upstreams()` and the live page's
 * stats: counted from the dial until either side closes, counted back on a
 * failed dial, and busy for `"least-connections"`. Real sockets on every side.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { closedPort } from "./_raw_upstream.ts";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { createProxyHandler, type ProxyHandler } from "../../lib/handlers/proxy.ts";
import { upgradeConnection } from "../../lib/connection/upgrade_connection.ts";
import { createLiveHandler, LIVE_PREFIX, type LiveSnapshot } from "../../lib/handlers/live.ts";
import { RawClient, waitFor } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };
const UPGRADE = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n";

/** Echoes every byte of an `echo` upgrade; answers anything else with its own port. */
function echoApp(name: string): Handler {
  return (request) => {
    if (request.headers.get("upgrade") === null) return new Response(name);
    const { response, connection } = upgradeConnection(request, { protocol: "echo" });
    connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
    return response;
  };
}

/** A client with an open tunnel through the front server (checked by one echo). */
async function openTunnel(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.write(UPGRADE);
  assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
  await client.write("hi");
  assert.equal(new TextDecoder().decode(await client.readBytes(2)), "hi");
  return client;
}

async function withProxy(
  apps: Server[],
  options: { balance?: "least-connections" },
  run: (port: number, proxy: ProxyHandler, front: Server) => Promise<void>,
): Promise<void> {
  const proxy = createProxyHandler({
    upstreams: apps.map((app) => `http://127.0.0.1:${app.addr.port}`),
    ...options,
  });
  const front = await serve(LOCAL, proxy);
  try {
    await run(front.addr.port, proxy, front);
  } finally {
    await front.shutdown();
    await proxy.close();
    for (const app of apps) await app.shutdown();
  }
}

describe("proxy: tunnels in upstreams()", () => {
  test("each open tunnel counts until either side closes; the pool stays empty", async () => {
    const app = await serve(LOCAL, echoApp("a"));
    await withProxy([app], {}, async (port, proxy) => {
      const upstream = () => proxy.upstreams()[0];
      assert.equal(upstream().tunnels, 0);
      assert.equal(upstream().tunnelsOpened, 0);
      const first = await openTunnel(port);
      const second = await openTunnel(port);
      try {
        assert.equal(upstream().tunnels, 2);
        assert.equal(upstream().tunnelsOpened, 2);
        assert.equal(upstream().open, 0, "tunnels are not pooled connections");
        assert.equal(upstream().connections.length, 0);
        // The client finishes: its FIN crosses, the upstream's comes back.
        first.end();
        await first.readToEnd();
        await waitFor(() => upstream().tunnels === 1, "the first tunnel to be counted closed");
        second.destroy();
        await waitFor(() => upstream().tunnels === 0, "the second tunnel to be counted closed");
        assert.equal(upstream().tunnelsOpened, 2);
        // JSON-safe, as the live page sends it.
        const round = JSON.parse(JSON.stringify(proxy.upstreams()))[0];
        assert.equal(round.tunnels, 0);
        assert.equal(round.tunnelsOpened, 2);
      } finally {
        first.destroy();
        second.destroy();
      }
    });
  });

  test("a dial that fails counts back at once (502)", async () => {
    const closed = await closedPort();
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${closed}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write(UPGRADE);
      assert.equal((await readResponse(client)).status, 502);
      const [upstream] = proxy.upstreams();
      assert.equal(upstream.tunnels, 0);
      assert.equal(upstream.tunnelsOpened, 1);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
    }
  });

  test("least-connections counts an open tunnel as busy", async () => {
    const apps = [await serve(LOCAL, echoApp("a")), await serve(LOCAL, echoApp("b"))];
    await withProxy(apps, { balance: "least-connections" }, async (port, proxy) => {
      const tunnel = await openTunnel(port);
      try {
        const busy = proxy.upstreams().findIndex((u) => u.tunnels === 1);
        assert.notEqual(busy, -1);
        const other = busy === 0 ? "b" : "a";
        const client = await RawClient.connect(port);
        try {
          for (let i = 0; i < 4; i++) {
            await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assert.equal((await readResponse(client)).text, other, `request ${i}`);
          }
        } finally {
          client.destroy();
        }
      } finally {
        tunnel.destroy();
      }
    });
  });

  test("the live page's stats carry each upstream's tunnels", async () => {
    const app = await serve(LOCAL, echoApp("a"));
    await withProxy([app], {}, async (port, proxy, front) => {
      const stop = new AbortController();
      const live = createLiveHandler({
        getServer: () => front,
        signal: stop.signal,
        upstreams: proxy.upstreams,
      });
      const tunnel = await openTunnel(port);
      try {
        const response = await live(
          new Request(`http://127.0.0.1:${port}${LIVE_PREFIX}stats.json`),
          {
            remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
            httpVersion: "1.1",
            connection: { id: 1, requestIndex: 1 },
            completed: Promise.resolve(),
          },
        );
        const snapshot: LiveSnapshot = await response.json();
        assert.equal(snapshot.upstreams?.[0].tunnels, 1);
        assert.equal(snapshot.upstreams?.[0].tunnelsOpened, 1);
      } finally {
        stop.abort();
        tunnel.destroy();
      }
    });
  });
});
