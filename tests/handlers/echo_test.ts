import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createEchoHandler } from "../../lib/handlers/echo.ts";
import { fakeInfo, fakeServer, snapshot } from "./_fake_server.ts";

const handler = createEchoHandler(() => undefined);
const call = (target: string, init?: RequestInit, info = fakeInfo()) =>
  Promise.resolve(handler(new Request(`http://127.0.0.1:8080${target}`, init), info));

async function bodyLength(
  response: Response,
): Promise<{ length: number; reads: number; allX: boolean }> {
  const reader = response.body!.getReader();
  let length = 0;
  let reads = 0;
  let allX = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { length, reads, allX };
    reads++;
    length += value.byteLength;
    if (value.byteLength > 0 && (value[0] !== 0x78 || value[value.byteLength - 1] !== 0x78)) {
      allX = false;
    }
  }
}

describe("echo handler", () => {
  test("answers / with Hello, World! as text with a known length", async () => {
    const response = await call("/");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "13");
    assert.equal(await response.text(), "Hello, World!");
  });

  test("answers / again with an intact body (the shared bytes are not consumed)", async () => {
    await (await call("/")).text();
    assert.equal(await (await call("/")).text(), "Hello, World!");
  });

  test("echoes a POST's method, target, headers, body and connection facts as JSON", async () => {
    const response = await call(
      "/echo?x=1&y=%20",
      {
        method: "POST",
        headers: { "X-Custom": "yes", "content-type": "text/plain" },
        body: "héllo",
      },
      fakeInfo(7, 3, "1.0"),
    );
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    const text = await response.text();
    assert.equal(
      response.headers.get("content-length"),
      String(new TextEncoder().encode(text).byteLength),
    );
    const echoed = JSON.parse(text);
    assert.equal(echoed.method, "POST");
    assert.equal(echoed.url, "/echo?x=1&y=%20");
    assert.equal(echoed.httpVersion, "1.0");
    assert.equal(echoed.headers["x-custom"], "yes");
    assert.equal(echoed.body, "héllo");
    assert.equal(echoed.bodyLength, 6);
    assert.equal(echoed.connectionId, 7);
    assert.equal(echoed.requestIndex, 3);
  });

  test("streams a large /echo body: counts all of it, shows the first MiB", async () => {
    const size = 3 * 1024 * 1024 + 5;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = new Uint8Array(Math.min(64 * 1024, size - sent)).fill(0x61);
        sent += piece.byteLength;
        controller.enqueue(piece);
        if (sent === size) controller.close();
      },
    });
    const echoed =
      await (await call("/echo", { method: "POST", body, duplex: "half" } as RequestInit))
        .json();
    assert.equal(echoed.bodyLength, size);
    assert.equal(echoed.bodyTruncated, true);
    assert.equal(echoed.body.length, 1024 * 1024);
    assert.ok(/^a+$/.test(echoed.body));
    const small = await (await call("/echo", { method: "POST", body: "abc" })).json();
    assert.equal(small.bodyTruncated, undefined);
  });

  test("echoes a GET with an empty body and any method name", async () => {
    for (const method of ["GET", "DELETE", "PATCH", "OPTIONS"]) {
      const echoed = await (await call("/echo", { method })).json();
      assert.equal(echoed.method, method);
      assert.equal(echoed.body, "");
      assert.equal(echoed.bodyLength, 0);
    }
  });

  test("sends /bytes?n=N as exactly N bytes with Content-Length", async () => {
    for (const n of [0, 1, 65536, 100_000]) {
      const response = await call(`/bytes?n=${n}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/octet-stream");
      assert.equal(response.headers.get("content-length"), String(n));
      assert.equal((await response.arrayBuffer()).byteLength, n);
    }
  });

  test("streams /bytes above 16 MiB in 64 KiB pieces, keeping Content-Length", async () => {
    const n = 16 * 1024 * 1024 + 5;
    const response = await call(`/bytes?n=${n}`);
    assert.equal(response.headers.get("content-length"), String(n));
    const { length, reads, allX } = await bodyLength(response);
    assert.equal(length, n);
    assert.equal(reads, 257);
    assert.ok(allX);
  });

  test("rejects /bytes with a missing, negative, fractional or too large n with 400", async () => {
    for (
      const query of [
        "",
        "?n=",
        "?n=-1",
        "?n=1.5",
        "?n=abc",
        "?n=2147483649",
        "?n=1e3",
        "?n=99999999999",
      ]
    ) {
      const response = await call(`/bytes${query}`);
      assert.equal(response.status, 400, query);
      await response.text();
    }
  });

  test("accepts /bytes?n=2^31 as the largest size", async () => {
    const response = await call("/bytes?n=2147483648");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), "2147483648");
    await response.body!.cancel();
  });

  test("streams /stream as C chunks of S bytes with no Content-Length", async () => {
    const response = await call("/stream?chunks=5&size=3");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), null);
    const { length, reads } = await bodyLength(response);
    assert.equal(length, 15);
    assert.equal(reads, 5);
  });

  test("makes every /stream chunk available at once when there is no delay", async () => {
    const response = await call("/stream?chunks=4&size=10");
    const reader = response.body!.getReader();
    const started = Date.now();
    for (let i = 0; i < 4; i++) assert.equal((await reader.read()).value?.byteLength, 10);
    assert.equal((await reader.read()).done, true);
    assert.ok(Date.now() - started < 50);
  });

  test("waits the delay between /stream chunks, not before the first", async () => {
    const response = await call("/stream?chunks=3&size=2&delay=40");
    const reader = response.body!.getReader();
    const started = Date.now();
    await reader.read();
    assert.ok(Date.now() - started < 30, "first chunk comes at once");
    await reader.read();
    await reader.read();
    assert.equal((await reader.read()).done, true);
    assert.ok(Date.now() - started >= 75, "two delays elapsed");
  });

  test("streams zero chunks as an empty body", async () => {
    assert.equal(await (await call("/stream?chunks=0&size=10&delay=5")).text(), "");
    assert.equal(await (await call("/stream?chunks=0")).text(), "");
  });

  test("rejects malformed /stream parameters with 400", async () => {
    for (const query of ["?chunks=-1", "?size=x", "?delay=1.5", "?chunks=1000001"]) {
      assert.equal((await call(`/stream${query}`)).status, 400, query);
    }
  });

  test("answers /sleep?ms=N after N ms with slept N", async () => {
    const started = Date.now();
    const response = await call("/sleep?ms=30");
    assert.ok(Date.now() - started >= 25);
    assert.equal(await response.text(), "slept 30");
  });

  test("rejects /sleep without a valid ms with 400", async () => {
    for (const query of ["", "?ms=", "?ms=-5", "?ms=soon"]) {
      assert.equal((await call(`/sleep${query}`)).status, 400, query);
    }
  });

  test("reports the server's stats and connections at /stats", async () => {
    const server = fakeServer({ totalConnections: 4, totalRequests: 9, reusedRequests: 5 }, [
      snapshot(3, 2),
    ]);
    const statsHandler = createEchoHandler(() => server);
    const response = await statsHandler(new Request("http://127.0.0.1/stats"), fakeInfo());
    const stats = await response.json();
    assert.equal(stats.totalConnections, 4);
    assert.equal(stats.totalRequests, 9);
    assert.equal(stats.reusedRequests, 5);
    assert.equal(stats.connections.length, 1);
    assert.equal(stats.connections[0].id, 3);
  });

  test("answers /stats with 503 before the server runs", async () => {
    assert.equal((await call("/stats")).status, 503);
  });

  test("answers unknown paths with 404 text", async () => {
    for (const target of ["/nope", "/echo/", "/bytes/1", "/Stats"]) {
      const response = await call(target);
      assert.equal(response.status, 404, target);
      assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    }
  });
});
