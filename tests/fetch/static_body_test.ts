import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fastStaticParts, readStaticBody } from "../../lib/fetch/static_body.ts";
// The runtime's own class, even where another test installed the light globals.
import { NativeResponse } from "../../lib/fetch/_native.ts";

const decoder = new TextDecoder();
const runtimeHasInnerBody = "Deno" in globalThis;

describe("readStaticBody()", () => {
  test("reads a string body whole where the runtime shows it (Deno), else leaves it", async () => {
    const response = new Response("Hello, World!", { headers: { "content-type": "text/plain" } });
    const whole = readStaticBody(response);
    if (!runtimeHasInnerBody) {
      assert.equal(whole, null);
      assert.equal(response.bodyUsed, false);
      return;
    }
    assert.ok(whole !== null);
    assert.equal(decoder.decode(await whole), "Hello, World!");
    assert.equal(response.bodyUsed, true, "used, as after reading its stream");
  });

  test("reads a byte body whole where the runtime shows it (Deno)", async () => {
    const whole = readStaticBody(new Response(new Uint8Array([1, 2, 3])));
    if (!runtimeHasInnerBody) return assert.equal(whole, null);
    assert.deepEqual([...(await whole!)], [1, 2, 3]);
  });

  test("never reads a stream body whole: it may never end", () => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1));
      },
    }, { highWaterMark: 0 });
    const response = new Response(endless);
    assert.equal(readStaticBody(response), null);
    assert.equal(response.bodyUsed, false);
    assert.equal(pulls, 0);
    response.body!.cancel();
  });

  test("leaves a body already read, and one whose stream was taken", async () => {
    const read = new Response("x");
    await read.text();
    assert.equal(readStaticBody(read), null);
    const streamed = new Response("x");
    const reader = streamed.body!.getReader();
    assert.equal(readStaticBody(streamed), null);
    await reader.cancel();
  });
});

describe("fastStaticParts()", () => {
  const text = (bytes: Uint8Array) => decoder.decode(bytes);
  // Deno 2.9 keeps the record for Deno.serve; elsewhere nothing is read this way.
  const recorded = runtimeHasInnerBody;

  test("reads status, content-type and body of the static responses the runtime records", () => {
    const cases: [Response, string[], string][] = [
      [new NativeResponse("Hello, World!", { headers: { "content-type": "text/plain" } }), [
        "content-type",
        "text/plain",
      ], "Hello, World!"],
      [new NativeResponse("no init"), ["content-type", "text/plain;charset=UTF-8"], "no init"],
      [NativeResponse.json({ a: 1 }), ["content-type", "application/json"], '{"a":1}'],
      [new NativeResponse(new Uint8Array([104, 105])), [], "hi"],
    ];
    for (const [response, headers, body] of cases) {
      const parts = fastStaticParts(response);
      if (!recorded) {
        assert.equal(parts, null);
        continue;
      }
      assert.ok(parts !== null, body);
      assert.equal(parts.status, 200);
      assert.equal(parts.statusText, "");
      assert.deepEqual(parts.headers, headers);
      assert.equal(text(parts.body), body);
      assert.equal(response.bodyUsed, true, "used, as after reading it");
      assert.throws(() => response.clone(), TypeError);
      assert.equal(fastStaticParts(response), null, "read once");
    }
  });

  test("leaves responses whose headers, body or status line the handler made otherwise", async () => {
    const touched = new NativeResponse("x", { headers: { "content-type": "text/plain" } });
    touched.headers.set("x-later", "1");
    const read = new NativeResponse("x");
    await read.text();
    const cases = [
      touched,
      read,
      new NativeResponse("x", { statusText: "Fine" }),
      new NativeResponse("x", { status: 201 }),
      new NativeResponse("x", { headers: { "content-type": "text/plain", "x-a": "1" } }),
      new NativeResponse(new ReadableStream()),
      new NativeResponse(null),
    ];
    for (const response of cases) assert.equal(fastStaticParts(response), null);
    assert.equal(cases[2].bodyUsed, false, "left unread");
  });
});
