/**
 * Child process of unref_timer_test.ts: loads the package root's runtime
 * detection (which installs the running runtime's hooks), then arms a
 * minute-long interval and timeout through the runtime-neutral
 * `unrefTimer`. It exits at once when they are unref'd, after a minute when
 * they are not.
 */

import { detectRuntime } from "../../lib/runtime/detect.ts";
import { unrefTimer } from "../../lib/_runtime_hooks.ts";

unrefTimer(setInterval(() => {}, 60_000));
unrefTimer(setTimeout(() => {}, 60_000));
console.log(`armed on ${detectRuntime()}`);
