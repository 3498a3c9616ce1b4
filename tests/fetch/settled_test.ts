/**
 * `settledNow()` (lib/fetch/settled.ts): Bun's synchronous read of a
 * promise's state, by `Bun.peek`'s shape. Off Bun there is none: its tests
 * are reported skipped there, not passed. The entry points install it in
 * the runtime-neutral registry (lib/_runtime_hooks.ts), where the
 * connection layer reads it.
 */

import { describe, test } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import { PENDING, settledNow } from "../../lib/fetch/settled.ts";
import { settledNow as installed } from "../../lib/_runtime_hooks.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";

const runtimeReadsPromises = "Bun" in globalThis;
const onBunOnly = runtimeReadsPromises ? false : "only Bun reads a promise's state synchronously";

describe("settledNow()", () => {
  test("exists only where the runtime reads a promise's state synchronously (Bun)", () => {
    assert.equal(settledNow !== null, runtimeReadsPromises);
  });

  test("the package's entry point installs it for the connection layer (Bun), else none", () => {
    // detect.ts, loaded by the package root, installed the running runtime's hooks.
    assert.ok(["deno", "bun", "node"].includes(detectRuntime()));
    assert.equal(installed, runtimeReadsPromises ? settledNow : null);
  });

  test("a fulfilled promise's value, at once", { skip: onBunOnly }, () => {
    assert.equal(settledNow!(Promise.resolve(42)), 42);
  });

  test("PENDING for a promise not settled yet, then its value once it is", {
    skip: onBunOnly,
  }, async () => {
    let resolve!: (value: string) => void;
    const promise = new Promise<string>((done) => (resolve = done));
    assert.equal(settledNow!(promise), PENDING);
    resolve("later");
    await promise;
    assert.equal(settledNow!(promise), "later");
  });

  test("throws a rejected promise's reason and marks it handled", { skip: onBunOnly }, async () => {
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

  test("a body stream's first read of an in-memory body has settled when read() returns", {
    skip: onBunOnly,
  }, () => {
    const reader = new Response("Hello").body!.getReader();
    const first = settledNow!(reader.read());
    assert.notEqual(first, PENDING);
    assert.equal(
      new TextDecoder().decode((first as ReadableStreamReadResult<Uint8Array>).value),
      "Hello",
    );
  });
});
