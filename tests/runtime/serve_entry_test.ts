/**
 * The per-runtime entry points (`@keepwire/keepwire/deno`, `/bun`, `/node`)
 * each export a `serve` that binds without runtime detection. Each runtime
 * runs the one meant for it, over a real socket.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { runtimeServe } from "../_support/runtime_serve.ts";

test(`the ${detectRuntime()} entry point's serve() keeps a connection alive`, async () => {
  const serve = await runtimeServe();
  const server = await serve(
    { port: 0, hostname: "127.0.0.1", keepAliveTimeout: 3_000, maxRequestsPerConnection: 3 },
    (_request, info) => new Response(`#${info.connection.requestIndex}`),
  );
  const client = await RawClient.connect(server.addr.port);
  try {
    for (const [index, expected] of [[1, "timeout=3, max=2"], [2, "timeout=3, max=1"]] as const) {
      await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.text, `#${index}`);
      assert.equal(response.headers.get("keep-alive"), expected);
    }
    await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const last = await readResponse(client);
    assert.equal(last.headers.get("connection"), "close");
    assert.equal(server.stats.reusedRequests, 2);
  } finally {
    client.destroy();
    await server.shutdown();
  }
});
