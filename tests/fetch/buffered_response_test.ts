import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferedResponse } from "../../lib/fetch/buffered_response.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const init = {
  status: 201,
  statusText: "Created",
  headers: { "content-type": "application/json" },
};

describe("BufferedResponse", () => {
  test("is a Response with the status and headers it was given", () => {
    const response = new BufferedResponse(bytes("{}"), init);
    assert.ok(response instanceof Response);
    assert.equal(response.status, 201);
    assert.equal(response.statusText, "Created");
    assert.equal(response.ok, true);
    assert.equal(response.headers.get("content-type"), "application/json");
  });

  test("answers text, json, arrayBuffer, bytes and blob from the bytes", async () => {
    assert.equal(await new BufferedResponse(bytes("\ufeffhé"), init).text(), "hé");
    assert.deepEqual(await new BufferedResponse(bytes('{"a":1}'), init).json(), { a: 1 });
    const buffer = await new BufferedResponse(bytes("abc"), init).arrayBuffer();
    assert.deepEqual(new Uint8Array(buffer), bytes("abc"));
    assert.deepEqual(await new BufferedResponse(bytes("abc"), init).bytes(), bytes("abc"));
    const blob = await new BufferedResponse(bytes("abc"), init).blob();
    assert.match(blob.type, /^application\/json/); // Bun appends ;charset=utf-8
    assert.equal(await blob.text(), "abc");
  });

  test("copies out of a larger buffer, never exposing its neighbours", async () => {
    const whole = bytes("xxabcxx");
    const buffer = await new BufferedResponse(whole.subarray(2, 5), init).arrayBuffer();
    assert.equal(buffer.byteLength, 3);
  });

  test("can be read once; bodyUsed says so; a second read rejects", async () => {
    const response = new BufferedResponse(bytes("once"), init);
    assert.equal(response.bodyUsed, false);
    assert.equal(await response.text(), "once");
    assert.equal(response.bodyUsed, true);
    await assert.rejects(response.text(), TypeError);
    assert.throws(() => response.clone(), TypeError);
  });

  test("builds the body stream on demand and then behaves natively", async () => {
    const response = new BufferedResponse(bytes("streamed"), init);
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    assert.equal(new TextDecoder().decode(value), "streamed");
    reader.releaseLock();
    assert.equal(response.bodyUsed, true);
  });

  test("clones into an independent response", async () => {
    const response = new BufferedResponse(bytes("twice"), init);
    Object.defineProperty(response, "url", { value: "http://x/" });
    const copy = response.clone();
    assert.equal(await response.text(), "twice");
    assert.equal(await copy.text(), "twice");
    assert.equal(copy.url, "http://x/");
  });

  test("parses form data through the native Response", async () => {
    const form = new BufferedResponse(bytes("a=1&b=2"), {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal((await form.formData()).get("b"), "2");
  });
});
