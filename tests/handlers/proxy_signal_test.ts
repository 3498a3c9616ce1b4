/**
 * The proxy obeys the signal of the request it is given. Without a
 * middleware the server's own exchange abort is used (no AbortController per
 * request); a request a middleware rebuilt with its own signal (a deadline,
 * say) must stop the upstream exchange when that signal fires.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import { createProxyHandler } from "../../lib/handlers/proxy.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };

describe("proxy: request.signal", () => {
  test("a middleware's own signal aborts the upstream exchange", async () => {
    // The upstream answers when released (at the end), or after 3 s.
    let release = () => {};
    const upstream = await serve(LOCAL, async () => {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 3_000);
        release = () => {
          clearTimeout(timer);
          done();
        };
      });
      return new Response("slow");
    });
    const proxy = createProxyHandler({
      upstreams: [`http://127.0.0.1:${upstream.addr.port}`],
      log: () => {},
    });
    const server = await serve(LOCAL, async (request, info) => {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error("deadline")), 200);
      try {
        return await proxy(new Request(request, { signal: deadline.signal }), info);
      } catch {
        return new Response("aborted", { status: 503 });
      } finally {
        clearTimeout(timer);
      }
    });
    try {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
      const text = await response.text();
      const elapsed = performance.now() - started;
      assert.notEqual(text, "slow", "the upstream's late answer was not waited for");
      assert.ok(response.status >= 500, `status ${response.status}`);
      assert.ok(elapsed < 2_500, `answered after ${Math.round(elapsed)} ms`);
    } finally {
      release();
      await server.shutdown();
      await proxy.close();
      await upstream.shutdown();
    }
  });
});
