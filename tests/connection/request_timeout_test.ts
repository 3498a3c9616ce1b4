/**
 * `requestTimeout` (issue 14's handler contract) over real sockets: it
 * bounds a whole request, from its first byte to the end of its body, and
 * is answered with 408; a handler still busy then sees its signal abort.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { sleep, withServer } from "../_support/serve_raw.ts";

describe("requestTimeout: the whole request, from its first byte to the end of its body", () => {
  test("a body trickling in under the per-pause timeout is cut by requestTimeout with 408", async () => {
    await withServer(
      { requestTimeout: 600, requestBodyTimeout: 5_000 },
      async (request) => new Response(await request.text()),
      async (server) => {
        const client = await RawClient.connect(server.addr.port);
        try {
          const startedAt = performance.now();
          await client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 40\r\n\r\n");
          let answered = false;
          const response = readResponse(client, { timeoutMs: 3_000 }).finally(
            () => (answered = true),
          );
          for (let i = 0; i < 30 && !answered; i++) {
            await client.write("x").catch(() => {});
            await sleep(100);
          }
          const { status, headers } = await response;
          const elapsed = performance.now() - startedAt;
          assert.equal(status, 408);
          assert.equal(headers.get("connection"), "close");
          // The sweep runs every 250 ms: the cut lands in [600, 850] ms, plus a busy machine's slack.
          assert.ok(elapsed >= 550 && elapsed < 1_300, `408 after ${Math.round(elapsed)} ms`);
        } finally {
          client.destroy();
        }
      },
    );
  });

  test("a handler still busy when keepwire answers 408 in its place sees its signal abort", async () => {
    let signal: AbortSignal | undefined;
    let handlerDone!: Promise<void>;
    const handler: Handler = (request) => {
      signal = request.signal;
      handlerDone = sleep(1_500);
      return handlerDone.then(() => new Response("too late"));
    };
    await withServer({ requestTimeout: 400 }, handler, async (server) => {
      const client = await RawClient.connect(server.addr.port);
      try {
        await client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc");
        const response = await readResponse(client, { timeoutMs: 2_000 });
        assert.equal(response.status, 408);
        assert.equal(signal?.aborted, true);
        await handlerDone;
      } finally {
        client.destroy();
      }
    });
  });

  test("a slow head counts too: requestTimeout shorter than headersTimeout answers 408", async () => {
    await withServer(
      { requestTimeout: 400, headersTimeout: 10_000 },
      () => new Response("ok"),
      async (server) => {
        const client = await RawClient.connect(server.addr.port);
        try {
          await client.write("GET / HTTP/1.1\r\nHost: te");
          const response = await readResponse(client, { timeoutMs: 2_000 });
          assert.equal(response.status, 408);
        } finally {
          client.destroy();
        }
      },
    );
  });

  test("each request on a connection has its own allowance; 0 turns it off", async () => {
    await withServer(
      { requestTimeout: 500 },
      async (request) => new Response(await request.text()),
      async (server) => {
        const client = await RawClient.connect(server.addr.port);
        try {
          for (let i = 0; i < 3; i++) {
            await client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nh");
            await sleep(300);
            await client.write("i");
            assert.equal((await readResponse(client)).text, "hi");
          }
        } finally {
          client.destroy();
        }
      },
    );
    await withServer(
      { requestTimeout: 0 },
      async (request) => new Response(await request.text()),
      async (server) => {
        const client = await RawClient.connect(server.addr.port);
        try {
          await client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nh");
          await sleep(700);
          await client.write("i");
          assert.equal((await readResponse(client)).text, "hi");
        } finally {
          client.destroy();
        }
      },
    );
  });
});
