/**
 * Upgraded connections on the live page's data (issue 16), over real sockets on the runtime
 * running the test: a WebSocket accepted with upgradeWebSocket is `upgraded` in
 * stats.json (the server's `upgradedConnections`, its entry's `state` and `upgradedAt`, the
 * `upgrades` count) and in /_keepwire/metrics, and stays marked once closed. Every field the
 * page had before is still there with its old meaning. (The page itself, in Chromium:
 * tests/cli/live_page_browser_test.ts.)
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLiveHandler, type LiveSnapshot } from "../../lib/handlers/live.ts";
import { ConnectionHistory } from "../../lib/handlers/connection_history.ts";
import { renderMetrics } from "../../lib/handlers/live_metrics.ts";
import { serve } from "../../lib/serve.ts";
import type { Handler } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { RawClient, waitFor } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const HANDSHAKE =
  "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

/** A server with the live page and a WebSocket echo at /ws. */
async function liveServer() {
  let live: Handler | null = null;
  const server = await serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request, info) => {
    if (new URL(request.url).pathname !== "/ws") return live!(request, info);
    const { socket, response } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send((event as MessageEvent).data);
    return response;
  });
  live = createLiveHandler({ getServer: () => server });
  /** One look over its own connection (one request, then closed). */
  const look = async (path: string): Promise<string> => {
    const client = await RawClient.connect(server.addr.port);
    await client.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
    const response = await readResponse(client);
    client.destroy();
    assert.equal(response.status, 200);
    return response.text;
  };
  const snapshot = async (): Promise<LiveSnapshot> =>
    JSON.parse(await look("/_keepwire/stats.json"));
  return { server, look, snapshot };
}

/** Opens a WebSocket by hand; resolves once the 101 is read. */
async function openWebSocket(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.write(HANDSHAKE);
  const head = await client.readUntil("\r\n\r\n");
  assert.match(head, /^HTTP\/1\.1 101 /);
  return client;
}

describe("live page data: upgraded connections", () => {
  test("stats.json and metrics list an open WebSocket as upgraded, and remember it once closed", async () => {
    const { server, look, snapshot } = await liveServer();
    try {
      // One plain keep-alive connection, left idle, next to two WebSockets.
      const plain = await RawClient.connect(server.addr.port);
      await plain.write("GET /_keepwire/nope HTTP/1.1\r\nHost: test\r\n\r\n");
      assert.equal((await readResponse(plain)).status, 404);
      const sockets = [
        await openWebSocket(server.addr.port),
        await openWebSocket(server.addr.port),
      ];
      const before = Date.now();

      const open = await snapshot();
      assert.equal(open.stats.upgradedConnections, 2);
      assert.equal(open.upgrades, 2);
      const upgraded = open.connections.filter((c) => c.state === "upgraded");
      assert.equal(upgraded.length, 2);
      for (const c of upgraded) {
        assert.equal(c.requests, 1);
        assert.equal(c.idleTimeLeft, null);
        assert.equal(c.idleSince, null);
        assert.ok(c.upgradedAt !== null && c.upgradedAt >= c.openedAt && c.upgradedAt <= before);
        assert.equal(c.exchanges.length, 1, "the handshake is its one exchange");
        assert.equal(c.exchanges[0][1], c.upgradedAt, "answered by the 101");
      }
      const idle = open.connections.find((c) => c.state === "idle");
      assert.ok(idle !== undefined, "the plain connection is idle");
      assert.equal(idle.upgradedAt, null);
      assert.ok(idle.idleTimeLeft !== null && idle.idleSince !== null);
      // The fields the page had before the upgraded state came, all still there.
      assert.deepEqual(Object.keys(open).sort(), [
        "closes",
        "connections",
        "limits",
        "now",
        "recentlyClosed",
        "reuseRatio",
        "stats",
        "upgrades",
      ]);
      assert.deepEqual(Object.keys(idle).sort(), [
        "exchanges",
        "id",
        "idleSince",
        "idleTimeLeft",
        "openedAt",
        "remote",
        "requests",
        "state",
        "upgradedAt",
      ]);

      const metrics = await look("/_keepwire/metrics");
      assert.match(metrics, /\nkeepwire_connections_upgraded 2\n/);
      assert.match(metrics, /\nkeepwire_upgrades_total 2\n/);
      assert.match(metrics, /# TYPE keepwire_connections_upgraded gauge\n/);
      assert.match(metrics, /# TYPE keepwire_upgrades_total counter\n/);

      // One WebSocket leaves (FIN): it is closed, still marked as upgraded; the other stays.
      const [leaving, staying] = sockets;
      const leavingId = upgraded[0].id;
      leaving.end();
      await waitFor(() => server.stats.upgradedConnections === 1, "one WebSocket left");
      const after = await snapshot();
      assert.equal(after.stats.upgradedConnections, 1);
      assert.equal(after.upgrades, 2);
      const closed = after.recentlyClosed.find((c) => c.id === leavingId);
      assert.ok(closed !== undefined, "the closed WebSocket is remembered");
      assert.equal(closed.upgradedAt, upgraded[0].upgradedAt);
      assert.ok(closed.closedAt !== null && closed.cause !== null);
      assert.deepEqual(
        after.connections.filter((c) => c.state === "upgraded").map((c) => c.id),
        [upgraded[1].id],
      );
      // The looks themselves never left HTTP.
      for (const c of after.recentlyClosed) {
        if (c.id !== leavingId) assert.equal(c.upgradedAt, null);
      }
      assert.match(await look("/_keepwire/metrics"), /\nkeepwire_connections_upgraded 1\n/);
      staying.destroy();
      plain.destroy();
    } finally {
      await server.shutdown();
    }
  });

  test("the history marks a connection upgraded at its 101 and counts it once", () => {
    const history = new ConnectionHistory();
    const remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 } as const;
    history.apply({ type: "open", id: 1, time: 0, remoteAddr });
    history.apply({ type: "request", id: 1, time: 5, index: 1 });
    history.apply({ type: "response", id: 1, time: 6, index: 1, status: 200 });
    history.apply({ type: "idle", id: 1, time: 6 });
    history.apply({ type: "request", id: 1, time: 8, index: 2 });
    history.apply({ type: "response", id: 1, time: 9, index: 2, status: 101 });
    assert.deepEqual(
      history.open().map((c) => [c.upgradedAt, c.idleSince]),
      [[9, null]],
    );
    history.apply({ type: "close", id: 1, time: 20, cause: "client_close", requests: 2 });
    assert.equal(history.closed()[0].upgradedAt, 9);
    assert.equal(history.upgrades, 1);
    const stats = {
      openConnections: 0,
      idleConnections: 0,
      upgradedConnections: 0,
      totalConnections: 1,
      totalRequests: 2,
      reusedRequests: 1,
    };
    assert.match(renderMetrics(stats, history, null), /\nkeepwire_upgrades_total 1\n/);
  });
});
