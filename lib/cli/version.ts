/**
 * The version `keepwire --version` prints. Kept equal to `deno.json`'s
 * `version` (and so the npm package's) by tests/cli/args_test.ts: reading
 * deno.json at run time would need a file permission on Deno and a path
 * that does not exist inside the npm bundle.
 *
 * @module
 */

/**
 * The keepwire version.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = "0.1.0";
