/**
 * A folder's entries as the listing shows them: only what the file server
 * would actually serve.
 *
 * Hidden: dotfiles (unless allowed), symlinks whose target lies outside the
 * served folder or does not exist (they would answer 404), and anything that
 * is neither a regular file nor a folder (sockets, FIFOs, devices).
 *
 * @module
 */

import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ListingEntry } from "./directory_listing.ts";
import { hasDotSegmentBelow, isDotName, isInside } from "./safe_path.ts";

/** How many entries are stat'ed at once: enough to hide disk latency, few enough not to exhaust file descriptors. */
const STAT_CONCURRENCY = 32;

/**
 * Reads the listable entries of `directory`.
 *
 * @example
 * ```ts
 * import { readFolder } from "./read_folder.ts";
 * import { mkdtemp, realpath, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * import assert from "node:assert/strict";
 *
 * const root = await realpath(await mkdtemp(join(tmpdir(), "kw-ls-")));
 * await writeFile(join(root, "a.txt"), "abc");
 * await writeFile(join(root, ".env"), "SECRET=1");
 * const entries = await readFolder(root, root, false);
 * assert.deepEqual(entries.map((entry) => [entry.name, entry.size]), [["a.txt", 3]]);
 * ```
 *
 * @param root the served folder's real path
 * @param directory the real path of the folder to read, inside `root`
 * @param allowDotfiles list names starting with `.`
 * @returns the entries, unsorted
 */
export async function readFolder(
  root: string,
  directory: string,
  allowDotfiles: boolean,
): Promise<ListingEntry[]> {
  const dirents = await readdir(directory, { withFileTypes: true });
  const candidates = dirents.filter((dirent) => allowDotfiles || !isDotName(dirent.name));
  const entries: ListingEntry[] = [];
  const visit = async (name: string, isLink: boolean): Promise<void> => {
    try {
      let path = join(directory, name);
      if (isLink) {
        path = await realpath(path);
        if (!isInside(root, path)) return;
        if (!allowDotfiles && hasDotSegmentBelow(root, path)) return;
      }
      const info = await stat(path);
      if (!info.isFile() && !info.isDirectory()) return;
      entries.push({
        name,
        isDirectory: info.isDirectory(),
        size: info.size,
        mtimeMs: info.mtimeMs,
      });
    } catch {
      // Vanished since readdir, a dangling link, or unreadable: not servable, not listed.
    }
  };
  for (let i = 0; i < candidates.length; i += STAT_CONCURRENCY) {
    await Promise.all(
      candidates.slice(i, i + STAT_CONCURRENCY).map((dirent) =>
        visit(dirent.name, dirent.isSymbolicLink())
      ),
    );
  }
  return entries;
}
