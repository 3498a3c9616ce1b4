/**
 * serve() end to end over real sockets on the runtime running the test
 * (the same file runs under Deno, Bun and Node). Raw bytes in, raw bytes
 * out: every keep-alive rule is checked on the wire.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import { RawClient } from "../_support/raw_client.ts";
import { closesWithin, readResponse } from "../_support/http_reader.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withServer(
  options: ServeOptions,
  handler: Handler,
  body: (server: Server, connect: () => Promise<RawClient>) => Promise<void>,
): Promise<void> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", ...options }, handler);
  const clients: RawClient[] = [];
  const connect = async () => {
    const client = await RawClient.connect(server.addr.port);
    clients.push(client);
    return client;
  };
  try {
    await body(server, connect);
  } finally {
    for (const client of clients) client.destroy();
    await server.shutdown();
  }
}

const hello: Handler = (_request, info) =>
  new Response(`hello ${info.connection.id}/${info.connection.requestIndex}`);

const get = (path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

describe("serve(): HTTP/1.1 persistence", () => {
  test("sequential requests reuse one connection and count down max", async () => {
    await withServer({ maxRequestsPerConnection: 5 }, hello, async (server, connect) => {
      const client = await connect();
      const hints: string[] = [];
      for (let i = 1; i <= 5; i++) {
        await client.write(get());
        const response = await readResponse(client);
        assert.equal(response.status, 200);
        assert.match(response.text, new RegExp(`^hello \\d+/${i}$`));
        assert.ok(response.headers.has("date"), "every response has a Date");
        hints.push(
          response.headers.get("keep-alive") ?? `Connection: ${response.headers.get("connection")}`,
        );
      }
      assert.deepEqual(hints, [
        "timeout=5, max=4",
        "timeout=5, max=3",
        "timeout=5, max=2",
        "timeout=5, max=1",
        "Connection: close",
      ]);
      assert.ok(await closesWithin(client, 2000), "the connection closes after the 5th response");
      assert.equal(server.stats.totalConnections, 1);
      assert.equal(server.stats.totalRequests, 5);
      assert.equal(server.stats.reusedRequests, 4);
    });
  });

  test("Connection: close in the request closes after the response", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(get("/", "Connection: Keep-Alive, CLOSE\r\n"));
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(response.headers.has("keep-alive"), false);
      assert.ok(await closesWithin(client, 2000));
    });
  });

  test("Connection: close from the handler closes after the response", async () => {
    const handler: Handler = () => new Response("bye", { headers: { connection: "close" } });
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await closesWithin(client, 2000));
    });
  });

  test("keepAliveHint: false omits the Keep-Alive field", async () => {
    await withServer({ keepAliveHint: false }, hello, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.has("keep-alive"), false);
      assert.equal(response.headers.has("connection"), false);
    });
  });
});

describe("serve(): HTTP/1.0", () => {
  test("closes without keep-alive", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      await client.write("GET / HTTP/1.0\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await closesWithin(client, 2000));
    });
  });

  test("persists with keep-alive and a length-framed body, and says so", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      for (let i = 1; i <= 2; i++) {
        await client.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        const response = await readResponse(client);
        assert.equal(response.headers.get("connection"), "keep-alive");
        assert.equal(response.headers.get("keep-alive"), "timeout=5, max=" + (1000 - i));
        assert.equal(response.framing, "length");
      }
    });
  });

  test("a body of unknown length is close-delimited, even with keep-alive", async () => {
    const handler: Handler = () => new Response(slowStream(["a", "b"], 30));
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.framing, "close");
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(response.text, "ab");
    });
  });
});

function slowStream(parts: string[], delayMs: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      await sleep(delayMs);
      if (index < parts.length) controller.enqueue(encoder.encode(parts[index++]));
      else controller.close();
    },
  });
}

describe("serve(): response framing", () => {
  test("a small stream that is ready at once is sent with Content-Length", async () => {
    const handler: Handler = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("ready "));
            controller.enqueue(new TextEncoder().encode("now"));
            controller.close();
          },
        }),
      );
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      const response = await readResponse(client);
      assert.equal(response.framing, "length");
      assert.equal(response.text, "ready now");
    });
  });

  test("a waiting stream is chunked to HTTP/1.1 and the connection persists", async () => {
    const handler: Handler = () => new Response(slowStream(["one", "two", "three"], 20));
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      for (let i = 0; i < 2; i++) {
        await client.write(get());
        const response = await readResponse(client);
        assert.equal(response.framing, "chunked");
        assert.equal(response.text, "onetwothree");
      }
    });
  });

  test("a body larger than the read-ahead is chunked", async () => {
    const handler: Handler = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(1000).fill(65 + i));
            controller.close();
          },
        }),
      );
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write(get());
      const response = await readResponse(client);
      assert.equal(response.framing, "chunked");
      assert.equal(response.body.byteLength, 10_000);
    });
  });

  test("HEAD gets the length and no body; 204 and 304 get neither", async () => {
    const handler: Handler = (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/204") return new Response(null, { status: 204 });
      if (path === "/304") return new Response(null, { status: 304 });
      return new Response("twelve bytes");
    };
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
      const head = await readResponse(client, { head: true });
      assert.equal(head.headers.get("content-length"), "12");
      for (const status of [204, 304]) {
        await client.write(get(`/${status}`));
        const response = await readResponse(client);
        assert.equal(response.status, status);
        assert.equal(response.headers.has("content-length"), false);
        assert.equal(response.headers.has("transfer-encoding"), false);
      }
      // Nothing stray followed: the connection still answers in step.
      await client.write(get());
      assert.equal((await readResponse(client)).text, "twelve bytes");
    });
  });
});

describe("serve(): pipelining", () => {
  test("answers in request order even when the first handler is slowest", async () => {
    const handler: Handler = async (request) => {
      const ms = Number(new URL(request.url).searchParams.get("ms"));
      await sleep(ms);
      return new Response(`slept ${ms}`);
    };
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write(get("/?ms=60") + get("/?ms=0") + get("/?ms=30"));
      const texts = [];
      for (let i = 0; i < 3; i++) texts.push((await readResponse(client)).text);
      assert.deepEqual(texts, ["slept 60", "slept 0", "slept 30"]);
    });
  });

  test("a Connection: close request ends the pipeline; later requests go unanswered", async () => {
    let handled = 0;
    const handler: Handler = () => new Response(`#${++handled}`);
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write(get() + get("/", "Connection: close\r\n") + get());
      const all = new TextDecoder().decode(await client.readToEnd());
      assert.equal(all.match(/HTTP\/1\.1 200/g)?.length, 2);
      assert.equal(handled, 2);
    });
  });

  test("ready responses to a pipelined batch leave in one write", async () => {
    await withServer({}, hello, async (_server, connect) => {
      const client = await connect();
      const batch = Array.from({ length: 16 }, () => get()).join("");
      await client.write(batch);
      for (let i = 0; i < 16; i++) assert.equal((await readResponse(client)).status, 200);
    });
  });
});

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
