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
 * Why a request path was refused: `malformed` (a bad %-escape, 400),
 * `forbidden` (NUL, a `..` segment, a backslash, 403) or `hidden` (a
 * segment starting with a dot while dotfiles are refused: 404, as if absent).
 */
export type UnsafePath = "malformed" | "forbidden" | "hidden";

/**
 * Whether a path segment names a dotfile or dot-folder (`.env`, `.git`):
 * refused by default because a project folder keeps its secrets there, as
 * `serve-static` refuses them (`dotfiles: "ignore"`).
 *
 * @example
 * ```ts
 * import { isDotName } from "./safe_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDotName(".env"));
 * assert.ok(!isDotName("index.html"));
 * assert.ok(!isDotName(""));
 * ```
 *
 * @param segment one path segment
 * @returns true for a name starting with `.`
 */
export function isDotName(segment: string): boolean {
  return segment.startsWith(".");
}

/**
 * Whether `path`, below `root`, passes through a dotfile or dot-folder.
 * Checked on the real path too, so a link `config -> .env` inside the
 * folder does not hand out what `/.env` refuses.
 *
 * @example
 * ```ts
 * import { hasDotSegmentBelow } from "./safe_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(hasDotSegmentBelow("/home/me/.site", "/home/me/.site/.git/config"));
 * assert.ok(!hasDotSegmentBelow("/home/me/.site", "/home/me/.site/css/app.css"));
 * ```
 *
 * @param root the served folder's real path (its own dots do not count)
 * @param path a real path inside `root`
 * @returns true when a segment below `root` starts with `.`
 */
export function hasDotSegmentBelow(root: string, path: string): boolean {
  if (path.length <= root.length) return false;
  return path.slice(root.length).split(sep).some(isDotName);
}

/**
 * Decodes the request path once and joins it under `root`.
 *
 * %-escapes are decoded exactly once, so `%252e%252e` names a file called
 * `%2e%2e` rather than climbing. After decoding, a NUL (which truncates
 * paths in C APIs below us), a `..` segment and a backslash (a separator on
 * Windows) are refused, so `%2e%2e/` and `..%2f` cannot climb either.
 * Unless `allowDotfiles`, a segment starting with `.` is `hidden`.
 *
 * @example
 * ```ts
 * import { resolveUnder } from "./safe_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveUnder("/srv", "/a%20b/c.txt"), "/srv/a b/c.txt");
 * assert.equal(resolveUnder("/srv", "/..%2fetc/passwd"), "forbidden");
 * assert.equal(resolveUnder("/srv", "/%E0%A4%A"), "malformed");
 * assert.equal(resolveUnder("/srv", "/.git/config"), "hidden");
 * assert.equal(resolveUnder("/srv", "/.git/config", true), "/srv/.git/config");
 * ```
 *
 * @param root the served folder
 * @param path the request path, still %-encoded, starting with `/`
 * @param allowDotfiles serve names starting with `.` (default false)
 * @returns the file system path, or why it was refused
 */
export function resolveUnder(
  root: string,
  path: string,
  allowDotfiles = false,
): string | UnsafePath {
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
  if (!allowDotfiles && segments.some(isDotName)) return "hidden";
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
