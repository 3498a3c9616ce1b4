/**
 * serve() end to end over real sockets on the runtime running the test
 * (the same file runs under Deno, Bun and Node). Raw bytes in, raw bytes
 * out: every keep-alive rule is checked on the wire — persistence, HTTP/1.0,
 * response framing, pipelining. What the server does with requests (bodies,
 * bad requests, timeouts, shutdown) is in serve_requests_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import { closesWithin, readResponse } from "../_support/http_reader.ts";
import { get, hello, sleep, withServer } from "../_support/serve_raw.ts";

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
  test("HEAD answered with no body and no length states none", async () => {
    // RFC 9110 §9.3.2: a HEAD response's Content-Length must be what GET
    // would send; with no body and no declared length that is unknown.
    // Node's default is the light objects and Deno's and Bun's the native
    // ones, so both paths are covered without installing the light globals
    // (in a Bun run they would stay installed for the files that follow).
    const handler: Handler = (request) =>
      new Response(null, { headers: { "x-path": new URL(request.url).pathname } });
    await withServer({}, handler, async (_server, connect) => {
      const client = await connect();
      await client.write("HEAD /a HTTP/1.1\r\nHost: t\r\n\r\n");
      const head = await readResponse(client, { head: true });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("x-path"), "/a");
      assert.equal(head.headers.has("content-length"), false);
      assert.equal(head.headers.has("transfer-encoding"), false);
      // The connection persists and stays in step.
      await client.write(get());
      const next = await readResponse(client);
      assert.equal(next.headers.get("content-length"), "0");
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
