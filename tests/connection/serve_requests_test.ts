/**
 * serve() end to end over real sockets, as serve_test.ts: what the server
 * does with requests — bodies (read, drained or refused, 100-continue),
 * bad requests (the right 4xx/5xx, then close), timeouts and shutdown.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import { serve } from "../../lib/serve.ts";
import { RawClient } from "../_support/raw_client.ts";
import { closesWithin, readResponse } from "../_support/http_reader.ts";
import { get, hello, sleep, withServer } from "../_support/serve_raw.ts";

describe("serve(): request bodies", () => {
  const echo: Handler = async (request) => new Response(await request.text());

  test("echoes Content-Length and chunked bodies and stays in step", async () => {
    await withServer({}, echo, async (_server, connect) => {
      const client = await connect();
      await client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
      assert.equal((await readResponse(client)).text, "hello");
      await client.write(
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      );
      assert.equal((await readResponse(client)).text, "abcde");
    });
  });

  test("an unread small body is drained and the connection persists", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789");
      const first = await readResponse(client);
      assert.equal(first.headers.has("connection"), false);
      await client.write(get());
      assert.match((await readResponse(client)).text, /\/2$/);
    });
  });

  test("an unread chunked body is drained as a length one, and the connection persists (issue 12)", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      const chunk = "x".repeat(8192);
      const body = `2000\r\n${chunk}\r\n`.repeat(8) + "0\r\n\r\n";
      for (const framing of [`Content-Length: ${8 * 8192}`, "Transfer-Encoding: chunked"]) {
        const payload = framing.startsWith("Content") ? chunk.repeat(8) : body;
        await client.write(`POST / HTTP/1.1\r\nHost: t\r\n${framing}\r\n\r\n${payload}`);
        const response = await readResponse(client);
        assert.equal(response.headers.has("connection"), false, framing);
      }
      await client.write(get());
      assert.match((await readResponse(client)).text, /\/3$/);
    });
  });

  test("an unread body too large to drain closes the connection", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n0123");
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await closesWithin(client, 3000));
    });
  });

  test("Expect: 100-continue gets 100 Continue when the handler reads", async () => {
    await withServer({}, echo, async (_server, connect) => {
      const client = await connect();
      await client.write(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
      );
      const interim = await client.readUntil("\r\n\r\n");
      assert.equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
      await client.write("body");
      assert.equal((await readResponse(client)).text, "body");
    });
  });

  test("Expect: 100-continue answered without reading closes instead of desynchronising", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
      );
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("connection"), "close");
    });
  });
});

describe("serve(): errors", () => {
  const cases: [string, string, number][] = [
    ["GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 without Host", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Host fields", 400],
    ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", "a well-formed unsupported version", 505],
    [
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "CL and TE together",
      400,
    ],
    [
      "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "an unsupported coding",
      501,
    ],
    ["G@T / HTTP/1.1\r\nHost: a\r\n\r\n", "a method that is not a token", 400],
  ];
  for (const [bytes, why, status] of cases) {
    test(`${why} gets ${status} and a closed connection`, async () => {
      let handled = 0;
      await withServer({}, () => new Response(`${++handled}`), async (_server, connect) => {
        const client = await connect();
        await client.write(bytes + get());
        const response = await readResponse(client);
        assert.equal(response.status, status);
        assert.equal(response.headers.get("connection"), "close");
        assert.ok(await closesWithin(client, 3000));
        assert.equal(handled, 0, "the pipelined canary never reaches the handler");
      });
    });
  }

  test("a request-line over the limit gets 414", async () => {
    await withServer({ maxRequestLineSize: 100 }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(get("/" + "a".repeat(200)));
      assert.equal((await readResponse(client)).status, 414);
    });
  });

  test("a body over maxBodySize gets 413", async () => {
    await withServer({ maxBodySize: 10 }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n01234567890");
      assert.equal((await readResponse(client)).status, 413);
    });
  });

  test("a throwing handler gets a 500 and the connection survives", async () => {
    const handler: Handler = (request) => {
      if (request.url.endsWith("/boom")) throw new Error("boom");
      return new Response("fine");
    };
    await withServer(
      { onError: () => new Response("oops", { status: 500 }) },
      handler,
      async (_server, connect) => {
        const client = await connect();
        await client.write(get("/boom"));
        const failed = await readResponse(client);
        assert.equal(failed.status, 500);
        assert.equal(failed.text, "oops");
        await client.write(get());
        assert.equal((await readResponse(client)).text, "fine");
      },
    );
  });

  test("RFC 9112 §3.2.2: an absolute-form target's authority wins over a different Host", async () => {
    const handler: Handler = (request) => new Response(request.url);
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      for (
        const [target, url] of [
          ["http://example.org?x=1", "http://example.org/?x=1"],
          ["http://example.org:8080", "http://example.org:8080/"],
        ]
      ) {
        await client.write(`GET ${target} HTTP/1.1\r\nHost: other.test\r\n\r\n`);
        const response = await readResponse(client);
        assert.equal(response.status, 200, target);
        assert.equal(response.text, url);
      }
    });
  });

  test("CONNECT gets 501 without reaching the handler", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
      assert.equal((await readResponse(client)).status, 501);
    });
  });
});

describe("serve(): timeouts", () => {
  test("an idle connection closes after the keep-alive timeout, not before", async () => {
    await withServer({ keepAliveTimeout: 1000 }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.get("keep-alive"), "timeout=1, max=999");
      const started = Date.now();
      await client.ended;
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 950, `closed after ${elapsed} ms`);
      assert.ok(elapsed <= 2000, `closed after ${elapsed} ms`);
    });
  });

  test("stray CRLFs do not reset the idle timer", async () => {
    await withServer({ keepAliveTimeout: 1000 }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      await readResponse(client);
      const started = Date.now();
      await sleep(500);
      await client.write("\r\n");
      await client.ended;
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 1500, `closed after ${elapsed} ms, the CRLF must not re-arm the timer`);
    });
  });

  test("a head that never completes gets 408", async () => {
    await withServer({ headersTimeout: 400 }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("GET / HTTP/1.1\r\nHost: t\r\n");
      const response = await readResponse(client);
      assert.equal(response.status, 408);
      assert.ok(await closesWithin(client, 3000));
    });
  });
});

describe("serve(): shutdown", () => {
  test("closes idle connections at once and lets in-flight requests finish with close", async () => {
    const handler: Handler = async () => {
      await sleep(200);
      return new Response("late");
    };
    const server = await serve({ port: 0, hostname: "127.0.0.1" }, handler);
    const idle = await RawClient.connect(server.addr.port);
    const busy = await RawClient.connect(server.addr.port);
    try {
      await busy.write(get());
      await sleep(50);
      const done = server.shutdown();
      assert.ok(await closesWithin(idle, 1000), "the idle connection closes at once");
      const response = await readResponse(busy);
      assert.equal(response.text, "late");
      assert.equal(response.headers.get("connection"), "close");
      await done;
      assert.equal(server.stats.openConnections, 0);
    } finally {
      idle.destroy();
      busy.destroy();
    }
  });
});
