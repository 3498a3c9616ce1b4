/**
 * The reverse proxy's HTTP semantics over real sockets (issue 17):
 * `Expect: 100-continue` passed through (RFC 9110 §10.1.1), request body
 * framing kept (chunked stays chunked and streams, Content-Length stays a
 * length, RFC 9112 §6), and the upstream's `Keep-Alive: timeout` hint
 * deciding the pooled connection's idle life whether it is shorter or
 * longer than `upstreamKeepAliveTimeout`.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { createProxyHandler } from "../../lib/handlers/proxy.ts";
import { delay, RawClient, waitFor } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { OK, RawUpstream, split, withRawUpstream } from "./_raw_upstream.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };

describe("proxy: Expect: 100-continue (RFC 9110 §10.1.1)", () => {
  test("the client's 100 comes after the upstream's, then the body goes through", async () => {
    let held: Socket | null = null;
    const upstream = new RawUpstream((pending, socket) => {
      const { head, body } = split(pending);
      if (!pending.includes("\r\n\r\n")) return null;
      if (held === null) {
        // Hold the 100 until the test says so.
        held = socket;
        return null;
      }
      return head !== "" && body === "hello" ? OK : null;
    });
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write(
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      );
      await waitFor(() => held !== null, "the request head reached the upstream");
      const { head } = split(upstream.received);
      assert.match(head, /\r\nexpect: 100-continue(\r\n|$)/);
      assert.match(head, /\r\ncontent-length: 5(\r\n|$)/);
      // The upstream has not agreed yet: the client hears nothing.
      await delay(300);
      assert.equal(client.buffered, 0, "no 100 Continue before the upstream's");
      held!.write("HTTP/1.1 100 Continue\r\n\r\n");
      const interim = await client.readUntil("\r\n\r\n");
      assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/);
      await client.write("hello");
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.text, "ok");
      assert.equal(split(upstream.received).body, "hello");
    });
  });

  for (const [status, reason] of [[417, "Expectation Failed"], [401, "Unauthorized"]] as const) {
    test(`a ${status} instead of 100 reaches the client; the body never goes upstream`, async () => {
      const upstream = new RawUpstream((pending) =>
        pending.includes("\r\n\r\n")
          ? `HTTP/1.1 ${status} ${reason}\r\nContent-Length: 4\r\n\r\nnope`
          : null
      );
      await withRawUpstream(upstream, {}, async (client) => {
        await client.write(
          "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        );
        // The first thing the client hears is the final answer, not a 100.
        const head = await client.readUntil("\r\n\r\n");
        assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `));
        assert.equal(new TextDecoder().decode(await client.readBytes(4)), "nope");
        // A client that sends its body anyway (curl after its own wait):
        // the proxy never read it, so the upstream never sees it, even
        // after the pool's expect timeout (1 s) has passed.
        await client.write("hello").catch(() => {});
        await delay(1_300);
        assert.equal(upstream.requests.length, 1);
        assert.equal(split(upstream.received).body, "");
      });
    });
  }
});

describe("proxy: Expect: 100-continue with other upstreams", () => {
  test("an upstream that never says 100: the body goes after the pool's wait (1 s)", async () => {
    // Like an HTTP/1.0 server: it ignores the expectation and waits for the body.
    const upstream = new RawUpstream((pending) => split(pending).body === "hello" ? OK : null);
    await withRawUpstream(upstream, {}, async (client) => {
      const started = performance.now();
      await client.write(
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n", 5_000), /^HTTP\/1\.1 100 /);
      assert.ok(performance.now() - started >= 900, "the 100 waited for the pool's timeout");
      await client.write("hello");
      assert.equal((await readResponse(client)).text, "ok");
    });
  });

  test("keepwire's own server upstream: 100 when its handler reads, 413 without it", async () => {
    const app = await serve(LOCAL, async (request) => {
      if (request.headers.get("content-length") === "999") {
        return new Response(null, { status: 413 });
      }
      return new Response(`read ${await request.text()}`);
    });
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    const refused = await RawClient.connect(front.addr.port);
    try {
      await client.write(
        "PUT /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 100 /);
      await client.write("hello");
      assert.equal((await readResponse(client)).text, "read hello");
      await refused.write(
        "PUT /a HTTP/1.1\r\nHost: a\r\nContent-Length: 999\r\nExpect: 100-continue\r\n\r\n",
      );
      assert.match(await refused.readUntil("\r\n\r\n"), /^HTTP\/1\.1 413 /);
    } finally {
      client.destroy();
      refused.destroy();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });
});

describe("proxy: request body framing (RFC 9112 §6)", () => {
  const answerWhenComplete = (pending: string): string | null => {
    const { head, body } = split(pending);
    if (!pending.includes("\r\n\r\n")) return null;
    if (head.includes("transfer-encoding: chunked")) return body.endsWith("0\r\n\r\n") ? OK : null;
    const length = Number(/content-length: (\d+)/.exec(head)?.[1] ?? 0);
    return body.length >= length ? OK : null;
  };

  test("a chunked body of unknown length goes chunked, piece by piece", async () => {
    const upstream = new RawUpstream(answerWhenComplete);
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write(
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      );
      // The first piece is upstream before the client has sent the rest:
      // the body streams, it is not gathered to learn its length.
      await waitFor(() => upstream.received.includes("hello"), "the first chunk upstream");
      await client.write("6\r\n world\r\n0\r\n\r\n");
      assert.equal((await readResponse(client)).status, 200);
      const { head, body } = split(upstream.requests[0]);
      assert.match(head, /\r\ntransfer-encoding: chunked(\r\n|$)/);
      assert.doesNotMatch(head, /content-length/);
      assert.equal(dechunk(body), "hello world");
    });
  });

  test("a body with Content-Length keeps its length, streamed as it comes", async () => {
    const upstream = new RawUpstream(answerWhenComplete);
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write("PUT /l HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello");
      await waitFor(() => upstream.received.includes("hello"), "the first bytes upstream");
      await client.write(" world");
      assert.equal((await readResponse(client)).status, 200);
      const { head, body } = split(upstream.requests[0]);
      assert.match(head, /\r\ncontent-length: 11(\r\n|$)/);
      assert.doesNotMatch(head, /transfer-encoding/);
      assert.equal(body, "hello world");
    });
  });

  test("a Fetch client's streamed upload arrives whole through the proxy", async () => {
    const upstream = new RawUpstream(answerWhenComplete);
    const port = await upstream.listen();
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${port}`] });
    const front = await serve(LOCAL, proxy);
    try {
      const pieces = ["one ", "two ", "three"];
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const piece = pieces.shift();
          if (piece === undefined) return controller.close();
          await delay(20);
          controller.enqueue(new TextEncoder().encode(piece));
        },
      });
      const response = await fetch(`http://127.0.0.1:${front.addr.port}/f`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit);
      assert.equal(await response.text(), "ok");
      const { head, body: sent } = split(upstream.requests[0]);
      assert.match(head, /\r\ntransfer-encoding: chunked(\r\n|$)/);
      assert.equal(dechunk(sent), "one two three");
    } finally {
      await front.shutdown();
      await proxy.close();
      await upstream.close();
    }
  });
});

/** A chunked body's data (no extensions or trailers in these tests). */
function dechunk(body: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (size === 0) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * `upstreamKeepAliveTimeout` is for upstreams that send no hint. A hint
 * decides, shorter or longer: the connection is retired a margin (1 s, at
 * most half the hint) before the upstream would close it.
 */
describe("proxy: the upstream's Keep-Alive hint decides the idle life", { timeout: 30_000 }, () => {
  async function withHintingUpstream(
    keepAliveTimeout: number,
    upstreamKeepAliveTimeout: number,
    run: (get: () => Promise<number>) => Promise<void>,
  ): Promise<void> {
    const app: Server = await serve({ ...LOCAL, keepAliveTimeout }, () => new Response("ok"));
    const proxy = createProxyHandler({
      upstreams: [`http://127.0.0.1:${app.addr.port}`],
      upstreamKeepAliveTimeout,
    });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    const get = async () => {
      await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      return proxy.upstreams()[0].connectionsOpened;
    };
    try {
      await run(get);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  }

  test("a hint shorter than the option: retired before the hint (2 s hint, 10 s option)", async () => {
    await withHintingUpstream(2_000, 10_000, async (get) => {
      assert.equal(await get(), 1);
      await delay(300);
      assert.equal(await get(), 1, "reused within the hint's idle life (1 s)");
      await delay(1_300);
      assert.equal(await get(), 2, "retired after 1 s, though the option says 10 s");
    });
  });

  test("a hint longer than the option: kept by the hint (3 s hint, 300 ms option)", async () => {
    await withHintingUpstream(3_000, 300, async (get) => {
      assert.equal(await get(), 1);
      await delay(900);
      assert.equal(await get(), 1, "reused after 900 ms, though the option says 300 ms");
      await delay(2_300);
      assert.equal(await get(), 2, "retired after 2 s, before the upstream's 3 s");
    });
  });

  test("no hint: the option decides (300 ms)", async () => {
    const upstream = new RawUpstream((pending) => pending.endsWith("\r\n\r\n") ? OK : null);
    const port = await upstream.listen();
    const proxy = createProxyHandler({
      upstreams: [`http://127.0.0.1:${port}`],
      upstreamKeepAliveTimeout: 300,
    });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      const get = async () => {
        await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert.equal((await readResponse(client)).status, 200);
        return proxy.upstreams()[0].connectionsOpened;
      };
      assert.equal(await get(), 1);
      await delay(50);
      assert.equal(await get(), 1);
      await delay(700);
      assert.equal(await get(), 2);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await upstream.close();
    }
  });
});
