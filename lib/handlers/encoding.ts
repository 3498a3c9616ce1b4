/**
 * Content codings for the file server: which media types are worth
 * compressing, which coding a client prefers (`Accept-Encoding`, RFC 9110
 * §12.5.3), and gzip on the fly.
 *
 * What is compressed where, and why:
 *
 * - **Precompressed siblings** (`app.js.br`, `app.js.gz`, as nginx's
 *   `gzip_static`) are served when present and at least as new as the file:
 *   compressed once, at the best level, by whoever built the site.
 * - **gzip on the fly** through the standard `CompressionStream("gzip")`,
 *   present on Deno, Bun and Node 18+, so this module names no runtime.
 * - **No brotli on the fly.** `CompressionStream("brotli")` exists on Deno,
 *   Bun and Node 22+ but not Node 20, and Bun and Node run it at brotli's
 *   best and slowest quality (11): 1.3 MB of text took 5.8 s on Bun and 7.0 s
 *   on Node 22 against 0.1–0.4 s for gzip (measured 2026-11-29). One request
 *   could hold a core for seconds, so brotli comes only from siblings.
 * - Bodies under {@linkcode MIN_COMPRESS_SIZE} are sent as they are: the
 *   gzip header and trailer alone are 18 bytes, and small responses fit in
 *   one packet either way.
 *
 * @module
 */

/** A content coding this server can send. */
export type ContentCoding = "br" | "gzip" | "identity";

/** Smaller bodies are not compressed on the fly (nginx's `gzip_min_length` is 20; most CDNs use ~1 KiB). */
export const MIN_COMPRESS_SIZE = 1024;

const COMPRESSIBLE_APPLICATION: ReadonlySet<string> = new Set([
  "application/json",
  "application/javascript",
  "application/xml",
  "application/wasm",
  "application/manifest+json",
  "image/svg+xml",
]);

/**
 * Whether a media type compresses well: text, JSON, JavaScript, XML, SVG and
 * WebAssembly. Images, video, fonts (woff2 is already compressed) and
 * archives are sent as they are.
 *
 * @example
 * ```ts
 * import { isCompressible } from "./encoding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isCompressible("text/css; charset=utf-8"));
 * assert.ok(isCompressible("application/ld+json"));
 * assert.ok(!isCompressible("image/png"));
 * ```
 *
 * @param contentType a Content-Type value
 * @returns true when compressing is worth it
 */
export function isCompressible(contentType: string): boolean {
  const semicolon = contentType.indexOf(";");
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim()
    .toLowerCase();
  return essence.startsWith("text/") || COMPRESSIBLE_APPLICATION.has(essence) ||
    essence.endsWith("+json") || essence.endsWith("+xml");
}

/** A qvalue (RFC 9110 §12.4.2): 0 to 1, at most three decimals; anything else reads as 1. */
function qvalue(params: string[]): number {
  for (const param of params) {
    const equals = param.indexOf("=");
    if (equals === -1 || param.slice(0, equals).trim().toLowerCase() !== "q") continue;
    const q = Number(param.slice(equals + 1).trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 1;
  }
  return 1;
}

/**
 * Picks the coding to send from `offers` (in the server's order of
 * preference, which breaks ties) by the client's Accept-Encoding.
 *
 * - No header: `identity` (any coding would be allowed, but a client that
 *   says nothing may not decode one, so servers send none).
 * - `*` stands for every coding not listed; `x-gzip` is `gzip` (§8.4.1.3).
 * - `identity` not listed is acceptable, with a weight below any listed
 *   coding; `identity;q=0` or `*;q=0` refuse it.
 * - `null` when nothing offered is acceptable.
 *
 * @example
 * ```ts
 * import { negotiateEncoding } from "./encoding.ts";
 * import assert from "node:assert/strict";
 *
 * const offers = ["br", "gzip", "identity"] as const;
 * assert.equal(negotiateEncoding("gzip, deflate, br", offers), "br");
 * assert.equal(negotiateEncoding("br;q=0.5, gzip", offers), "gzip");
 * assert.equal(negotiateEncoding(null, offers), "identity");
 * assert.equal(negotiateEncoding("identity;q=0", ["identity"]), null);
 * assert.equal(negotiateEncoding("*;q=0, identity", offers), "identity");
 * ```
 *
 * @param header the Accept-Encoding value, or null
 * @param offers the codings available, best first
 * @returns the coding to use, or null
 */
export function negotiateEncoding(
  header: string | null,
  offers: readonly ContentCoding[],
): ContentCoding | null {
  if (header === null) return offers.includes("identity") ? "identity" : null;
  const weights = new Map<string, number>();
  for (const item of header.split(",")) {
    const [name, ...params] = item.split(";");
    let coding = name.trim().toLowerCase();
    if (coding === "") continue;
    if (coding === "x-gzip") coding = "gzip";
    weights.set(coding, qvalue(params));
  }
  const star = weights.get("*");
  let best: ContentCoding | null = null;
  let bestWeight = 0;
  for (const coding of offers) {
    let weight = weights.get(coding) ?? star;
    if (weight === undefined) weight = coding === "identity" ? 0.0001 : 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * Gzips a body as it streams (`CompressionStream`, RFC 1952 framing).
 * Cancelling the result cancels `body` (a file stream closes its file).
 *
 * @example
 * ```ts
 * import { gzipStream } from "./encoding.ts";
 * import assert from "node:assert/strict";
 *
 * import { gunzipSync } from "node:zlib";
 *
 * const zipped = gzipStream(new Response("hello ".repeat(1000)).body!);
 * const bytes = new Uint8Array(await new Response(zipped).arrayBuffer());
 * assert.ok(bytes.byteLength < 100);
 * assert.equal(new TextDecoder().decode(gunzipSync(bytes)), "hello ".repeat(1000));
 * ```
 *
 * @param body the identity bytes
 * @returns the gzip bytes
 */
export function gzipStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  // The DOM typing of CompressionStream takes any BufferSource; bytes are one.
  const gzip = new CompressionStream("gzip") as unknown as ReadableWritablePair<
    Uint8Array,
    Uint8Array
  >;
  return body.pipeThrough(gzip);
}
