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
 * each group by name; a link to the parent except at the root.
 *
 * @example
 * ```ts
 * import { renderListing } from "./directory_listing.ts";
 * import assert from "node:assert/strict";
 *
 * const html = renderListing("/docs/", [{ name: "a b.txt", isDirectory: false }, { name: "img", isDirectory: true }]);
 * assert.ok(html.includes('<a href="img/">img/</a>'));
 * assert.ok(html.includes('<a href="a%20b.txt">a b.txt</a>'));
 * assert.ok(html.includes('<a href="../">'));
 * ```
 *
 * @param urlPath the folder's decoded URL path, ending with `/`
 * @param entries the folder's entries
 * @returns a complete HTML document
 */
export function renderListing(urlPath: string, entries: readonly ListingEntry[]): string {
  const sorted = [...entries].sort((a, b) =>
    a.isDirectory === b.isDirectory
      ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      : a.isDirectory
      ? -1
      : 1
  );
  const title = escapeHtml(`Index of ${urlPath}`);
  const items: string[] = [];
  if (urlPath !== "/") items.push('<li><a href="../">../</a></li>');
  for (const entry of sorted) {
    const suffix = entry.isDirectory ? "/" : "";
    items.push(
      `<li><a href="${encodeURIComponent(entry.name)}${suffix}">${
        escapeHtml(entry.name)
      }${suffix}</a></li>`,
    );
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:50rem;padding:0 1rem}ul{list-style:none;padding:0}a{text-decoration:none}a:hover{text-decoration:underline}footer{color:#777;font-size:13px}</style>
</head>
<body>
<h1>${title}</h1>
<ul>
${items.join("\n")}
</ul>
<footer>served by keepwire · <a href="/_keepwire/">live connections</a></footer>
</body>
</html>
`;
}
