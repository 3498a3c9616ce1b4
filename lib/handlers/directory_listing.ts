/**
 * The HTML page listing a folder's entries when it has no index.html.
 *
 * Names come from the disk and may contain anything a file name can, so
 * every one is HTML-escaped in text and %-encoded in links: a file named
 * `<img src=x onerror=...>` must show as text, not run.
 *
 * @module
 */

/** One entry of a folder. */
export interface ListingEntry {
  /** The file name (one path segment). */
  readonly name: string;
  /** Whether the entry is a folder (its link ends with `/`). */
  readonly isDirectory: boolean;
  /** The size in bytes (not shown for folders). */
  readonly size: number;
  /** The modification time, ms since the epoch. */
  readonly mtimeMs: number;
}

/**
 * Natural, case-insensitive order: `file2` before `file10`, `a` beside `A`
 * (ties broken by code unit so the order is total). A fixed locale, so the
 * page is the same whatever the server's environment says.
 */
const COLLATOR = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

function byName(a: ListingEntry, b: ListingEntry): number {
  return COLLATOR.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * A size for people: bytes below 1 KiB, else one decimal in binary units.
 *
 * @example
 * ```ts
 * import { formatSize } from "./directory_listing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSize(999), "999 B");
 * assert.equal(formatSize(1536), "1.5 KiB");
 * assert.equal(formatSize(3 * 1024 ** 3), "3.0 GiB");
 * ```
 *
 * @param bytes a size
 * @returns the size with its unit
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `2024-03-01 12:00` in UTC: sortable, unambiguous, and the same on every server. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./directory_listing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
 * ```
 *
 * @param text any text
 * @returns the escaped text
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/**
 * Renders the listing of the folder at `urlPath`: folders first, then files,
 * each group in natural case-insensitive order, with size and modification
 * time (UTC); a link to the parent except at the root.
 *
 * @example
 * ```ts
 * import { renderListing } from "./directory_listing.ts";
 * import assert from "node:assert/strict";
 *
 * const html = renderListing("/docs/", [
 *   { name: "a b.txt", isDirectory: false, size: 1536, mtimeMs: Date.UTC(2024, 2, 1, 12) },
 *   { name: "img", isDirectory: true, size: 4096, mtimeMs: 0 },
 * ]);
 * assert.ok(html.indexOf('<a href="img/">img/</a>') < html.indexOf('<a href="a%20b.txt">a b.txt</a>'));
 * assert.ok(html.includes("<td>1.5 KiB</td><td>2024-03-01 12:00</td>"));
 * assert.ok(html.includes('<a href="../">'));
 * ```
 *
 * @param urlPath the folder's decoded URL path, ending with `/`
 * @param entries the folder's entries
 * @returns a complete HTML document
 */
export function renderListing(urlPath: string, entries: readonly ListingEntry[]): string {
  const folders = entries.filter((entry) => entry.isDirectory).sort(byName);
  const files = entries.filter((entry) => !entry.isDirectory).sort(byName);
  const title = escapeHtml(`Index of ${urlPath}`);
  const rows: string[] = [];
  if (urlPath !== "/") rows.push('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  for (const entry of [...folders, ...files]) {
    const suffix = entry.isDirectory ? "/" : "";
    const size = entry.isDirectory ? "" : formatSize(entry.size);
    rows.push(
      `<tr><td><a href="${encodeURIComponent(entry.name)}${suffix}">${
        escapeHtml(entry.name)
      }${suffix}</a></td><td>${size}</td><td>${formatTime(entry.mtimeMs)}</td></tr>`,
    );
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:50rem;padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{padding:.15rem .5rem;text-align:left;white-space:nowrap}td:first-child{white-space:normal;overflow-wrap:anywhere;width:100%}td:nth-child(2),th:nth-child(2){text-align:right}th{font-weight:600;border-bottom:1px solid #ccc}a{text-decoration:none}a:hover{text-decoration:underline}footer{color:#777;font-size:13px;margin-top:1rem}</style>
</head>
<body>
<h1>${title}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
<footer>served by keepwire</footer>
</body>
</html>
`;
}
