/**
 * Client features over real sockets: Expect: 100-continue against
 * node:http, pipelining against keepwire's server, the total connection
 * cap across origins, queueing with aborts, close() in flight, and a large
 * body read slowly (backpressure).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createClient } from "../../lib/client.ts";
import { responseInfo } from "../../lib/client/_response.ts";
import { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { ok, startRawServer } from "./_raw_server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("client features", { timeout: 60_000 }, () => {
  test("Expect: 100-continue waits for 100 and skips the body on a final refusal", async () => {
    let bodiesRead = 0;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.end("no expectation");
      req.resume();
    });
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === "/reject") {
        res.writeHead(417, { connection: "close" });
        res.end();
        return;
      }
      res.writeContinue();
      const chunks: Uint8Array[] = [];
      req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      req.on("end", () => {
        bodiesRead++;
        res.end(`accepted ${Buffer.concat(chunks).toString()}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // A long timeout: only the server's 100 can release the body quickly.
    const client = createClient({ expectContinueTimeout: 20_000 });
    try {
      const started = performance.now();
      const accepted = await client.fetch(`${url}/accept`, {
        method: "PUT",
        body: "payload",
        expectContinue: true,
      });
      assert.equal(await accepted.text(), "accepted payload");
      assert.ok(performance.now() - started < 10_000, "the body went out on 100 Continue");
      const refused = await client.fetch(`${url}/reject`, {
        method: "PUT",
        body: "never sent",
        expectContinue: true,
      });
      assert.equal(refused.status, 417);
      await refused.text();
      assert.equal(bodiesRead, 1);
    } finally {
      await client.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("pipelines idempotent requests on one connection to keepwire's server", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1" },
      (request, info) => new Response(`${new URL(request.url).pathname} ${info.connection.id}`),
    );
    const client = createClient({ pipelining: 8, maxConnectionsPerOrigin: 1 });
    try {
      const url = `http://127.0.0.1:${server.addr.port}`;
      const responses = await Promise.all(
        Array.from({ length: 64 }, (_, i) => client.fetch(`${url}/p${i}`)),
      );
      const texts = await Promise.all(responses.map((response) => response.text()));
      const connectionIds = new Set(texts.map((text) => text.split(" ")[1]));
      assert.deepEqual(texts.map((text) => text.split(" ")[0]), texts.map((_, i) => `/p${i}`));
      assert.equal(connectionIds.size, 1);
      assert.equal(client.stats.connectionsOpened, 1);
      assert.equal(client.stats.failures, 0);
    } finally {
      await client.close();
      await server.shutdown();
    }
  });

  test("the total cap evicts the idle connection of another origin", async () => {
    const a = await startRawServer((r) => ({ bytes: ok(`a${r.index}`) }));
    const b = await startRawServer((r) => ({ bytes: ok(`b${r.index}`) }));
    const client = createClient({ maxConnections: 1 });
    try {
      const seen: string[] = [];
      for (const url of [a.url, b.url, a.url, a.url, b.url]) {
        seen.push(await (await client.fetch(url)).text());
      }
      assert.deepEqual(seen, ["a1", "b1", "a1", "a2", "b1"]);
      assert.equal(client.stats.connectionsOpened, 4);
      assert.equal(client.stats.open, 1);
    } finally {
      await client.close();
      await a.close();
      await b.close();
    }
  });

  test("queued requests run in order; an abort while queued only drops that one", async () => {
    // The answer to /1 is held back, so the others must queue behind it.
    let held: Socket | undefined;
    const server = await startRawServer((r, socket) => {
      if (r.head.target === "/1") held = socket;
      else return { bytes: ok(r.head.target) };
    });
    const client = createClient({ maxConnectionsPerOrigin: 1 });
    try {
      const controller = new AbortController();
      const first = client.fetch(`${server.url}/1`);
      const dropped = client.fetch(`${server.url}/2`, { signal: controller.signal });
      const third = client.fetch(`${server.url}/3`);
      for (let i = 0; i < 200 && (held === undefined || client.stats.queued < 2); i++) {
        await sleep(10);
      }
      assert.equal(client.stats.queued, 2);
      controller.abort(new Error("not needed"));
      await assert.rejects(dropped, { message: "not needed" });
      assert.equal(client.stats.queued, 1);
      held!.write(ok("/1"));
      assert.equal(await (await first).text(), "/1");
      assert.equal(await (await third).text(), "/3");
      assert.deepEqual(server.requests.map((r) => r.head.target), ["/1", "/3"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("close() fails requests in flight and queued", async () => {
    const server = await startRawServer(() => undefined);
    const client = createClient({ maxConnectionsPerOrigin: 1 });
    const inFlight = client.fetch(server.url);
    const queued = client.fetch(server.url);
    await sleep(50);
    await client.close();
    await assert.rejects(inFlight, { code: "client-closed" });
    await assert.rejects(queued, { code: "client-closed" });
    await server.close();
  });

  test("a large body read slowly arrives intact, and the connection is reused after", async () => {
    const size = 4 * 1024 * 1024;
    const server = await serve({ port: 0, hostname: "127.0.0.1" }, (request) => {
      if (new URL(request.url).pathname === "/small") return new Response("small");
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = i % 251;
      return new Response(bytes);
    });
    const client = createClient();
    try {
      const url = `http://127.0.0.1:${server.addr.port}`;
      const response = await client.fetch(`${url}/big`);
      const reader = response.body!.getReader();
      let received = 0;
      let reads = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let i = 0; i < value.length; i += 4093) {
          assert.equal(value[i], (received + i) % 251);
        }
        received += value.length;
        // Slow for the first reads, so the socket has to pause.
        if (++reads < 5) await sleep(20);
      }
      assert.equal(received, size);
      const small = await client.fetch(`${url}/small`);
      assert.equal(await small.text(), "small");
      assert.equal(responseInfo(small)?.reused, true);
    } finally {
      await client.close();
      await server.shutdown();
    }
  });

  test("an unread body that filled its stream does not stall the next request", async () => {
    // 64 KiB in two writes: the stream's queue reaches its high-water mark
    // (reading pauses) exactly as the body ends.
    const size = 64 * 1024;
    const server = await startRawServer((r, socket) => {
      if (r.head.target !== "/big") return { bytes: ok("next") };
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n` + "a".repeat(40_000));
      setTimeout(() => socket.write("b".repeat(size - 40_000)), 50);
    });
    const client = createClient({ maxConnectionsPerOrigin: 1, headersTimeout: 3_000 });
    try {
      const unread = await client.fetch(`${server.url}/big`);
      await sleep(200);
      const next = await client.fetch(`${server.url}/next`);
      assert.equal(await next.text(), "next");
      assert.equal(responseInfo(next)?.reused, true);
      assert.equal((await unread.arrayBuffer()).byteLength, size);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("idle pooled sockets do not keep the process alive (Node reports them)", async (t) => {
    let held: Socket | undefined;
    const server = await startRawServer((r, socket) => {
      if (r.index === 1) held = socket;
      else return { bytes: ok(`#${r.index}`) };
    });
    const client = createClient();
    const tcp = () =>
      (globalThis.process?.getActiveResourcesInfo?.() ?? []).filter((name) =>
        name === "TCPSocketWrap"
      )
        .length;
    try {
      if (detectRuntime() !== "node") {
        t.skip("only Node lists active handles; the unref calls run on every runtime");
      }
      const pending = client.fetch(server.url);
      for (let i = 0; i < 200 && held === undefined; i++) await sleep(10);
      const busy = tcp(); // the client's socket (ref'd while busy) and the server's
      held!.write(ok("#1"));
      assert.equal(await (await pending).text(), "#1");
      assert.equal(client.stats.idle, 1);
      if (detectRuntime() === "node") assert.equal(tcp(), busy - 1, "the idle socket is unref'd");
      // Reused: ref'd again while it carries the request, then idle again.
      assert.equal(await (await client.fetch(server.url)).text(), "#2");
      if (detectRuntime() === "node") assert.equal(tcp(), busy - 1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("FormData and Blob bodies go out with their content types", async () => {
    const server = await serve(
      { port: 0, hostname: "127.0.0.1" },
      async (request) =>
        new Response(`${request.headers.get("content-type")}|${await request.text()}`),
    );
    const client = createClient();
    try {
      const url = `http://127.0.0.1:${server.addr.port}`;
      const form = new FormData();
      form.set("field", "value");
      const formText = await (await client.fetch(url, { method: "POST", body: form })).text();
      assert.match(formText, /^multipart\/form-data; ?boundary=/);
      assert.match(formText, /name="field"\r\n\r\nvalue\r\n/);
      const blob = new Blob(["blob!"], { type: "text/x-test" });
      assert.equal(
        await (await client.fetch(url, { method: "POST", body: blob })).text(),
        "text/x-test|blob!",
      );
    } finally {
      await client.close();
      await server.shutdown();
    }
  });
});
