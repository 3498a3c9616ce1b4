/**
 * The default path (no `lightFetchObjects`) hands handlers a request built
 * only as far as they look (lib/fetch/lazy_request.ts) and takes the
 * runtime's own `Response` back. Over real sockets, on the runtime running
 * the test, every native API that receives the request or the response must
 * still take it as its own: the runtime's `fetch`, `Request` constructor and
 * Cache API (captured before any test could install the light globals),
 * `clone()`, the body readers, and `instanceof`; and the native responses a
 * handler builds (`Response.json`, `Response.redirect`, streamed bodies)
 * reach the wire as they are.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import type { Handler, Server } from "../../lib/connection/options.ts";
import { nativeFetch, NativeRequest, NativeResponse } from "../../lib/fetch/_native.ts";
import { lazyRequestMode } from "../../lib/fetch/lazy_request.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

async function withServer(handler: Handler, body: (base: string) => Promise<void>): Promise<void> {
  const server: Server = await serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      lightFetchObjects: false,
      onError: (error) => {
        return new NativeResponse(`handler failed: ${error}`, { status: 500 });
      },
    },
    handler,
  );
  try {
    await body(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

/** Runs `check` on the request the server hands its handler; resolves with what it returned. */
async function onServedRequest<T>(
  init: RequestInit & { path?: string },
  check: (request: Request) => T | Promise<T>,
): Promise<T> {
  let seen: { value: T } | { error: unknown } | undefined;
  await withServer(async (request) => {
    try {
      seen = { value: await check(request) };
    } catch (error) {
      seen = { error };
    }
    return new NativeResponse("ok");
  }, async (base) => {
    const response = await nativeFetch(base + (init.path ?? "/path?q=1"), init);
    assert.equal(await response.text(), "ok");
  });
  assert.ok(seen !== undefined, "the handler ran");
  if ("error" in seen) throw seen.error;
  return seen.value;
}

const runtime = detectRuntime();
const json = (value: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json", "x-trace": "t1" },
  body: JSON.stringify(value),
});

describe(`default-path requests are native to ${runtime}'s own APIs`, () => {
  test("the probe picks the cheapest form this runtime's constructor copies", () => {
    // Deno, and undici up to Node 22, read a request through private
    // symbols (hence the Proxy); Bun through its members, but it takes the
    // method from an init alone (so only GETs pass); Node 24's undici
    // checks a private field.
    const expected = {
      bun: { GET: ["light"], POST: ["native"] },
      deno: { GET: ["forwarded"], POST: ["forwarded"] },
      node: { GET: ["forwarded", "native"], POST: ["forwarded", "native"] },
    }[runtime];
    assert.ok(expected.GET.includes(lazyRequestMode("GET")), lazyRequestMode("GET"));
    assert.ok(expected.POST.includes(lazyRequestMode("POST")), lazyRequestMode("POST"));
    assert.equal(lazyRequestMode("PUT"), lazyRequestMode("POST"));
  });

  test("instanceof Request, its tag, method, url and headers", async () => {
    const seen = await onServedRequest({ headers: { "x-a": "1" } }, (request) => ({
      isRequest: request instanceof NativeRequest,
      tag: Object.prototype.toString.call(request),
      method: request.method,
      url: request.url,
      header: request.headers.get("x-a"),
      hasBody: request.body !== null,
    }));
    assert.equal(seen.isRequest, true);
    assert.equal(seen.tag, "[object Request]");
    assert.equal(seen.method, "GET");
    assert.match(seen.url, /^http:\/\/127\.0\.0\.1:\d+\/path\?q=1$/);
    assert.equal(seen.header, "1");
    assert.equal(seen.hasBody, false);
  });

  test("new Request(request) copies method, url, headers and body", async () => {
    const seen = await onServedRequest(json({ a: 1 }), async (request) => {
      const copy = new NativeRequest(request);
      return {
        method: copy.method,
        url: copy.url,
        trace: copy.headers.get("x-trace"),
        text: await copy.text(),
      };
    });
    assert.equal(seen.method, "POST");
    assert.match(seen.url, /\/path\?q=1$/);
    assert.equal(seen.trace, "t1");
    assert.equal(seen.text, '{"a":1}');
  });

  test("new Request(request, init) keeps what the init leaves alone", async () => {
    const seen = await onServedRequest(json({ e: 5 }), async (request) => {
      const copy = new NativeRequest(request, { headers: { "x-only": "1" } });
      return { method: copy.method, only: copy.headers.get("x-only"), text: await copy.text() };
    });
    assert.deepEqual(seen, { method: "POST", only: "1", text: '{"e":5}' });
  });

  test("new Request(url, request) takes it as the init", async () => {
    const seen = await onServedRequest(json({ b: 2 }), async (request) => {
      const copy = new NativeRequest("http://elsewhere.test/x", request);
      return { method: copy.method, trace: copy.headers.get("x-trace"), text: await copy.text() };
    });
    assert.deepEqual(seen, { method: "POST", trace: "t1", text: '{"b":2}' });
  });

  test("clone() gives two readable bodies", async () => {
    const seen = await onServedRequest(json({ c: 3 }), async (request) => {
      const copy = request.clone();
      return [await copy.text(), await request.text(), copy instanceof NativeRequest];
    });
    assert.deepEqual(seen, ['{"c":3}', '{"c":3}', true]);
  });

  test("json(), arrayBuffer(), formData() and bodyUsed", async () => {
    assert.deepEqual(await onServedRequest(json({ d: [4] }), (request) => request.json()), {
      d: [4],
    });
    const bytes = await onServedRequest(
      { method: "PUT", body: new Uint8Array([1, 2, 3]) },
      async (request) => [...new Uint8Array(await request.arrayBuffer())],
    );
    assert.deepEqual(bytes, [1, 2, 3]);
    const form = await onServedRequest(
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a=1&b=two",
      },
      async (request) => {
        const data = await request.formData();
        return { a: data.get("a"), b: data.get("b"), used: request.bodyUsed };
      },
    );
    assert.deepEqual(form, { a: "1", b: "two", used: true });
  });

  test("headers set before a native API reads the request travel with it", async () => {
    const seen = await onServedRequest({ headers: { "x-a": "1" } }, (request) => {
      request.headers.set("x-added", "yes");
      return new NativeRequest(request).headers.get("x-added");
    });
    assert.equal(seen, "yes");
  });

  test("fetch(request) forwards it, body and all (a forward proxy)", async () => {
    await withServer(async (request) => {
      const body = await request.text();
      return new NativeResponse(`${request.method} ${new URL(request.url).pathname} ${body}`, {
        headers: { "x-upstream-saw": request.headers.get("x-trace") ?? "" },
      });
    }, async (upstream) => {
      // The proxy's handler forwards the request it was handed, as it is.
      await withServer((request) => nativeFetch(request), async (proxy) => {
        const client = await RawClient.connect(Number(new URL(proxy).port));
        try {
          // Absolute-form: the request's URL is the upstream's (RFC 9112 §3.2.2).
          await client.write(
            `POST ${upstream}/forwarded HTTP/1.1\r\nHost: ignored\r\nX-Trace: t2\r\n` +
              "Content-Length: 5\r\n\r\nhello",
          );
          const response = await readResponse(client);
          assert.equal(response.status, 200);
          assert.equal(response.text, "POST /forwarded hello");
          assert.equal(response.headers.get("x-upstream-saw"), "t2");
        } finally {
          client.destroy();
        }
      });
    });
  });

  test("fetch(request, init) and new Request(request, init) keep a GET a GET", async () => {
    await withServer((request) => {
      return new NativeResponse(`${request.method} ${request.headers.get("x-only")}`);
    }, async (upstream) => {
      await withServer(async (request) => {
        const copy = new NativeRequest(request, { headers: { "x-only": "copy" } });
        const forwarded = await nativeFetch(request, { headers: { "x-only": "fetch" } });
        return new NativeResponse(`${copy.method} | ${await forwarded.text()}`);
      }, async (proxy) => {
        const client = await RawClient.connect(Number(new URL(proxy).port));
        try {
          await client.write(`GET ${upstream}/get HTTP/1.1\r\nHost: ignored\r\n\r\n`);
          const response = await readResponse(client);
          assert.equal(response.text, "GET | GET fetch");
        } finally {
          client.destroy();
        }
      });
    });
  });

  test("the Cache API stores and matches it", {
    skip: !("caches" in globalThis) && "this runtime has no Cache API",
  }, async () => {
    const name = `keepwire-native-apis-${Date.now()}`;
    try {
      const seen = await onServedRequest({}, async (request) => {
        const cache = await caches.open(name);
        await cache.put(request, new NativeResponse("cached body"));
        const hit = await cache.match(request);
        return hit === undefined ? null : await hit.text();
      });
      assert.equal(seen, "cached body");
    } finally {
      await caches.delete(name);
    }
  });
});

describe(`native responses reach the wire as ${runtime} built them`, () => {
  async function exchange(handler: Handler, path = "/"): Promise<Response> {
    let result: Response | undefined;
    await withServer(handler, async (base) => {
      const response = await nativeFetch(base + path, { redirect: "manual" });
      const bytes = await response.arrayBuffer();
      result = new NativeResponse(response.status === 204 ? null : bytes, response);
    });
    return result!;
  }

  test("Response.json()", async () => {
    const response = await exchange(() => NativeResponse.json({ hello: ["world"] }));
    // What the runtime's own Response says (Bun adds a charset).
    const expected = NativeResponse.json(null).headers.get("content-type");
    assert.equal(response.headers.get("content-type"), expected);
    assert.deepEqual(await response.json(), { hello: ["world"] });
  });

  test("Response.redirect()", async () => {
    const response = await exchange(() => NativeResponse.redirect("http://example.test/next", 307));
    assert.equal(response.status, 307);
    assert.equal(response.headers.get("location"), "http://example.test/next");
  });

  test("a streamed ReadableStream body, chunk by chunk", async () => {
    const response = await exchange(() => {
      let sent = 0;
      const encoder = new TextEncoder();
      return new NativeResponse(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            if (sent === 3) controller.close();
            else controller.enqueue(encoder.encode(`chunk${sent++};`));
          },
        }),
      );
    });
    assert.equal(await response.text(), "chunk0;chunk1;chunk2;");
  });

  test("string, bytes and empty bodies, with the handler's own headers", async () => {
    const text = await exchange(() =>
      new NativeResponse("Hello, World!", { headers: { "content-type": "text/plain" } })
    );
    assert.equal(text.headers.get("content-type"), "text/plain");
    assert.equal(await text.text(), "Hello, World!");
    const plain = await exchange(() => new NativeResponse("no init"));
    // The fields the runtime's Response lists (Bun lists none for a string).
    const listed = new NativeResponse("no init").headers.get("content-type");
    assert.equal(plain.headers.get("content-type"), listed);
    assert.equal(await plain.text(), "no init");
    const bytes = await exchange(() =>
      new NativeResponse(new Uint8Array([0, 1, 255]), {
        status: 201,
        statusText: "Made",
        headers: [["x-a", "1"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]],
      })
    );
    assert.equal(bytes.status, 201);
    assert.equal(bytes.headers.get("x-a"), "1");
    assert.deepEqual(bytes.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [0, 1, 255]);
    const empty = await exchange(() => new NativeResponse(null, { status: 204 }));
    assert.equal(empty.status, 204);
  });

  test("a response whose headers or body the handler touched first", async () => {
    const response = await exchange(() => {
      const built = new NativeResponse("touched", { headers: { "content-type": "text/plain" } });
      built.headers.set("x-later", "1");
      return built;
    });
    assert.equal(response.headers.get("x-later"), "1");
    assert.equal(await response.text(), "touched");
    const cloned = await exchange(async () => {
      const original = new NativeResponse("cloned body");
      const copy = original.clone();
      assert.equal(await original.text(), "cloned body");
      return copy;
    });
    assert.equal(await cloned.text(), "cloned body");
  });
});
