import { describe, test } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import { PENDING, settledNow } from "../../lib/fetch/settled.ts";

const runtimeReadsPromises = "Bun" in globalThis;

describe("settledNow()", () => {
  test("exists only where the runtime reads a promise's state synchronously (Bun)", () => {
    assert.equal(settledNow !== null, runtimeReadsPromises);
  });

  test("a fulfilled promise's value, at once", () => {
    if (settledNow === null) return;
    assert.equal(settledNow(Promise.resolve(42)), 42);
  });

  test("PENDING for a promise not settled yet, then its value once it is", async () => {
    if (settledNow === null) return;
    let resolve!: (value: string) => void;
    const promise = new Promise<string>((done) => (resolve = done));
    assert.equal(settledNow(promise), PENDING);
    resolve("later");
    await promise;
    assert.equal(settledNow(promise), "later");
  });

  test("throws a rejected promise's reason and marks it handled", async () => {
    if (settledNow === null) return;
    const reason = new Error("no");
    const promise = Promise.reject(reason);
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on("unhandledRejection", onUnhandled);
    try {
      assert.throws(() => settledNow!(promise), (error) => error === reason);
      await new Promise((done) => setTimeout(done, 10));
      assert.equal(unhandled, 0);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("a body stream's first read of an in-memory body has settled when read() returns", () => {
    if (settledNow === null) return;
    const reader = new Response("Hello").body!.getReader();
    const first = settledNow(reader.read());
    assert.notEqual(first, PENDING);
    assert.equal(
      new TextDecoder().decode((first as ReadableStreamReadResult<Uint8Array>).value),
      "Hello",
    );
  });
});
