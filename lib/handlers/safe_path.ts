/**
 * Turns a request path into a path under the served folder, refusing every
 * way out of it that can be seen before touching the disk.
 *
 * Symlinks that lead out are caught later, by comparing real paths
 * ({@linkcode isInside}); this module only does string work.
 *
 * @module
 */

import { join, sep } from "node:path";

/**
 * Why a request path was refused: `malformed` (a bad %-escape, 400) or
 * `forbidden` (NUL, a `..` segment, a backslash, 403).
 */
export type UnsafePath = "malformed" | "forbidden";

/**
 * Decodes the request path once and joins it under `root`.
 *
 * %-escapes are decoded exactly once, so `%252e%252e` names a file called
 * `%2e%2e` rather than climbing. After decoding, a NUL (which truncates
 * paths in C APIs below us), a `..` segment and a backslash (a separator on
 * Windows) are refused, so `%2e%2e/` and `..%2f` cannot climb either.
 *
 * @example
 * ```ts
 * import { resolveUnder } from "./safe_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveUnder("/srv", "/a%20b/c.txt"), "/srv/a b/c.txt");
 * assert.equal(resolveUnder("/srv", "/..%2fetc/passwd"), "forbidden");
 * assert.equal(resolveUnder("/srv", "/%E0%A4%A"), "malformed");
 * ```
 *
 * @param root the served folder
 * @param path the request path, still %-encoded, starting with `/`
 * @returns the file system path, or why it was refused
 */
export function resolveUnder(root: string, path: string): string | UnsafePath {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return "malformed";
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return "forbidden";
  const segments = decoded.split("/");
  for (const segment of segments) {
    if (segment === "..") return "forbidden";
  }
  return join(root, ...segments);
}

/**
 * Whether `path` is `root` or lies beneath it. Both must be real paths
 * (symlinks resolved), so a link pointing out of the folder is caught.
 *
 * @example
 * ```ts
 * import { isInside } from "./safe_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isInside("/srv/site", "/srv/site/a.txt"));
 * assert.ok(!isInside("/srv/site", "/srv/site-private/a.txt"));
 * ```
 *
 * @param root the served folder's real path
 * @param path a real path
 * @returns true when `path` is inside `root`
 */
export function isInside(root: string, path: string): boolean {
  if (path === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path.startsWith(prefix);
}
