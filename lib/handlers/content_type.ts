/**
 * Content-Type by file extension for the static file server.
 *
 * Text types carry `charset=utf-8` because browsers otherwise guess
 * (RFC 9110 §8.3.1 leaves the default to the media type, and for text/* the
 * historical ISO-8859-1 default is wrong for nearly every file on disk today).
 *
 * @module
 */

/** Sent for extensions not in the table: makes browsers download, never sniff-and-run. */
const UNKNOWN = "application/octet-stream";

const TYPES: ReadonlyMap<string, string> = new Map([
  ["html", "text/html; charset=utf-8"],
  ["htm", "text/html; charset=utf-8"],
  ["css", "text/css; charset=utf-8"],
  ["js", "text/javascript; charset=utf-8"],
  ["mjs", "text/javascript; charset=utf-8"],
  ["cjs", "text/javascript; charset=utf-8"],
  ["json", "application/json; charset=utf-8"],
  ["map", "application/json; charset=utf-8"],
  ["webmanifest", "application/manifest+json; charset=utf-8"],
  ["txt", "text/plain; charset=utf-8"],
  ["md", "text/markdown; charset=utf-8"],
  ["csv", "text/csv; charset=utf-8"],
  ["xml", "application/xml; charset=utf-8"],
  ["ts", "text/plain; charset=utf-8"],
  ["svg", "image/svg+xml"],
  ["png", "image/png"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["ico", "image/x-icon"],
  ["bmp", "image/bmp"],
  ["wasm", "application/wasm"],
  ["woff", "font/woff"],
  ["woff2", "font/woff2"],
  ["ttf", "font/ttf"],
  ["otf", "font/otf"],
  ["pdf", "application/pdf"],
  ["zip", "application/zip"],
  ["gz", "application/gzip"],
  ["tar", "application/x-tar"],
  ["mp4", "video/mp4"],
  ["webm", "video/webm"],
  ["ogg", "audio/ogg"],
  ["mp3", "audio/mpeg"],
  ["wav", "audio/wav"],
]);

/**
 * The Content-Type for a file name, from its extension (case-insensitive).
 *
 * @example
 * ```ts
 * import { contentTypeFor } from "./content_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contentTypeFor("index.HTML"), "text/html; charset=utf-8");
 * assert.equal(contentTypeFor("logo.svg"), "image/svg+xml");
 * assert.equal(contentTypeFor("README"), "application/octet-stream");
 * ```
 *
 * @param name a file name or path
 * @returns the media type to send
 */
export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot === -1 || dot < name.lastIndexOf("/")) return UNKNOWN;
  return TYPES.get(name.slice(dot + 1).toLowerCase()) ?? UNKNOWN;
}
