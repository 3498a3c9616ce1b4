/**
 * Server.observeConnections() over real sockets: every open, request,
 * response, idle turn and close arrives, in order, and each close names the
 * reason that decided it (the first reason wins).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import type { CloseCause, ConnectionEvent } from "../../lib/connection/observer.ts";
import { RawClient, waitFor } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const hello: Handler = () => new Response("hello");
const get = (extra = "") => `GET / HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

async function observed(
  options: ServeOptions,
  handler: Handler,
  body: (server: Server, connect: () => Promise<RawClient>) => Promise<void>,
): Promise<ConnectionEvent[]> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", ...options }, handler);
  const events: ConnectionEvent[] = [];
  const stop = server.observeConnections((event) => events.push(event));
  const clients: RawClient[] = [];
  try {
    await body(server, async () => {
      const client = await RawClient.connect(server.addr.port);
      clients.push(client);
      return client;
    });
    await waitFor(() => server.stats.openConnections === 0, "every connection closed");
  } finally {
    for (const client of clients) client.destroy();
    await server.shutdown();
    stop();
  }
  return events;
}

const causes = (events: ConnectionEvent[]): CloseCause[] =>
  events.flatMap((event) => event.type === "close" ? [event.cause] : []);

describe("Server.observeConnections()", () => {
  test("reports open, request, response, idle and close in order", async () => {
    const events = await observed({ keepAliveTimeout: 150 }, hello, async (_server, connect) => {
      const client = await connect();
      for (let i = 0; i < 2; i++) {
        await client.write(get());
        assert.equal((await readResponse(client)).status, 200);
      }
    });
    assert.deepEqual(
      events.map((event) =>
        event.type === "request" || event.type === "response"
          ? `${event.type} ${event.index}`
          : event.type
      ),
      ["open", "request 1", "response 1", "idle", "request 2", "response 2", "idle", "close"],
    );
    const close = events.at(-1)!;
    assert.ok(close.type === "close");
    assert.equal(close.cause, "idle_timeout");
    assert.equal(close.requests, 2);
    assert.ok(events.every((event) => event.id === events[0].id));
    for (let i = 1; i < events.length; i++) assert.ok(events[i].time >= events[i - 1].time);
    const open = events[0];
    assert.ok(open.type === "open" && open.remoteAddr.hostname === "127.0.0.1");
  });

  test("names max_requests, request_close, response_close and client_close", async () => {
    const handler: Handler = (request) =>
      new URL(request.url).pathname === "/bye"
        ? new Response("bye", { headers: { connection: "close" } })
        : new Response("hi");
    const events = await observed(
      { maxRequestsPerConnection: 2 },
      handler,
      async (_server, connect) => {
        const capped = await connect();
        await capped.write(get() + get());
        await readResponse(capped);
        await readResponse(capped);
        const asking = await connect();
        await asking.write(get("Connection: close\r\n"));
        await readResponse(asking);
        const answered = await connect();
        await answered.write("GET /bye HTTP/1.1\r\nHost: test\r\n\r\n");
        await readResponse(answered);
        const leaving = await connect();
        await leaving.write(get());
        await readResponse(leaving);
        leaving.end();
      },
    );
    assert.deepEqual(causes(events).sort(), [
      "client_close",
      "max_requests",
      "request_close",
      "response_close",
    ]);
  });

  test("names protocol_error, headers_timeout and shutdown", async () => {
    const events: ConnectionEvent[] = [];
    const server = await serve(
      { port: 0, hostname: "127.0.0.1", headersTimeout: 100 },
      hello,
    );
    const stop = server.observeConnections((event) => events.push(event));
    const bad = await RawClient.connect(server.addr.port);
    const slow = await RawClient.connect(server.addr.port);
    const idle = await RawClient.connect(server.addr.port);
    try {
      await bad.write("GET / HTTP/9.9\r\n\r\n");
      assert.ok((await readResponse(bad)).status >= 400);
      await slow.write("GET / HTTP/1.1\r\nHost: te");
      assert.equal((await readResponse(slow)).status, 408);
      await waitFor(
        () => events.filter((event) => event.type === "close").length === 2,
        "two closes",
      );
      await waitFor(() => server.stats.openConnections === 1, "one connection left");
      await server.shutdown();
      assert.deepEqual(causes(events), ["protocol_error", "headers_timeout", "shutdown"]);
    } finally {
      for (const client of [bad, slow, idle]) client.destroy();
      await server.shutdown();
      stop();
    }
  });

  test("names client_close for a client that leaves mid-response, error for a body that fails", async () => {
    const handler: Handler = (request) => {
      const failing = new URL(request.url).pathname === "/fail";
      let timer: ReturnType<typeof setInterval>;
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("x".repeat(100)));
            if (failing) setTimeout(() => controller.error(new Error("handler bug")), 20);
            else timer = setInterval(() => controller.enqueue(new Uint8Array(1000)), 5);
          },
          cancel() {
            clearInterval(timer);
          },
        }),
      );
    };
    const events = await observed({}, handler, async (_server, connect) => {
      const leaving = await connect();
      await leaving.write(get());
      await leaving.readUntil("\r\n\r\n");
      leaving.destroy();
      const failing = await connect();
      await failing.write("GET /fail HTTP/1.1\r\nHost: test\r\n\r\n");
      await failing.readToEnd().catch(() => {});
    });
    assert.deepEqual(causes(events), ["client_close", "error"]);
  });

  test("names unread_body when a large unread body is not worth draining", async () => {
    const events = await observed({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: ${1 << 20}\r\n\r\n`);
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      client.destroy();
    });
    assert.deepEqual(causes(events), ["unread_body"]);
  });

  test("stops calling a listener once it unsubscribes, and survives one that throws", async () => {
    const server = await serve({ port: 0, hostname: "127.0.0.1" }, hello);
    let seen = 0;
    const stop = server.observeConnections(() => seen++);
    const error = console.error;
    console.error = () => {};
    const stopThrowing = server.observeConnections(() => {
      throw new Error("listener bug");
    });
    try {
      const first = await RawClient.connect(server.addr.port);
      await first.write(get("Connection: close\r\n"));
      assert.equal((await readResponse(first)).status, 200);
      first.destroy();
      await waitFor(() => server.stats.openConnections === 0, "every connection closed");
      const counted = seen;
      assert.ok(counted >= 4);
      stop();
      const second = await RawClient.connect(server.addr.port);
      await second.write(get("Connection: close\r\n"));
      assert.equal((await readResponse(second)).status, 200);
      second.destroy();
      await waitFor(() => server.stats.openConnections === 0, "every connection closed");
      assert.equal(seen, counted);
    } finally {
      stopThrowing();
      console.error = error;
      await server.shutdown();
    }
  });

  test("reports the limits in force", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1", keepAliveTimeout: 1234, sendTimeout: 999 },
      hello,
    );
    try {
      assert.deepEqual(server.limits, {
        keepAliveTimeout: 1234,
        headersTimeout: 20_000,
        requestBodyTimeout: 30_000,
        sendTimeout: 999,
        maxRequestsPerConnection: 1000,
      });
    } finally {
      await server.shutdown();
    }
  });
});
