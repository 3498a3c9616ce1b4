/**
 * The `serve()` of the entry point for the runtime running the test
 * (lib/runtime/deno.ts, bun.ts or node.ts), loaded on demand so each
 * runtime imports only its own.
 */
import type { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";

/** The type of every entry point's `serve()`. */
export type ServeFunction = typeof serve;

/** The running runtime's entry-point `serve()`. */
export async function runtimeServe(): Promise<ServeFunction> {
  switch (detectRuntime()) {
    case "deno":
      return (await import("../../lib/runtime/deno.ts")).serve;
    case "bun":
      return (await import("../../lib/runtime/bun.ts")).serve;
    case "node":
      return (await import("../../lib/runtime/node.ts")).serve;
  }
}
