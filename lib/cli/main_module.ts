/**
 * "Is this module the program being run?" on Deno, Bun and Node.
 *
 * Deno and Bun answer with `import.meta.main`. Node 20 has no such flag, so
 * the entry script's real path (`process.argv[1]`, after symlinks such as
 * `node_modules/.bin/keepwire`) is compared with the module's own file.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Whether the module whose `import.meta` is given is the entry point.
 *
 * @example
 * ```ts
 * import { isMainModule } from "./main_module.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof isMainModule(import.meta), "boolean");
 * ```
 *
 * @param meta the module's `import.meta`
 * @returns true when the runtime was started on that module
 */
export function isMainModule(meta: ImportMeta): boolean {
  const flag = (meta as { main?: unknown }).main;
  if (typeof flag === "boolean") return flag;
  const entry = (globalThis as { process?: { argv?: string[] } }).process?.argv?.[1];
  // A CommonJS bundle has an empty import.meta: it is never the bin entry.
  const url: unknown = meta.url;
  if (entry === undefined || typeof url !== "string" || !url.startsWith("file:")) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}
