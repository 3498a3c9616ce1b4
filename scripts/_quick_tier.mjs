/**
 * Which test files belong to the quick tier (`npm test -- --quick`): those
 * whose imports, followed through the repository, never reach a socket, a
 * child process, a thread or a runtime shim. The codec, the pure rules and
 * the in-memory lifecycle tests qualify; a new test joins the right tier by
 * what it imports, with no list to keep.
 *
 * Plain JavaScript, imported by scripts/test.mjs.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** Built-in modules a quick test may not reach: sockets, processes and threads. */
const IMPURE_MODULE =
  /^node:(net|http|https|http2|tls|dgram|child_process|cluster|worker_threads)$/;
/** The runtime shims exist to open sockets. */
const IMPURE_PATH = /^lib\/runtime\//;

/**
 * The specifiers a module imports for their values: static imports and
 * re-exports (not `import type` / `export type`, which leave nothing at run
 * time) and literal dynamic imports.
 *
 * @param {string} source
 * @returns {string[]}
 */
function importsOf(source) {
  const found = [];
  const statement = /^\s*(?:import|export)\s+(type\s)?(?:[^"';]*?\sfrom\s*)?["']([^"']+)["']/gm;
  for (const [, typeOnly, specifier] of source.matchAll(statement)) {
    if (typeOnly === undefined) found.push(specifier);
  }
  for (const [, specifier] of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push(specifier);
  }
  return found;
}

/**
 * A check of repository modules (paths relative to `root`, forward
 * slashes): true when nothing the module imports, directly or through
 * other repository modules, is impure. Answers are remembered.
 *
 * @param {string} root
 * @returns {(path: string) => boolean}
 */
export function purityCheck(root) {
  const purity = new Map();
  const isPure = (path) => {
    if (purity.has(path)) return purity.get(path);
    purity.set(path, true); // an import cycle adds nothing new
    let pure = !IMPURE_PATH.test(path);
    if (pure) {
      for (const specifier of importsOf(readFileSync(join(root, path), "utf8"))) {
        if (IMPURE_MODULE.test(specifier)) pure = false;
        else if (specifier.startsWith(".")) {
          const target = relative(root, join(root, dirname(path), specifier)).split(sep).join("/");
          if (existsSync(join(root, target)) && !isPure(target)) pure = false;
        }
        if (!pure) break;
      }
    }
    purity.set(path, pure);
    return pure;
  };
  return isPure;
}
