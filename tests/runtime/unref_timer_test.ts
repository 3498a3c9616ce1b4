/**
 * `unrefTimer()` (lib/_runtime_hooks.ts) on the running runtime, in a child
 * process: a process whose only pending timers went through it exits at
 * once, and one whose timers were not would wait a minute (the run fails at
 * 20 s). The runtime-neutral default unrefs timer objects (Node, Bun, and
 * Deno 2.9, whose globals return Node-style Timeouts); a Deno whose timers
 * are numbers needs the function its entry point installs.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../lib/runtime/detect.ts";

// import.meta.url is the test file's on every runner (the Node bundle's too).
const CHILD = fileURLToPath(new URL("../runtime/_unref_child.ts", import.meta.url));
const runtime = detectRuntime();
const ARGS: Record<string, string[]> = {
  deno: ["run", "--no-check", "--no-prompt", CHILD],
  bun: [CHILD],
};

describe(`unrefTimer() on ${runtime}`, () => {
  test("a process with only unref'd timers exits at once", {
    skip: runtime === "node"
      ? "Node runs no TypeScript child here; its timers' own unref() is the default"
      : false,
  }, async () => {
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ARGS[runtime],
        { timeout: 20_000 },
        (error, out, err) => error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      );
    });
    assert.equal(stdout.trim(), `armed on ${runtime}`);
    assert.ok(Date.now() - started < 20_000);
  });
});
