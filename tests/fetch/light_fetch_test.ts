/**
 * The light Request and Response: they must behave as the native classes in
 * everything a handler can observe, and hand the server their parts only
 * while those are all there is.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { NativeResponse } from "../../lib/fetch/_native.ts";
import {
  createLightRequest,
  LightResponseClass as LightResponse,
  lightResponseParts,
  toNativeRequest,
} from "../../lib/fetch/light_fetch.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("light request", () => {
  const fields = ["Host", "example.test", "X-Twice", "a", "x-twice", "b"];

  test("answers method, url and headers without a real Request, and passes instanceof", () => {
    const request = createLightRequest("GET", "http://example.test/a?b=1", fields, null);
    assert.ok(request instanceof Request);
    assert.equal(Object.prototype.toString.call(request), "[object Request]");
    assert.equal(request.method, "GET");
    assert.equal(request.url, "http://example.test/a?b=1");
    assert.equal(request.headers.get("x-twice"), "a, b");
    assert.equal(request.headers, request.headers, "one Headers object");
  });

  test("the url is serialized as the real Request's is", () => {
    const raw = "http://EXAMPLE.test/a/../b/./c%2e?q=1";
    const request = createLightRequest("GET", raw, fields, null);
    assert.equal(request.url, new Request(raw).url);
  });

  test("everything else is answered by the real Request, built once", async () => {
    const body = ReadableStream.from([new TextEncoder().encode("payload")]);
    const request = createLightRequest("POST", "http://example.test/", fields, body);
    assert.equal(request.bodyUsed, false);
    assert.equal(request.redirect, "follow");
    assert.equal(await request.text(), "payload");
    assert.equal(request.bodyUsed, true);
    assert.equal(request.headers.get("host"), "example.test");
  });

  test("headers read before materializing are the ones the real Request gets", () => {
    const request = createLightRequest("GET", "http://example.test/", fields, null);
    request.headers.set("x-added", "1");
    const copy = request.clone();
    assert.equal(copy.headers.get("x-added"), "1");
    assert.equal(copy.url, "http://example.test/");
  });

  test("toNativeRequest turns a light request into one the native constructor accepts", () => {
    const light = createLightRequest("PUT", "http://example.test/put", fields, null);
    const native = new Request(toNativeRequest(light) as Request, { method: "PATCH" });
    assert.equal(native.url, "http://example.test/put");
    assert.equal(native.method, "PATCH");
    assert.equal(toNativeRequest("http://x/"), "http://x/");
  });
});

describe("light response", () => {
  test("passes instanceof both ways and answers status without a real Response", () => {
    const response = new LightResponse("hi", { status: 201 });
    assert.ok(response instanceof Response);
    assert.ok(new Response("native") instanceof LightResponse);
    assert.ok(!({} instanceof LightResponse));
    assert.equal(response.status, 201);
    assert.equal(response.ok, true);
    assert.deepEqual(lightResponseParts(response), {
      status: 201,
      statusText: "",
      headers: ["content-type", "text/plain;charset=UTF-8"],
      fresh: true,
      body: new TextEncoder().encode("hi"),
    });
  });

  test("reading it as a Response works and hands over to the real one", async () => {
    const response = new LightResponse("hello", { headers: { "X-A": "1" } });
    // As the native class says (Bun leaves the type to its server).
    assert.equal(
      response.headers.get("content-type"),
      new Response("hello").headers.get("content-type"),
    );
    assert.equal(await response.text(), "hello");
    assert.equal(response.bodyUsed, true);
    assert.equal(lightResponseParts(response), null, "the real Response now owns the body");
  });

  test("header inits of every shape, names lower-cased, values trimmed", () => {
    const record = lightResponseParts(new LightResponse(null, { headers: { "X-A": " 1 " } }));
    assert.deepEqual(record?.headers, ["x-a", "1"]);
    // Checked names and values are remembered: the same answers a second time, each list new.
    const again = lightResponseParts(new LightResponse(null, { headers: { "X-A": " 1 " } }));
    assert.deepEqual(again?.headers, ["x-a", "1"]);
    assert.notEqual(again?.headers, record?.headers);
    const bare = Object.assign(Object.create(null), { "X-B": 2, "x-c": "3" });
    assert.deepEqual(lightResponseParts(new LightResponse(null, { headers: bare }))?.headers, [
      "x-b",
      "2",
      "x-c",
      "3",
    ]);
    const pairs = lightResponseParts(
      new LightResponse(new Uint8Array([1, 2]), {
        headers: [["Set-Cookie", "a=1"], ["set-cookie", "b=2"]],
      }),
    );
    assert.deepEqual(pairs?.headers, ["set-cookie", "a=1", "set-cookie", "b=2"]);
    assert.deepEqual(pairs?.body, new Uint8Array([1, 2]));
    const headers = lightResponseParts(
      new LightResponse("x", { headers: new Headers({ "Content-Type": "text/html" }) }),
    );
    assert.deepEqual(headers?.headers, ["content-type", "text/html"]);
    assert.equal(text(headers!.body), "x");
  });

  test("invalid fields are left to the real constructor, which throws as it would", () => {
    const response = new LightResponse("x", { headers: { "bad name": "1" } });
    assert.equal(lightResponseParts(response), null);
    assert.throws(() => response.headers, TypeError);
    const split = new LightResponse("x", { headers: { "x-a": "1\r\nx-b: 2" } });
    assert.equal(lightResponseParts(split), null);
  });

  test("statuses and bodies the native class refuses throw at construction", () => {
    let nativeRefuses = false;
    try {
      new Response("x", { status: 204 });
    } catch {
      nativeRefuses = true; // Deno and Node do; Bun accepts it
    }
    if (nativeRefuses) assert.throws(() => new LightResponse("x", { status: 204 }), TypeError);
    else assert.equal(lightResponseParts(new LightResponse("x", { status: 204 })), null);
    assert.throws(() => new LightResponse(null, { status: 99 }), RangeError);
    assert.equal(new LightResponse(null, { status: 204 }).status, 204);
  });

  test("other bodies go to the real Response at once", async () => {
    const stream = ReadableStream.from([new TextEncoder().encode("streamed")]);
    const response = new LightResponse(stream);
    assert.equal(lightResponseParts(response), null);
    assert.equal(await response.text(), "streamed");
    const json = LightResponse.json({ a: 1 });
    assert.ok(json instanceof LightResponse);
    assert.deepEqual(await json.json(), { a: 1 });
  });

  test("a native Response has no light parts", () => {
    // The runtime's own class: another file may have installed the light globals.
    assert.equal(lightResponseParts(new NativeResponse("x")), null);
  });
});

describe("light objects through serve()", () => {
  test("a Host the URL parser refuses gets 400, as with the native Request", async () => {
    const { serve } = await import("../../lib/serve.ts");
    const { RawClient } = await import("../_support/raw_client.ts");
    const { readResponse } = await import("../_support/http_reader.ts");
    let calls = 0;
    const server = await serve({ port: 0, hostname: "127.0.0.1" }, (request) => {
      calls++;
      return new Response(new URL(request.url).host);
    });
    try {
      // RFC 3986 allows pct-encoded bytes in a reg-name; WHATWG URL refuses %00 in a host.
      for (const host of ["a%00b", ".0", "1.2.3.999"]) {
        const client = await RawClient.connect(server.addr.port);
        await client.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        assert.equal((await readResponse(client)).status, 400, host);
        client.destroy();
      }
      const fine = await RawClient.connect(server.addr.port);
      await fine.write("GET / HTTP/1.1\r\nHost: Example.test:8080\r\n\r\n");
      const response = await readResponse(fine);
      assert.equal(response.status, 200);
      assert.equal(response.text, "example.test:8080");
      fine.destroy();
      assert.equal(calls, 1);
    } finally {
      await server.shutdown();
    }
  });

  test("a handler can copy, clone and re-read the request it is given", async () => {
    const { serve } = await import("../../lib/serve.ts");
    const server = await serve({ port: 0, hostname: "127.0.0.1" }, async (request) => {
      // Clone first: copying a Request moves its body to the copy.
      const clone = request.clone();
      const copy = new Request(request, { headers: { "x-copied": "yes" } });
      return Response.json({
        method: copy.method,
        url: copy.url,
        copied: copy.headers.get("x-copied"),
        body: await clone.text(),
        isRequest: request instanceof Request,
      });
    });
    try {
      const response = await fetch(`http://127.0.0.1:${server.addr.port}/path?q=1`, {
        method: "POST",
        body: "sent",
      });
      assert.deepEqual(await response.json(), {
        method: "POST",
        url: `http://127.0.0.1:${server.addr.port}/path?q=1`,
        copied: "yes",
        body: "sent",
        isRequest: true,
      });
    } finally {
      await server.shutdown();
    }
  });
});
