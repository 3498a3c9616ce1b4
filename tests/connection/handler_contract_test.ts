/**
 * The handler contract of issue 14 over real sockets, on the runtime running
 * the test, with the native Request and with the light one:
 * - `request.signal` aborts as soon as the connection closes or fails before
 *   the response is fully written, and never after a response completed;
 * - `info.completed` resolves when the last byte is handed to the socket and
 *   rejects when it could not be (never an unhandled rejection);
 * - a streamed body's `cancel()` runs promptly when the client leaves.
 * `requestTimeout`, which bounds a whole request (408), is request_timeout_test.ts.
 *
 * Timing bounds: the contract says "within ~100 ms of the close"; the bound
 * asserted is {@linkcode PROMPT_MS}, with slack for a machine running other
 * suites (the behaviour replaced took ~1.1 s, or never fired).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import type { Handler, ServeInfo, ServeOptions, Server } from "../../lib/connection/options.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const PROMPT_MS = 150;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const GET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

/** Resolves with the time `signal` aborts, or null if it has not within `ms`. */
function abortTime(signal: AbortSignal, ms: number): Promise<number | null> {
  if (signal.aborted) return Promise.resolve(performance.now());
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(performance.now());
    }, { once: true });
  });
}

/** How a promise settled within `ms`: "resolved", "rejected" or "pending". */
async function settlement(promise: Promise<unknown>, ms: number): Promise<string> {
  const timeout = sleep(ms).then(() => "pending");
  return await Promise.race([promise.then(() => "resolved", () => "rejected"), timeout]);
}

async function withServer(
  options: ServeOptions,
  handler: Handler,
  body: (server: Server) => Promise<void>,
): Promise<void> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", ...options }, handler);
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

/** What the handler saw, for the test to inspect. */
interface Seen {
  request: Request;
  info: ServeInfo;
}

function recorder(respond: (seen: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  let wake: (() => void) | null = null;
  const handler: Handler = (request, info) => {
    const entry = { request, info };
    seen.push(entry);
    wake?.();
    return respond(entry);
  };
  const next = async (index: number): Promise<Seen> => {
    while (seen.length <= index) await new Promise<void>((resolve) => (wake = resolve));
    return seen[index];
  };
  return { handler, seen, next };
}

// Bun runs every test file in one process, and the light objects replace the
// global Response for the files after this one: there the light Request is
// left to Deno and Node (where each file has its own globals).
const lightVariants = detectRuntime() === "bun" ? [false] : [false, true];

for (const lightFetchObjects of lightVariants) {
  const kind = lightFetchObjects ? "light Request" : "native Request";

  describe(`request.signal (${kind})`, () => {
    test("a handler sleeping 1.5 s sees the abort promptly when the client disconnects at 0.5 s", async () => {
      let handlerDone!: Promise<void>;
      const { handler, next } = recorder((seen) => {
        handlerDone = sleep(1_500);
        return handlerDone.then(() => new Response(`late ${seen.info.connection.id}`));
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        await client.write(GET);
        const { request } = await next(0);
        assert.ok(request instanceof Request);
        assert.equal(request.signal.aborted, false);
        await sleep(500);
        assert.equal(request.signal.aborted, false, "no abort while the client waits");
        const aborted = abortTime(request.signal, 1_500);
        const closedAt = performance.now();
        client.destroy();
        const at = await aborted;
        assert.notEqual(at, null, "the signal aborts");
        assert.ok(
          at! - closedAt < PROMPT_MS,
          `aborted ${Math.round(at! - closedAt)} ms after the close`,
        );
        assert.equal((request.signal.reason as Error).name, "AbortError");
        await handlerDone;
      });
    });

    test("a signal first read after the client left is already aborted", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { handler, next } = recorder(async () => {
        await gate;
        return new Response("late");
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        await client.write(GET);
        const { request } = await next(0);
        client.destroy();
        await client.closed;
        await sleep(50);
        assert.equal(request.signal.aborted, true);
        release();
      });
    });

    test("a completed response never aborts its signal, on a reused connection and after the close", async () => {
      const { handler, seen } = recorder(() => new Response("ok"));
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        for (let i = 0; i < 2; i++) {
          await client.write(GET);
          assert.equal((await readResponse(client)).text, "ok");
        }
        // Read before and after the response: neither may abort.
        const early = seen[0].request.signal;
        client.destroy();
        await client.closed;
        await sleep(100);
        assert.equal(early.aborted, false);
        assert.equal(seen[1].request.signal.aborted, false);
        assert.equal(await settlement(seen[0].info.completed, 100), "resolved");
        assert.equal(await settlement(seen[1].info.completed, 100), "resolved");
      });
    });

    test("a client that half-closes after its request: the signal aborts, and a response still returned is delivered", async () => {
      const { handler } = recorder(async ({ request }) => {
        const at = await abortTime(request.signal, 1_000);
        return new Response(at === null ? "no abort" : "aborted");
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port, "127.0.0.1", {
          allowHalfOpen: true,
        });
        try {
          await client.write("GET / HTTP/1.0\r\nHost: test\r\n\r\n");
          client.end();
          const response = await readResponse(client, { timeoutMs: 2_000 });
          assert.equal(response.text, "aborted");
        } finally {
          client.destroy();
        }
      });
    });

    test("shutdown past its timeout aborts the signals of requests still in flight", async () => {
      let handlerDone!: Promise<void>;
      const { handler, next } = recorder(() => {
        handlerDone = sleep(1_500);
        return handlerDone.then(() => new Response("late"));
      });
      const server = await serve(
        { port: 0, hostname: "127.0.0.1", lightFetchObjects, shutdownTimeout: 200 },
        handler,
      );
      const client = await RawClient.connect(server.addr.port);
      try {
        await client.write(GET);
        const { request, info } = await next(0);
        const startedAt = performance.now();
        const stopped = server.shutdown();
        const at = await abortTime(request.signal, 1_500);
        assert.notEqual(at, null, "the signal aborts");
        const after = at! - startedAt;
        assert.ok(
          after >= 150 && after < 200 + PROMPT_MS,
          `aborted ${Math.round(after)} ms after shutdown()`,
        );
        assert.equal(await settlement(info.completed, 100), "rejected");
        await stopped;
        await handlerDone;
      } finally {
        client.destroy();
      }
    });
  });

  describe(`info.completed and a streamed body's cancel() (${kind})`, () => {
    test("completed resolves once the response is written: fixed, streamed, HEAD and HTTP/1.0 close-delimited", async () => {
      const { handler, seen } = recorder(({ request }) => {
        if (new URL(request.url).pathname === "/stream") {
          const pieces = ["a", "b", "c"];
          return new Response(
            new ReadableStream({
              pull(controller) {
                const piece = pieces.shift();
                if (piece === undefined) controller.close();
                else controller.enqueue(new TextEncoder().encode(piece.repeat(5_000)));
              },
            }),
          );
        }
        return new Response("fixed");
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        try {
          await client.write(GET);
          assert.equal((await readResponse(client)).text, "fixed");
          await client.write("GET /stream HTTP/1.1\r\nHost: test\r\n\r\n");
          assert.equal((await readResponse(client)).text.length, 15_000);
          await client.write("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n");
          await readResponse(client, { head: true });
          for (const { info } of seen) {
            assert.equal(await settlement(info.completed, 500), "resolved");
          }
        } finally {
          client.destroy();
        }
        const old = await RawClient.connect(server.addr.port);
        try {
          await old.write("GET /stream HTTP/1.0\r\nHost: test\r\n\r\n");
          const response = await readResponse(old);
          assert.equal(response.text.length, 15_000);
          assert.equal(await settlement(seen[3].info.completed, 500), "resolved");
        } finally {
          old.destroy();
        }
      });
    });

    test("a client that leaves mid-stream: cancel() runs promptly, completed rejects, the signal aborts", async () => {
      let cancelledAt = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const { handler, next } = recorder(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("first\n"));
            },
            // One piece a second: the next write would find the client gone only ~1 s later.
            pull(controller) {
              return new Promise<void>((resolve) => {
                timer = setTimeout(() => {
                  controller.enqueue(new TextEncoder().encode("tick\n"));
                  resolve();
                }, 1_000);
              });
            },
            cancel() {
              cancelledAt = performance.now();
              clearTimeout(timer);
            },
          }),
        )
      );
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        await client.write(GET);
        await client.readUntil("first\n");
        const { request, info } = await next(0);
        await sleep(200);
        const closedAt = performance.now();
        client.destroy();
        const aborted = abortTime(request.signal, 1_000);
        assert.equal(await settlement(info.completed, 1_000), "rejected");
        const at = await aborted;
        assert.notEqual(at, null, "the signal aborts");
        assert.ok(
          at! - closedAt < PROMPT_MS,
          `aborted ${Math.round(at! - closedAt)} ms after the close`,
        );
        for (let waited = 0; cancelledAt === 0 && waited < 1_500; waited += 10) await sleep(10);
        assert.notEqual(cancelledAt, 0, "cancel() ran");
        assert.ok(
          cancelledAt - closedAt < PROMPT_MS,
          `cancel() ran ${Math.round(cancelledAt - closedAt)} ms after the close`,
        );
      });
    });

    test("a stream returned after the client left is cancelled at once", async () => {
      let cancelled: () => void;
      const cancel = new Promise<void>((resolve) => (cancelled = resolve));
      const { handler, next } = recorder(async ({ request }) => {
        await abortTime(request.signal, 2_000);
        return new Response(
          new ReadableStream({ pull: () => sleep(1_000), cancel: () => cancelled() }),
        );
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        await client.write(GET);
        const { info } = await next(0);
        client.destroy();
        assert.equal(await settlement(cancel, 500), "resolved", "cancel() ran");
        assert.equal(await settlement(info.completed, 100), "rejected");
      });
    });

    test("an unobserved rejection of completed does not crash the process", async () => {
      const { handler, next } = recorder(({ info }) => {
        void info.completed; // made, never awaited
        return new Response(new ReadableStream({ pull: () => sleep(5_000) }));
      });
      await withServer({ lightFetchObjects }, handler, async (server) => {
        const client = await RawClient.connect(server.addr.port);
        await client.write(GET);
        const { info } = await next(0);
        await client.readUntil("\r\n\r\n");
        client.destroy();
        // Let a rejection that nobody handles surface (the runner fails the test on one).
        await sleep(200);
        assert.equal(await settlement(info.completed, 100), "rejected");
      });
    });
  });
}
