/**
 * The origin-form target (path and query) of a `Request`, without the cost
 * of `new URL()` on every request: the handlers only need to split strings
 * the server already normalised when it built the `Request`.
 *
 * @module
 */

/**
 * Where the path starts in an absolute URL string (the first `/` after the
 * authority), or the string's length when there is no path.
 */
function pathStart(url: string): number {
  const scheme = url.indexOf("://");
  const slash = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  return slash === -1 ? url.length : slash;
}

/**
 * The request target's path and query, split at the first `?`. The path is
 * still percent-encoded; the query has no leading `?` (`""` when absent).
 *
 * @example
 * ```ts
 * import { splitTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitTarget("http://localhost:8080/a%20b?x=1"), { path: "/a%20b", query: "x=1" });
 * assert.deepEqual(splitTarget("http://localhost:8080"), { path: "/", query: "" });
 * ```
 *
 * @param url an absolute URL, as `Request.url`
 * @returns the path (at least `/`) and the query
 */
export function splitTarget(url: string): { path: string; query: string } {
  const start = pathStart(url);
  let end = url.indexOf("#", start);
  if (end === -1) end = url.length;
  const question = url.indexOf("?", start);
  if (question === -1 || question > end) {
    return { path: start === end ? "/" : url.slice(start, end), query: "" };
  }
  return {
    path: start === question ? "/" : url.slice(start, question),
    query: url.slice(question + 1, end),
  };
}

/**
 * The origin-form target: path and query as the client sent them (after the
 * URL normalisation `Request` applies).
 *
 * @example
 * ```ts
 * import { originForm } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(originForm("http://127.0.0.1:8080/echo?x=1"), "/echo?x=1");
 * ```
 *
 * @param url an absolute URL, as `Request.url`
 * @returns the path and query
 */
export function originForm(url: string): string {
  const start = pathStart(url);
  let end = url.indexOf("#", start);
  if (end === -1) end = url.length;
  return start === end ? "/" : url.slice(start, end);
}
