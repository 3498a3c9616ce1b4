import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readStaticBody } from "../../lib/fetch/static_body.ts";

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
