/**
 * The stale-connection race, reproduced on purpose over real sockets: a
 * server may close an idle keep-alive connection at the very moment the
 * client reuses it (RFC 9112 §9.5). Idempotent requests must never fail
 * because of it; non-idempotent ones must never be sent twice.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import { responseInfo } from "../../lib/client/_response.ts";
import { ok, startRawServer } from "./_raw_server.ts";

// 500 in CI; KEEPWIRE_STALE_ITERATIONS raises it for a one-off measurement.
const ITERATIONS = Number(globalThis.process?.env.KEEPWIRE_STALE_ITERATIONS ?? 500);
const TEST_TIMEOUT = 60_000;

describe("stale connections", { timeout: TEST_TIMEOUT }, () => {
  for (const how of ["end", "reset"] as const) {
    test(`GETs survive a server that ${how}s every reused connection on arrival`, async () => {
      const server = await startRawServer((request) =>
        request.index === 1 ? { bytes: ok(`r${request.connection}`) } : { then: how }
      );
      const client = createClient();
      try {
        let retried = 0;
        for (let i = 0; i < ITERATIONS; i++) {
          const response = await client.fetch(`${server.url}/${i}`);
          assert.equal(response.status, 200);
          await response.text();
          if (responseInfo(response)?.retried) retried++;
        }
        const stats = client.stats;
        assert.equal(stats.failures, 0);
        // Every request after the first met a stale connection and was retried once.
        assert.equal(retried, ITERATIONS - 1);
        assert.equal(stats.retries, ITERATIONS - 1);
        assert.equal(stats.staleFailures, ITERATIONS - 1);
      } finally {
        await client.close();
        await server.close();
      }
    });
  }

  test("GETs survive a server whose idle close races the next request", async () => {
    // After each response the server closes the connection 0-2 ms later
    // unless another request has arrived: the FIN and the request cross.
    const timers = new Map<Socket, ReturnType<typeof setTimeout>>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const server = await startRawServer((request, socket) => {
      clearTimeout(timers.get(socket));
      timers.set(socket, setTimeout(() => socket.end(), Math.floor(random() * 3)));
      return { bytes: ok(String(request.index)) };
    });
    const client = createClient();
    try {
      for (let i = 0; i < ITERATIONS; i++) {
        const response = await client.fetch(`${server.url}/${i}`);
        assert.equal(response.status, 200);
        await response.text();
        // A pause now and then lets the server's close win the race outright.
        if (i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.equal(client.stats.failures, 0);
      assert.ok(client.stats.connectionsOpened > 1, "the server did close connections");
      if (globalThis.process?.env.KEEPWIRE_STALE_ITERATIONS !== undefined) {
        const { requests, connectionsOpened, staleFailures, retries } = client.stats;
        console.log(
          `race: ${ITERATIONS} GETs, ${requests} written, ${connectionsOpened} connections, ` +
            `${staleFailures} stale, ${retries} retried, 0 failed`,
        );
      }
    } finally {
      for (const timer of timers.values()) clearTimeout(timer);
      await client.close();
      await server.close();
    }
  });

  test("a POST that meets a stale connection fails and is never sent twice", async () => {
    const server = await startRawServer((request) =>
      request.index === 1 ? { bytes: ok("done") } : { then: "end" }
    );
    const client = createClient();
    try {
      let failed = 0;
      const count = 200;
      for (let i = 0; i < count; i++) {
        try {
          const response = await client.fetch(server.url, { method: "POST", body: `post-${i}` });
          await response.text();
        } catch (error) {
          assert.ok(error instanceof ClientError);
          assert.equal(error.code, "connection-closed");
          failed++;
        }
      }
      const bodies = server.requests.map((request) => request.body);
      assert.equal(bodies.length, count, "each POST reached the server exactly once");
      assert.equal(new Set(bodies).size, count);
      assert.equal(failed, count / 2, "every POST on a reused connection failed");
      assert.equal(client.stats.retries, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a POST with bytes is retried when the caller allows it", async () => {
    const server = await startRawServer((request) =>
      request.index === 1 ? { bytes: ok("done") } : { then: "end" }
    );
    const client = createClient({ retryNonIdempotent: true });
    try {
      for (let i = 0; i < 20; i++) {
        const response = await client.fetch(server.url, { method: "POST", body: `p${i}` });
        assert.equal(await response.text(), "done");
      }
      assert.equal(client.stats.failures, 0);
      assert.equal(client.stats.retries, 19);
      // A streamed body cannot be replayed: never retried, whatever the option.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("s"));
          controller.close();
        },
      });
      await assert.rejects(
        client.fetch(server.url, { method: "POST", body: stream, duplex: "half" } as RequestInit),
        ClientError,
      );
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a fresh connection that fails is not retried (the server is really down)", async () => {
    const server = await startRawServer(() => ({ then: "end" }));
    const client = createClient();
    try {
      await assert.rejects(client.fetch(server.url), {
        name: "ClientError",
        code: "connection-closed",
      });
      assert.equal(client.stats.retries, 0);
      assert.equal(server.requests.length, 1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("pipelined GETs left unanswered by a dying connection are retried", async () => {
    // Each connection answers its first request, then resets.
    const server = await startRawServer((request) =>
      request.index === 1 ? { bytes: ok(`c${request.connection}`), then: "destroy" } : undefined
    );
    const client = createClient({ pipelining: 4, maxConnectionsPerOrigin: 1 });
    try {
      const warm = await client.fetch(`${server.url}/warm`);
      await warm.text();
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => client.fetch(`${server.url}/${i}`)),
      );
      for (const response of responses) assert.equal(response.status, 200);
      await Promise.all(responses.map((response) => response.text()));
      assert.equal(client.stats.failures, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
