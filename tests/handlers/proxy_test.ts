/**
 * The reverse proxy over real sockets: a keepwire upstream (or node:http),
 * the proxy served by keepwire, and raw or Fetch clients in front. Checks
 * the intermediary rules of RFC 9110 §7.6, 502/504, streaming both ways,
 * pipelined order, and the stale-connection scenario of issue 17.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createNodeServer, type Server as NodeServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import {
  createProxyHandler,
  type ProxyHandler,
  type ProxyOptions,
} from "../../lib/handlers/proxy.ts";
import { UpstreamBalancer } from "../../lib/handlers/proxy_upstreams.ts";
import { delay, RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { NativeResponse } from "../../lib/fetch/_native.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };

/** What the upstream saw: each request's method, path and fields. */
function reflect(request: Request): Response {
  return Response.json({
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
  });
}

async function withProxy(
  upstream: Handler,
  options: Partial<ProxyOptions>,
  run: (proxyPort: number, proxy: ProxyHandler, upstreamServer: Server) => Promise<void>,
): Promise<void> {
  const app = await serve(LOCAL, upstream);
  const proxy = createProxyHandler({
    upstreams: [`http://127.0.0.1:${app.addr.port}`],
    ...options,
  });
  const front = await serve(LOCAL, proxy);
  try {
    await run(front.addr.port, proxy, app);
  } finally {
    await front.shutdown();
    await proxy.close();
    await app.shutdown();
  }
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("proxy: intermediary fields (RFC 9110 §7.6)", () => {
  test("removes hop-by-hop request fields, adds Via and Forwarded, keeps Host", async () => {
    await withProxy(reflect, {}, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write(
          "GET /a/b?x=1 HTTP/1.1\r\nHost: example.test:81\r\nConnection: keep-alive, X-Hop\r\n" +
            "X-Hop: secret\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: Basic x\r\n" +
            "Via: 1.0 fred\r\nX-End: kept\r\n\r\n",
        );
        const response = await readResponse(client);
        assert.equal(response.status, 200);
        const seen = JSON.parse(response.text);
        assert.equal(seen.method, "GET");
        assert.match(seen.url, /\/a\/b\?x=1$/);
        const h = seen.headers;
        assert.equal(h.host, "example.test:81");
        assert.equal(h["x-end"], "kept");
        assert.equal(h.via, "1.0 fred, 1.1 keepwire");
        // RFC 7239 §4: a value with a colon is not a token, so it is quoted.
        assert.equal(h.forwarded, 'for=127.0.0.1;proto=http;host="example.test:81"');
        for (const gone of ["x-hop", "keep-alive", "te", "proxy-authorization", "upgrade"]) {
          assert.equal(h[gone], undefined, gone);
        }
        assert.equal(response.headers.get("via"), "1.1 keepwire");
      } finally {
        client.destroy();
      }
    });
  });

  test("removes hop-by-hop response fields and the fields Connection names", async () => {
    // A raw upstream: keepwire's own server would not send these fields.
    const upstream = createNetServer((socket) => {
      socket.on("data", () => {
        socket.write(
          "HTTP/1.1 200 OK\r\nConnection: X-Private\r\nX-Private: 1\r\nProxy-Thing: 2\r\n" +
            "Keep-Alive: timeout=7\r\nX-End: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        );
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const { port: upstreamPort } = upstream.address() as { port: number };
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${upstreamPort}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.text, "ok");
      assert.equal(response.headers.get("x-private"), undefined);
      assert.equal(response.headers.get("proxy-thing"), undefined);
      assert.equal(response.headers.get("keep-alive")?.includes("timeout=7") ?? false, false);
      assert.equal(response.headers.get("x-end"), "3");
      assert.equal(response.headers.get("via"), "1.1 keepwire");
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await new Promise((resolve) => {
        upstream.close(resolve);
        (upstream as unknown as { closeAllConnections?(): void }).closeAllConnections?.();
      });
    }
  });

  test("x-forwarded style appends to X-Forwarded-For; changeHost sends the upstream's", async () => {
    await withProxy(
      reflect,
      { forwarded: "x-forwarded", changeHost: true },
      async (port, _p, app) => {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          headers: { "x-forwarded-for": "10.0.0.1" },
        });
        const h = (await response.json()).headers;
        assert.equal(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
        assert.equal(h["x-forwarded-proto"], "http");
        assert.equal(h["x-forwarded-host"], `127.0.0.1:${port}`);
        assert.equal(h.forwarded, undefined);
        assert.equal(h.host, `127.0.0.1:${app.addr.port}`);
      },
    );
  });
});

describe("proxy: failures", () => {
  test("502 when the upstream refuses connections", async () => {
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${await closedPort()}`] });
    const front = await serve(LOCAL, proxy);
    try {
      const response = await fetch(`http://127.0.0.1:${front.addr.port}/`);
      assert.equal(response.status, 502);
      assert.match(await response.text(), /connect-failed/);
    } finally {
      await front.shutdown();
      await proxy.close();
    }
  });

  test("a refused upstream is skipped and its request goes to another", async () => {
    const app = await serve(LOCAL, () => new Response("alive"));
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const proxy = createProxyHandler({ upstreams: [dead, `http://127.0.0.1:${app.addr.port}`] });
    const front = await serve(LOCAL, proxy);
    try {
      for (let i = 0; i < 6; i++) {
        const response = await fetch(`http://127.0.0.1:${front.addr.port}/`);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "alive");
      }
      const [down, up] = proxy.upstreams();
      assert.equal(down.backingOff, true);
      // Tried once, then skipped for the back-off period.
      assert.equal(down.connectionsOpened, 0);
      assert.equal(up.requests, 6);
    } finally {
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });

  test("504 when the upstream is slower than upstreamTimeout", async () => {
    const slow = async () => {
      await delay(1_500);
      return new Response("late");
    };
    await withProxy(slow, { upstreamTimeout: 300 }, async (port) => {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(response.status, 504);
      await response.text();
      assert.ok(performance.now() - started < 1_400, "answered before the upstream");
    });
  });

  test("UpstreamBalancer: least-connections picks the least busy; back-off doubles", () => {
    const balancer = new UpstreamBalancer(3, "least-connections");
    const load = [5, 1, 3];
    assert.equal(balancer.pick(0, (i) => load[i]), 1);
    balancer.refused(1, 0);
    assert.equal(balancer.health[1].downUntil, 1_000);
    balancer.refused(1, 0);
    assert.equal(balancer.health[1].downUntil, 2_000);
    assert.equal(balancer.pick(10, (i) => load[i]), 2);
    for (let i = 0; i < 10; i++) balancer.refused(1, 0);
    assert.equal(balancer.health[1].downUntil, 30_000);
    balancer.answered(1);
    assert.equal(balancer.pick(10, (i) => load[i]), 1);
  });
});

describe("proxy: bodies and order", () => {
  const SIZE = 4 * 1024 * 1024;

  test("streams a 4 MiB upload to the upstream", async () => {
    const upstream = async (request: Request) => {
      let total = 0;
      let chunks = 0;
      for await (const chunk of request.body!) {
        total += chunk.byteLength;
        chunks++;
      }
      return Response.json({ total, chunks });
    };
    await withProxy(upstream, {}, async (port) => {
      let sent = 0;
      const piece = new Uint8Array(64 * 1024).fill(7);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= SIZE) return controller.close();
          sent += piece.byteLength;
          controller.enqueue(piece);
        },
      });
      const response = await fetch(`http://127.0.0.1:${port}/up`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit);
      const result = await response.json();
      assert.equal(result.total, SIZE);
      // Arrived in pieces, not as one buffered block.
      assert.ok(result.chunks > 4, `chunks: ${result.chunks}`);
    });
  });

  test("streams a 4 MiB download: the first bytes arrive before the upstream finishes", async () => {
    let finished = false;
    const upstream = () => {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (sent >= SIZE) {
              finished = true;
              return controller.close();
            }
            if (sent === 256 * 1024) await delay(300);
            sent += 64 * 1024;
            controller.enqueue(new Uint8Array(64 * 1024).fill(1));
          },
        }),
      );
    };
    await withProxy(upstream, {}, async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/down`);
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.ok(!first.done && first.value.byteLength > 0);
      assert.equal(finished, false, "the first bytes came before the upstream's last");
      let total = first.value!.byteLength;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
      }
      assert.equal(total, SIZE);
    });
  });

  test("pipelined downstream requests are answered in order", async () => {
    const upstream = async (request: Request) => {
      const n = Number(new URL(request.url).pathname.slice(1));
      await delay((5 - n) * 20); // later requests answer sooner upstream
      return new Response(`r${n}`);
    };
    await withProxy(upstream, {}, async (port) => {
      const client = await RawClient.connect(port);
      try {
        let batch = "";
        for (let n = 0; n < 5; n++) batch += `GET /${n} HTTP/1.1\r\nHost: a\r\n\r\n`;
        await client.write(batch);
        for (let n = 0; n < 5; n++) assert.equal((await readResponse(client)).text, `r${n}`);
      } finally {
        client.destroy();
      }
    });
  });

  test("a HEAD and a 304 pass without a body", async () => {
    const upstream = (request: Request) =>
      request.headers.has("if-none-match")
        ? new Response(null, { status: 304, headers: { etag: '"1"' } })
        : new Response("hello");
    await withProxy(upstream, {}, async (port) => {
      const client = await RawClient.connect(port);
      try {
        await client.write("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
        const head = await readResponse(client, { head: true });
        assert.equal(head.status, 200);
        await client.write('GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "1"\r\n\r\n');
        const notModified = await readResponse(client);
        assert.equal(notModified.status, 304);
        await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert.equal((await readResponse(client)).text, "hello");
      } finally {
        client.destroy();
      }
    });
  });
});

/**
 * Issue 17's scenario: an upstream that closes idle connections after 2 s,
 * hit by bursts separated by idle gaps of 1.5–2.5 s — the gaps a proxy with
 * a fixed 60 s upstream idle time turns into 502s. The pool honours the
 * upstream's `Keep-Alive: timeout=2` and lets go first.
 */
describe("proxy: an upstream with a 2 s keep-alive timeout", { timeout: 60_000 }, () => {
  const GAPS = [1_500, 2_000, 2_500, 1_800];
  const BURST = 12;

  async function burstsThrough(upstreamUrl: string, seen: Map<string, number>): Promise<void> {
    const proxy = createProxyHandler({ upstreams: [upstreamUrl], upstreamConnections: 4 });
    const front = await serve(LOCAL, proxy);
    const statuses: number[] = [];
    try {
      let id = 0;
      for (const gap of [0, ...GAPS]) {
        await delay(gap);
        await Promise.all(
          Array.from({ length: BURST }, async (_, i) => {
            const post = i % 2 === 1;
            const key = `${post ? "POST" : "GET"}-${id++}`;
            const response = await fetch(`http://127.0.0.1:${front.addr.port}/${key}`, {
              method: post ? "POST" : "GET",
              ...(post ? { body: `body of ${key}` } : {}),
            });
            statuses.push(response.status);
            assert.equal(await response.text(), post ? `got body of ${key}` : `got ${key}`);
          }),
        );
      }
      assert.equal(statuses.filter((status) => status !== 200).length, 0, String(statuses));
      assert.equal(statuses.length, BURST * (GAPS.length + 1));
      for (const [key, count] of seen) {
        assert.equal(count, 1, `${key} reached the upstream ${count}×`);
      }
      assert.equal(seen.size, statuses.length);
      const [upstream] = proxy.upstreams();
      // Connections were reused within bursts and retired before the upstream's timeout.
      assert.ok(upstream.reusedRequests > 0);
      assert.equal(upstream.failures, 0);
    } finally {
      await front.shutdown();
      await proxy.close();
    }
  }

  test("keepwire upstream: zero 502 for GET and POST, no POST sent twice", async () => {
    const seen = new Map<string, number>();
    const app = await serve({ ...LOCAL, keepAliveTimeout: 2_000 }, async (request) => {
      const key = new URL(request.url).pathname.slice(1);
      if (request.method === "POST") seen.set(key, (seen.get(key) ?? 0) + 1);
      else seen.set(key, (seen.get(key) ?? 0) + 1);
      const body = request.method === "POST" ? await request.text() : key;
      return new Response(`got ${body}`);
    });
    try {
      await burstsThrough(`http://127.0.0.1:${app.addr.port}`, seen);
    } finally {
      await app.shutdown();
    }
  });

  test("node:http upstream: zero 502 for GET and POST, no POST sent twice", async () => {
    const seen = new Map<string, number>();
    const app: NodeServer = createNodeServer((request, response) => {
      const key = (request.url ?? "/").slice(1);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => response.end(`got ${request.method === "POST" ? body : key}`));
    });
    app.keepAliveTimeout = 2_000;
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const { port } = app.address() as { port: number };
    try {
      await burstsThrough(`http://127.0.0.1:${port}`, seen);
    } finally {
      app.closeAllConnections?.();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});

describe("proxy: a reused connection that fails", () => {
  test("a GET and a PUT with a small body are retried once by the pool; a POST gets 502 and reaches the upstream once", async () => {
    // Each connection answers its first request and resets on the second,
    // without a Keep-Alive hint: the pool reuses it and meets the reset.
    const seen: string[] = [];
    const upstream = createNetServer((socket) => {
      let requests = 0;
      let buffered = "";
      socket.on("error", () => {});
      socket.on("data", (chunk) => {
        buffered += chunk.toString("latin1");
        for (;;) {
          const match = /^(GET|POST|PUT) (\S+) HTTP\/1\.1\r\n/m.exec(buffered);
          if (match === null) return;
          buffered = buffered.slice(match.index + match[0].length);
          seen.push(`${match[1]} ${match[2]}`);
          if (++requests === 1) {
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          } else {
            socket.resetAndDestroy?.() ?? socket.destroy();
            return;
          }
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const { port: upstreamPort } = upstream.address() as { port: number };
    const proxy = createProxyHandler({
      upstreams: [`http://127.0.0.1:${upstreamPort}`],
      upstreamConnections: 1,
    });
    const front = await serve(LOCAL, proxy);
    const base = `http://127.0.0.1:${front.addr.port}`;
    try {
      assert.equal(await fetch(`${base}/warm1`).then((r) => r.text()), "ok");
      const post = await fetch(`${base}/post`, { method: "POST", body: "once" });
      await post.text();
      assert.equal(post.status, 502);
      assert.equal(await fetch(`${base}/warm2`).then((r) => r.text()), "ok");
      const get = await fetch(`${base}/get`);
      assert.equal(get.status, 200);
      assert.equal(await get.text(), "ok");
      assert.equal(seen.filter((line) => line === "POST /post").length, 1, seen.join(" | "));
      assert.equal(seen.filter((line) => line === "GET /get").length, 2, seen.join(" | "));
      // A small body is read whole, so an idempotent PUT can be sent again.
      const put = await fetch(`${base}/put`, { method: "PUT", body: "idempotent" });
      assert.equal(put.status, 200);
      assert.equal(await put.text(), "ok");
      assert.equal(seen.filter((line) => line === "PUT /put").length, 2, seen.join(" | "));
      assert.equal(proxy.upstreams()[0].staleRetries, 2);
    } finally {
      await front.shutdown();
      await proxy.close();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

describe("proxy: the client leaves", () => {
  test("the upstream request is aborted when the downstream client disconnects", async () => {
    let aborted = false;
    const upstream = async (request: Request) => {
      await new Promise<void>((resolve) => {
        request.signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        });
        setTimeout(resolve, 3_000);
      });
      return new Response("too late");
    };
    await withProxy(upstream, {}, async (port, proxy) => {
      const client = await RawClient.connect(port);
      await client.write("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
      await delay(200);
      client.destroy();
      const deadline = performance.now() + 2_000;
      while (!aborted && performance.now() < deadline) await delay(20);
      assert.equal(aborted, true, "the upstream saw the abort");
      assert.equal(proxy.upstreams()[0].open, 0);
    });
  });
});

describe("proxy: the runtime's own server as upstream", () => {
  const runtime = globalThis as unknown as {
    Deno?: {
      serve(
        options: { port: number; hostname: string; onListen?: () => void },
        handler: (request: Request) => Response | Promise<Response>,
      ): { addr: { port: number }; shutdown(): Promise<void> };
    };
    Bun?: {
      serve(
        options: {
          port: number;
          hostname: string;
          fetch: (request: Request) => Response | Promise<Response>;
        },
      ): {
        port: number;
        stop(force?: boolean): void;
      };
    };
  };
  const native = runtime.Deno !== undefined
    ? "Deno.serve"
    : runtime.Bun !== undefined
    ? "Bun.serve"
    : null;

  test(`${native ?? "Deno.serve / Bun.serve"}: GET and a streamed POST pass, with Via`, {
    skip: native === null ? "Node has no native Fetch server" : false,
  }, async () => {
    // The runtime's own Response: Bun runs every test file in one process, and a file that
    // installed keepwire's light globals would hand Bun.serve a Response it does not know.
    const handler = async (request: Request) =>
      new NativeResponse(
        `${request.method} ${request.headers.get("via")} ${await request.text()}`,
      );
    let port: number;
    let stop: () => Promise<void>;
    if (runtime.Deno !== undefined) {
      const server = runtime.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
      port = server.addr.port;
      stop = () => server.shutdown();
    } else {
      const server = runtime.Bun!.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
      port = server.port;
      stop = () => Promise.resolve(server.stop(true));
    }
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${port}`] });
    const front = await serve(LOCAL, proxy);
    try {
      const base = `http://127.0.0.1:${front.addr.port}`;
      for (let i = 0; i < 3; i++) {
        assert.equal(await (await fetch(`${base}/`)).text(), "GET 1.1 keepwire ");
        const post = await fetch(`${base}/`, { method: "POST", body: `n${i}` });
        assert.equal(await post.text(), `POST 1.1 keepwire n${i}`);
      }
      assert.ok(proxy.upstreams()[0].reusedRequests > 0);
    } finally {
      await front.shutdown();
      await proxy.close();
      await stop();
    }
  });
});
