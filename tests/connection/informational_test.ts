/**
 * `info.writeEarlyHints?.()` and `info.writeInformational?.()`: interim (1xx)
 * responses from a handler, checked as bytes on real sockets (RFC 9110
 * §15.2, RFC 8297). A 1xx goes out before the final response and at once
 * when it can; never to an HTTP/1.0 client; never after the final response
 * is given; behind a pipelined request it waits for its turn.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import type { Handler, ServeInfo } from "../../lib/connection/options.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

async function withServer(
  handler: Handler,
  body: (client: RawClient) => Promise<void>,
): Promise<void> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  const client = await RawClient.connect(server.addr.port);
  try {
    await body(client);
  } finally {
    client.destroy();
    await server.shutdown();
  }
}

/** A promise and its resolve, to hold a handler until the test lets it go. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

describe("info.writeEarlyHints?.(): 103 Early Hints on the wire", () => {
  test("the 103 goes out while the handler still works, then the final response", async () => {
    const release = gate();
    const results: (boolean | undefined)[] = [];
    await withServer(async (_request, info) => {
      results.push(
        info.writeEarlyHints?.({
          Link: ["</style.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script"],
        }),
      );
      await release.opened;
      return new Response("page");
    }, async (client) => {
      await client.write(GET);
      // The handler has not answered: the 103 must arrive before it does.
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n" +
          "Link: </app.js>; rel=preload; as=script\r\n\r\n",
      );
      release.open();
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.text, "page");
      assert.deepEqual(results, [true]);
    });
  });

  test("Headers and pairs are accepted; Content-Length and Transfer-Encoding are left out", async () => {
    await withServer((_request, info) => {
      info.writeEarlyHints?.(new Headers({ link: "</a.css>; rel=preload", "content-length": "9" }));
      info.writeInformational?.(103, [["x-hint", "1"], ["transfer-encoding", "chunked"]]);
      return new Response("ok");
    }, async (client) => {
      await client.write(GET);
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n",
      );
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nx-hint: 1\r\n\r\n",
      );
      assert.equal((await readResponse(client)).text, "ok");
    });
  });

  test("RFC 9110 §15.2: nothing is sent to an HTTP/1.0 client", async () => {
    const results: (boolean | undefined)[] = [];
    await withServer((_request, info) => {
      results.push(info.writeEarlyHints?.({ link: "</a.css>; rel=preload" }));
      results.push(info.writeInformational?.(102));
      return new Response("ok");
    }, async (client) => {
      await client.write("GET / HTTP/1.0\r\n\r\n");
      const bytes = new TextDecoder().decode(await client.readToEnd());
      assert.match(bytes, /^HTTP\/1\.1 200 OK\r\n/);
      assert.doesNotMatch(bytes, /103|102/);
      assert.deepEqual(results, [false, false]);
    });
  });

  test("refused once the final response is given, and while it streams", async () => {
    const results: (boolean | undefined)[] = [];
    let later!: ServeInfo;
    const streaming = gate();
    await withServer((_request, info) => {
      later = info;
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode("first "));
          await streaming.opened;
          controller.enqueue(new TextEncoder().encode("last"));
          controller.close();
        },
      });
      queueMicrotask(() => results.push(info.writeEarlyHints?.({ link: "</late>" })));
      return new Response(body);
    }, async (client) => {
      await client.write(GET);
      const head = await client.readUntil("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      // The final head is on the wire, the body still streams.
      results.push(later.writeEarlyHints?.({ link: "</later>" }));
      results.push(later.writeInformational?.(102));
      streaming.open();
      const rest = await client.readUntil("0\r\n\r\n");
      assert.doesNotMatch(rest, /HTTP\/1\.1 10/);
      assert.match(rest, /first .*last/s);
      assert.deepEqual(results, [false, false, false]);
    });
  });

  test("behind a pipelined request, the 103 waits for its turn and still precedes its response", async () => {
    const first = gate();
    const second = gate();
    const results: (boolean | undefined)[] = [];
    await withServer(async (request, info) => {
      if (new URL(request.url).pathname === "/first") {
        await first.opened;
        return new Response("one");
      }
      results.push(info.writeEarlyHints?.({ link: "</two.css>" }));
      await second.opened;
      return new Response("two");
    }, async (client) => {
      await client.write(
        "GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\n\r\n",
      );
      while (results.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      first.open();
      assert.equal((await readResponse(client)).text, "one");
      // The second handler has not answered yet: its 103 is written on the first's heels.
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </two.css>\r\n\r\n",
      );
      second.open();
      assert.equal((await readResponse(client)).text, "two");
      assert.deepEqual(results, [true]);
    });
  });
});

describe("info.writeInformational?.(): any 1xx but 101", () => {
  test("several 102s, then the answer", async () => {
    await withServer((_request, info) => {
      info.writeInformational?.(102);
      info.writeInformational?.(102, { "x-progress": "50%" });
      return new Response("done");
    }, async (client) => {
      await client.write(GET);
      assert.equal(await client.readUntil("\r\n\r\n"), "HTTP/1.1 102 Processing\r\n\r\n");
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 102 Processing\r\nx-progress: 50%\r\n\r\n",
      );
      assert.equal((await readResponse(client)).text, "done");
    });
  });

  test("a status that is not 1xx, or is 101, is a RangeError; a bad field a TypeError", async () => {
    const errors: string[] = [];
    await withServer((_request, info) => {
      for (const status of [101, 99, 200, 100.5]) {
        try {
          info.writeInformational?.(status);
        } catch (error) {
          errors.push(`${status} ${(error as Error).name}`);
        }
      }
      try {
        info.writeEarlyHints?.({ "bad name": "x" });
      } catch (error) {
        errors.push(`field ${(error as Error).name}`);
      }
      return new Response("ok");
    }, async (client) => {
      await client.write(GET);
      const response = await readResponse(client);
      assert.equal(response.head.split("\r\n")[0], "HTTP/1.1 200 OK");
      assert.deepEqual(errors, [
        "101 RangeError",
        "99 RangeError",
        "200 RangeError",
        "100.5 RangeError",
        "field TypeError",
      ]);
    });
  });

  test("RFC 9110 §10.1.1: a 100 from the handler is the 100 Continue, sent once", async () => {
    const results: (boolean | undefined)[] = [];
    await withServer(async (request, info) => {
      results.push(info.writeInformational?.(100));
      results.push(info.writeInformational?.(100));
      return new Response(await request.text());
    }, async (client) => {
      await client.write(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
      );
      assert.equal(await client.readUntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
      await client.write("body");
      // Reading the body sends no second 100.
      const head = await client.readUntil("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(new TextDecoder().decode(await client.readBytes(4)), "body");
      assert.deepEqual(results, [true, false]);
    });
  });
});
