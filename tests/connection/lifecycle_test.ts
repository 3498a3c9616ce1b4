/**
 * The connection lifecycle of RFC 9112 §9, driven through an in-memory
 * transport pair (client bytes ↔ server connection, no sockets): each test
 * names the section it checks. The same rules over real sockets, per
 * runtime, are in serve_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import type { ConnectionEvent } from "../../lib/connection/observer.ts";
import { UNREAD_BODY_DRAIN_LIMIT } from "../../lib/connection/exchange.ts";
import { closesWithin, readResponse } from "../_support/http_reader.ts";
import { type MemoryClient, withMemoryServer } from "../_support/memory_pair.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const hello: Handler = (_request, info) =>
  new Response(`hello ${info.connection.id}/${info.connection.requestIndex}`);

const get = (path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

/** A handler that answers without reading the request body. */
const ignoresBody: Handler = (request) => new Response(`ignored ${request.method}`);

/** `size` bytes of chunked body in chunks of at most 16 KiB, ending with the last-chunk. */
function chunkedBody(size: number): string {
  let body = "";
  for (let left = size; left > 0; left -= 16_384) {
    const length = Math.min(left, 16_384);
    body += `${length.toString(16)}\r\n${"x".repeat(length)}\r\n`;
  }
  return body + "0\r\n\r\n";
}

/** Whether the connection is still open after a short quiet period. */
async function staysOpen(client: MemoryClient, ms = 100): Promise<boolean> {
  return !(await closesWithin(client, ms));
}

describe("RFC 9112 §9.3: persistence defaults", () => {
  test("§9.3: HTTP/1.1 persists without any Connection field", async () => {
    await withMemoryServer({}, hello, async (server) => {
      const client = server.connect();
      for (let i = 1; i <= 3; i++) {
        client.write(get());
        const response = await readResponse(client);
        assert.equal(response.text, `hello 1/${i}`);
        assert.equal(response.headers.has("connection"), false);
        assert.equal(response.headers.get("keep-alive"), `timeout=5, max=${1000 - i}`);
      }
      assert.ok(await staysOpen(client));
      assert.equal(server.stats.totalConnections, 1);
      assert.equal(server.stats.reusedRequests, 2);
    });
  });

  test("§9.3: HTTP/1.0 without keep-alive closes after the response", async () => {
    await withMemoryServer({}, hello, async (server) => {
      const client = server.connect();
      client.write("GET / HTTP/1.0\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(response.headers.has("keep-alive"), false);
      assert.ok(await closesWithin(client, 1000));
    });
  });

  test("§9.3: HTTP/1.0 with Connection: keep-alive persists and says keep-alive back", async () => {
    await withMemoryServer({}, hello, async (server) => {
      const client = server.connect();
      for (let i = 1; i <= 2; i++) {
        client.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        const response = await readResponse(client);
        assert.equal(response.headers.get("connection"), "keep-alive");
        assert.equal(response.framing, "length");
        assert.equal(response.text, `hello 1/${i}`);
      }
      assert.ok(await staysOpen(client));
    });
  });

  test("§9.3 + §6.3: an HTTP/1.0 response of unknown length is close-delimited and ends the connection", async () => {
    const handler: Handler = () =>
      new Response(
        new ReadableStream({
          async pull(controller) {
            await sleep(20);
            controller.enqueue(new TextEncoder().encode("slow"));
            controller.close();
          },
        }),
      );
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.framing, "close");
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(response.text, "slow");
    });
  });
});

describe("RFC 9112 §9.6: tear-down by Connection: close", () => {
  test("§9.6: a request's close (tokens case-insensitive) ends the connection after its response; a later pipelined request goes unanswered", async () => {
    let calls = 0;
    const handler: Handler = () => new Response(`call ${++calls}`);
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write(get("/a", "Connection: Keep-Alive, CLOSE\r\n") + get("/b"));
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(response.headers.has("keep-alive"), false);
      assert.equal((await client.readToEnd()).byteLength, 0);
      assert.equal(calls, 1, "the request after close is never read");
    });
  });

  test("§9.6: the handler's Connection: close ends the connection after that response", async () => {
    const handler: Handler = () => new Response("bye", { headers: { connection: "close" } });
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await closesWithin(client, 1000));
    });
  });

  test("§9.6 + Keep-Alive max (RFC 2068 §19.7.1.1): max counts down; the last allowed response says close", async () => {
    await withMemoryServer({ maxRequestsPerConnection: 3 }, hello, async (server) => {
      const client = server.connect();
      const hints: string[] = [];
      for (let i = 1; i <= 3; i++) {
        client.write(get());
        const response = await readResponse(client);
        hints.push(
          response.headers.get("keep-alive") ?? `close=${response.headers.get("connection")}`,
        );
      }
      assert.deepEqual(hints, ["timeout=5, max=2", "timeout=5, max=1", "close=close"]);
      assert.ok(await closesWithin(client, 1000));
    });
  });
});

describe("RFC 9112 §9.3.2: pipelining", () => {
  test("§9.3.2: responses leave in request order, even when the first handler is slowest", async () => {
    const handler: Handler = async (request) => {
      const delayMs = Number(new URL(request.url).searchParams.get("delay"));
      await sleep(delayMs);
      return new Response(new URL(request.url).pathname);
    };
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write(get("/1?delay=60") + get("/2?delay=0") + get("/3?delay=20"));
      const texts = [];
      for (let i = 0; i < 3; i++) texts.push((await readResponse(client)).text);
      assert.deepEqual(texts, ["/1", "/2", "/3"]);
    });
  });

  test("§9.3.2: responses ready together leave in one write", async () => {
    await withMemoryServer({}, hello, async (server) => {
      const client = server.connect();
      client.write(get() + get() + get() + get());
      for (let i = 1; i <= 4; i++) assert.equal((await readResponse(client)).text, `hello 1/${i}`);
      assert.equal(client.writes.length, 1);
    });
  });

  test("§9.3.2: responses read behind a streamed one keep their order; one that cannot be read becomes a 500 in its place", async () => {
    const handler: Handler = (request) => {
      const path = new URL(request.url).pathname;
      if (path !== "/locked") return new Response(streamOf(path));
      const response = new Response(streamOf("never sent"));
      response.body!.getReader(); // a handler bug: the body is locked
      return response;
    };
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write(get("/a") + get("/locked") + get("/b") + get("/c"));
      const responses = [];
      for (let i = 0; i < 4; i++) responses.push(await readResponse(client));
      assert.deepEqual(responses.map((response) => response.status), [200, 500, 200, 200]);
      assert.deepEqual(responses.map((response) => response.text), [
        "/a",
        "Internal Server Error\n",
        "/b",
        "/c",
      ]);
      assert.ok(await staysOpen(client));
    });
  });

  test("§9.3.2 + §9.6: a response body read ahead for a pipelined request whose turn never comes (the one before closes) is cancelled", async () => {
    let cancelled = false;
    let served = 0;
    const handler: Handler = (request) => {
      served++;
      if (request.url.endsWith("/last")) {
        return new Response(streamOf("bye"), { headers: { connection: "close" } });
      }
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    };
    await withMemoryServer({}, handler, async (server) => {
      const client = server.connect();
      client.write(get("/last") + get("/events"));
      assert.equal((await readResponse(client)).text, "bye");
      await client.ended;
      for (let i = 0; i < 100 && !cancelled; i++) await sleep(10);
      assert.equal(served, 2);
      assert.ok(cancelled, "the stream behind the last response was cancelled");
    });
  });
});

/** A body stream of one chunk, already closed. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

describe("RFC 9112 §9.5: idle timeout", () => {
  // Times are the server's own (its observer events and snapshots), so a
  // busy machine can delay a close but never make it look early.
  test("§9.5: an idle connection closes after keepAliveTimeout, not before; the hint never overstates it", async () => {
    await withMemoryServer({ keepAliveTimeout: 1_500 }, hello, async (server) => {
      const events: ConnectionEvent[] = [];
      server.observeConnections((event) => events.push(event));
      const client = server.connect();
      client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.get("keep-alive"), "timeout=1, max=999");
      await client.closed;
      const idle = events.find((event) => event.type === "idle")!;
      const close = events.find((event) => event.type === "close")!;
      assert.equal(close.type === "close" && close.cause, "idle_timeout");
      const waited = close.time - idle.time;
      // The sweep runs every 250 ms; a busy machine may add more, never less.
      assert.ok(waited >= 1_500 && waited < 4_000, `closed ${waited} ms after going idle`);
    });
  });

  test("§9.5 + §2.2: stray CRLFs between requests are skipped and do not reset the idle timer", async () => {
    await withMemoryServer({ keepAliveTimeout: 1_000 }, hello, async (server) => {
      const client = server.connect();
      client.write(get());
      await readResponse(client);
      for (let i = 0; i < 4 && !client.isEnded; i++) {
        await sleep(200);
        if (!client.isEnded) client.write("\r\n");
      }
      await sleep(20);
      // 800 ms or more of idleness are gone: had the last CRLF reset the timer, nearly all 1000 would be left.
      const left = server.connections()[0]?.idleTimeLeft ?? 0;
      assert.ok(left !== null && left <= 200, `${left} ms left after the CRLFs`);
      assert.equal(server.stats.totalRequests, 1);
      await client.ended;
    });
  });

  test("§9.5: a connection idle over several sweeps (which drop its reader and queue) reads a body and a pipeline after, then closes on the client's FIN", async () => {
    const echo: Handler = async (request, info) =>
      new Response(`${info.connection.requestIndex} ${await request.text()}`);
    await withMemoryServer({}, echo, async (server) => {
      const client = server.connect();
      client.write(get());
      assert.equal((await readResponse(client)).text, "1 ");
      await sleep(600); // the sweep runs every 250 ms
      assert.equal(server.connections()[0]?.state, "idle");
      client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc" + get());
      assert.equal((await readResponse(client)).text, "2 abc");
      assert.equal((await readResponse(client)).text, "3 ");
      await sleep(600);
      client.end();
      await client.closed;
      assert.equal(server.stats.totalRequests, 3);
    });
  });
});

describe("RFC 9112 §9.6: half-close and lingering close", () => {
  test("§9.6: a client that half-closes after its requests gets every response, then the server closes", async () => {
    await withMemoryServer({}, hello, async (server) => {
      const client = server.connect();
      client.write(get("/a") + get("/b") + get("/c"));
      client.end();
      const texts = [];
      for (let i = 0; i < 3; i++) texts.push(await readResponse(client));
      assert.deepEqual(texts.map((response) => response.text), [
        "hello 1/1",
        "hello 1/2",
        "hello 1/3",
      ]);
      assert.equal(texts[2].headers.get("connection"), "close", "the last one says close");
      await client.closed;
    });
  });

  test("§9.6: after the last response the server half-closes and reads on (lingering), discarding what still arrives", async () => {
    await withMemoryServer({ maxRequestsPerConnection: 1 }, hello, async (server) => {
      const client = server.connect();
      client.write(get());
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      await client.ended;
      assert.equal(client.isClosed, false, "FIN sent, the connection lingers");
      client.write(get()); // a late request: read and dropped, no reset
      await sleep(30);
      assert.equal(client.buffered, 0);
      client.end();
      await client.closed;
    });
  });
});

describe("RFC 9112 §9.3 + §6.3: request bodies the handler leaves unread", () => {
  test("an unread Content-Length body within the bound is drained and the connection kept", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      const size = 100_000;
      client.write(
        `POST / HTTP/1.1\r\nHost: test\r\nContent-Length: ${size}\r\n\r\n${"x".repeat(size)}`,
      );
      const first = await readResponse(client);
      assert.equal(first.headers.has("connection"), false);
      client.write(get());
      assert.equal((await readResponse(client)).text, "ignored GET");
      assert.ok(await staysOpen(client));
    });
  });

  test("an unread chunked body already buffered is drained and the connection kept (issue 12)", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      client.write(
        `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n${
          chunkedBody(100_000)
        }` +
          get(),
      );
      const first = await readResponse(client);
      assert.equal(first.headers.has("connection"), false);
      assert.equal((await readResponse(client)).text, "ignored GET");
      assert.ok(await staysOpen(client));
      assert.equal(server.stats.totalRequests, 2);
    });
  });

  test("an unread chunked body arriving after the response is drained too", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      client.write(`POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const first = await readResponse(client);
      assert.equal(first.headers.has("connection"), false);
      client.write(chunkedBody(50_000));
      client.write(get());
      assert.equal((await readResponse(client)).text, "ignored GET");
    });
  });

  test("an unread Content-Length body over the bound: the response says close", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      const size = UNREAD_BODY_DRAIN_LIMIT + 1;
      client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: ${size}\r\n\r\n`);
      const response = await readResponse(client);
      assert.equal(response.headers.get("connection"), "close");
      assert.ok(await closesWithin(client, 1000));
    });
  });

  test("an unread chunked body is drained up to the bound, then the connection closes", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      client.write(`POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n`);
      await readResponse(client);
      client.write(chunkedBody(UNREAD_BODY_DRAIN_LIMIT + 64 * 1024).slice(0, -5));
      assert.ok(await closesWithin(client, 1000), "closed once the bound is passed");
    });
  });

  test("an unread chunked body whose rest never comes is cut by the body timeout, as a length one", async () => {
    await withMemoryServer({ requestBodyTimeout: 300 }, ignoresBody, async (server) => {
      for (const framing of ["Transfer-Encoding: chunked", "Content-Length: 1000"]) {
        const client = server.connect();
        client.write(`POST / HTTP/1.1\r\nHost: test\r\n${framing}\r\n\r\n`);
        assert.equal((await readResponse(client)).status, 200);
        const started = Date.now();
        await client.ended;
        const waited = Date.now() - started;
        assert.ok(waited >= 250 && waited < 1_500, `${framing}: closed after ${waited} ms`);
      }
    });
  });

  test("RFC 9110 §10.1.1: a 100-continue body never asked for closes the connection", async () => {
    await withMemoryServer({}, ignoresBody, async (server) => {
      const client = server.connect();
      client.write(
        `POST / HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`,
      );
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("connection"), "close");
    });
  });
});

describe("RFC 9112 §3.2.2: absolute-form", () => {
  for (
    const [target, url] of [
      ["http://example.org/path?x=1", "http://example.org/path?x=1"],
      ["http://example.org?x=1", "http://example.org/?x=1"],
      ["http://example.org:8080", "http://example.org:8080/"],
    ]
  ) {
    // Native Fetch objects: the light ones replace globals for the whole
    // process (Bun runs every test file in one); serve_test.ts checks them on Node.
    test(`§3.2.2: ${target} with a different Host: the target's authority wins`, async () => {
      const handler: Handler = (request) => new Response(request.url);
      await withMemoryServer({ lightFetchObjects: false }, handler, async (server) => {
        const client = server.connect();
        client.write(`GET ${target} HTTP/1.1\r\nHost: other.test\r\n\r\n`);
        const response = await readResponse(client);
        assert.equal(response.status, 200);
        assert.equal(response.text, url);
      });
    });
  }
});
