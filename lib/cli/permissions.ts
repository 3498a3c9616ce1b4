/**
 * Missing permissions, said in one line. Deno refuses a file, network, env
 * or subprocess operation the process was not granted with a `NotCapable`
 * error (a `PermissionDenied` before Deno 2) whose stack trace helps no one
 * running a command; the CLI prints which flag is missing instead.
 *
 * The CLI is an entry layer, so it may name the runtime in what it says; it
 * still detects the error by its name and message, not by importing Deno.
 *
 * @module
 */

const PERMISSION_ERRORS: ReadonlySet<string> = new Set(["NotCapable", "PermissionDenied"]);

/** Deno's flag per kind of access, for messages that do not name one ("Requires read access to …"). */
const FLAG_BY_ACCESS: Readonly<Record<string, string>> = {
  read: "--allow-read",
  write: "--allow-write",
  net: "--allow-net",
  env: "--allow-env",
  run: "--allow-run",
  sys: "--allow-sys",
  ffi: "--allow-ffi",
};

/**
 * The Deno flag a permission error asks for, or undefined when `error` is
 * not a permission error.
 *
 * @example
 * ```ts
 * import { missingPermission } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const error = Object.assign(new Error("Requires env access, run again with the --allow-env flag"), {
 *   name: "NotCapable",
 * });
 * assert.equal(missingPermission(error), "--allow-env");
 * const read = Object.assign(new Error('Requires read access to "site"'), { name: "NotCapable" });
 * assert.equal(missingPermission(read), "--allow-read");
 * assert.equal(missingPermission(new Error("ENOENT")), undefined);
 * ```
 *
 * @param error anything thrown
 * @returns `--allow-…`, or undefined
 */
export function missingPermission(error: unknown): string | undefined {
  if (!(error instanceof Error) || !PERMISSION_ERRORS.has(error.name)) return undefined;
  const named = /--allow-[a-z-]+/.exec(error.message);
  if (named !== null) return named[0];
  const access = /Requires (\w+) access/.exec(error.message);
  return (access !== null ? FLAG_BY_ACCESS[access[1]] : undefined) ?? "the missing --allow-* flag";
}
