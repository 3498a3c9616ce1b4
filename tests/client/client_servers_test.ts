/**
 * The client against real servers: keepwire's own serve(), node:http (on
 * every runtime), and the native Deno.serve / Bun.serve where they exist.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createClient } from "../../lib/client.ts";
import { responseInfo } from "../../lib/client/_response.ts";
import { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";

const encoder = new TextEncoder();

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

/** A Fetch handler every server below runs: echo, sizes, statuses. */
async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/echo":
      return new Response(await request.text(), {
        headers: {
          "x-method": request.method,
          "x-type": request.headers.get("content-type") ?? "",
        },
      });
    case "/big":
      return new Response("x".repeat(1 << 20));
    case "/stream":
      return new Response(streamOf("a", "b", "c"));
    case "/204":
      return new Response(null, { status: 204 });
    default:
      return new Response(`hello ${url.pathname}`);
  }
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

function startNodeHttp(keepAliveTimeout = 5_000): Promise<Running> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk as Uint8Array);
    const body = Buffer.concat(chunks);
    const request = new Request(`http://x${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
  });
  server.keepAliveTimeout = keepAliveTimeout;
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        stop: () => {
          server.closeAllConnections?.();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

async function startKeepwire(): Promise<Running> {
  const server = await serve({ port: 0, hostname: "127.0.0.1" }, handler);
  return { url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

interface NativeServer {
  port: number;
  stop(): Promise<void>;
}

/** Deno.serve or Bun.serve on this runtime, or null on Node. */
function startNative(): Running | null {
  const global = globalThis as {
    Deno?: {
      serve(
        options: { port: number; hostname: string; onListen?: () => void },
        handler: (request: Request) => Promise<Response>,
      ): { addr: { port: number }; shutdown(): Promise<void> };
    };
    Bun?: {
      serve(options: {
        port: number;
        hostname: string;
        fetch: (request: Request) => Promise<Response>;
      }): NativeServer & { stop(closeActive?: boolean): Promise<void> };
    };
  };
  const runtime = detectRuntime();
  if (runtime === "deno") {
    const server = global.Deno!.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      handler,
    );
    return { url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
  }
  if (runtime === "bun") {
    const server = global.Bun!.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
  }
  return null;
}

const servers: [string, () => Promise<Running | null>][] = [
  ["keepwire serve()", startKeepwire],
  ["node:http", () => startNodeHttp()],
  ["the runtime's native server", () => Promise.resolve(startNative())],
];

for (const [name, start] of servers) {
  describe(`client against ${name}`, { timeout: 60_000 }, () => {
    test("sequential requests share one connection; every body kind arrives", async (t) => {
      const server = await start();
      if (server === null) {
        t.skip("no native server on Node; node:http covers it");
        return;
      }
      const client = createClient();
      try {
        for (let i = 0; i < 20; i++) {
          const response = await client.fetch(`${server.url}/n${i}`);
          assert.equal(await response.text(), `hello /n${i}`);
          assert.equal(responseInfo(response)?.reused, i > 0);
        }
        assert.equal(client.stats.connectionsOpened, 1);
        const posted = await client.fetch(`${server.url}/echo`, { method: "POST", body: "text" });
        assert.equal(await posted.text(), "text");
        assert.equal(posted.headers.get("x-type"), "text/plain;charset=UTF-8");
        const bytes = await client.fetch(`${server.url}/echo`, {
          method: "PUT",
          body: encoder.encode("bytes"),
        });
        assert.equal(await bytes.text(), "bytes");
        const streamed = await client.fetch(`${server.url}/echo`, {
          method: "POST",
          body: streamOf("str", "eam"),
          duplex: "half",
        } as RequestInit);
        assert.equal(await streamed.text(), "stream");
        const form = await client.fetch(`${server.url}/echo`, {
          method: "POST",
          body: new URLSearchParams({ a: "1" }),
        });
        assert.equal(await form.text(), "a=1");
        const big = await client.fetch(`${server.url}/big`);
        assert.equal((await big.arrayBuffer()).byteLength, 1 << 20);
        assert.equal(await (await client.fetch(`${server.url}/stream`)).text(), "abc");
        const empty = await client.fetch(`${server.url}/204`);
        assert.equal(empty.status, 204);
        const head = await client.fetch(`${server.url}/x`, { method: "HEAD" });
        assert.equal(await head.text(), "");
        assert.equal(client.stats.connectionsOpened, 1, "all of it on one connection");
        assert.equal(client.stats.failures, 0);
      } finally {
        await client.close();
        await server.stop();
      }
    });

    test("concurrent callers stay within the per-origin cap", async (t) => {
      const server = await start();
      if (server === null) {
        t.skip("no native server on Node; node:http covers it");
        return;
      }
      const client = createClient({ maxConnectionsPerOrigin: 2 });
      try {
        const texts = await Promise.all(
          Array.from(
            { length: 40 },
            (_, i) => client.fetch(`${server.url}/c${i}`).then((response) => response.text()),
          ),
        );
        assert.deepEqual(texts, Array.from({ length: 40 }, (_, i) => `hello /c${i}`));
        assert.ok(client.stats.connectionsOpened <= 2, `opened ${client.stats.connectionsOpened}`);
        assert.equal(client.stats.queued, 0);
      } finally {
        await client.close();
        await server.stop();
      }
    });
  });
}

describe("client against node:http's Keep-Alive hint", { timeout: 30_000 }, () => {
  test("node:http says timeout=1; the client drops the idle connection first", async () => {
    const server = await startNodeHttp(1_000);
    const client = createClient();
    try {
      const first = await client.fetch(`${server.url}/a`);
      assert.equal(first.headers.get("keep-alive"), "timeout=1");
      await first.text();
      await new Promise((resolve) => setTimeout(resolve, 700));
      const second = await client.fetch(`${server.url}/b`);
      await second.text();
      assert.equal(responseInfo(second)?.reused, false);
      assert.equal(client.stats.staleFailures, 0);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe("client against keepwire serve()'s keep-alive limits", { timeout: 30_000 }, () => {
  test("maxRequestsPerConnection: the advertised max is honoured, no request meets a close", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1", maxRequestsPerConnection: 3 },
      (_request, info) => new Response(`${info.connection.id}.${info.connection.requestIndex}`),
    );
    const client = createClient();
    try {
      const seen: string[] = [];
      for (let i = 0; i < 9; i++) {
        seen.push(await (await client.fetch(`http://127.0.0.1:${server.addr.port}/`)).text());
      }
      assert.deepEqual(seen.map((text) => text.split(".")[1]), "123123123".split(""));
      assert.equal(client.stats.connectionsOpened, 3);
      assert.equal(client.stats.staleFailures, 0);
    } finally {
      await client.close();
      await server.shutdown();
    }
  });

  test("keepAliveTimeout 1 s: the client lets go of the connection before the server", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1", keepAliveTimeout: 1_000 },
      () => new Response("ok"),
    );
    const client = createClient();
    try {
      const url = `http://127.0.0.1:${server.addr.port}/`;
      const first = await client.fetch(url);
      assert.match(first.headers.get("keep-alive") ?? "", /timeout=1/);
      await first.text();
      await new Promise((resolve) => setTimeout(resolve, 700));
      const second = await client.fetch(url);
      await second.text();
      assert.equal(responseInfo(second)?.reused, false);
      assert.equal(client.stats.staleFailures, 0);
    } finally {
      await client.close();
      await server.shutdown();
    }
  });
});
