/**
 * The static file handler behind `keepwire serve [dir]`.
 *
 * Files stream from disk ({@linkcode fileBodyStream}) with an explicit
 * Content-Length, so responses stay length-framed and the connection can
 * persist (RFC 9112 §6.3, §9.3). Validators, 304s and single ranges follow
 * RFC 9110 §13 and §14 ({@linkcode isNotModified}, {@linkcode parseRange}).
 *
 * Errors answer with a status and a short fixed text: never a stack trace or
 * a path on the server's disk.
 *
 * @module
 */

import { open, readdir, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import type { Handler } from "../connection/options.ts";
import { contentTypeFor } from "./content_type.ts";
import { httpDate, isNotModified, parseRange, rangeApplies, weakEtag } from "./conditional.ts";
import { renderListing } from "./directory_listing.ts";
import { fileBodyStream } from "./file_stream.ts";
import { isInside, resolveUnder } from "./safe_path.ts";
import { splitTarget } from "./target.ts";

/**
 * Options of {@linkcode createFileHandler}.
 *
 * @example
 * ```ts
 * import { createFileHandler, type FileHandlerOptions, serve } from "@keepwire/keepwire";
 *
 * // Serve the current folder, answering 404 for folders without an index.html.
 * const options: FileHandlerOptions = { listDirectories: false };
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, createFileHandler(".", options));
 * await server.shutdown();
 * ```
 */
export interface FileHandlerOptions {
  /** List a folder's entries when it has no index.html (else 404). Default true. */
  readonly listDirectories?: boolean;
}

const TEXT_HEADERS = { "content-type": "text/plain; charset=utf-8" } as const;

function plain(status: number, body: string, extra?: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...TEXT_HEADERS, ...extra } });
}

/** Maps a file system error to a status without saying more: the code stays on the server. */
function statusForError(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "ELOOP") {
    return 404;
  }
  if (code === "EACCES" || code === "EPERM") return 403;
  return 500;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
};

function failure(status: number): Response {
  return plain(status, `${STATUS_TEXT[status] ?? "Error"}\n`);
}

function bytesLength(text: string): { bytes: Uint8Array<ArrayBuffer>; length: string } {
  const bytes = new TextEncoder().encode(text);
  return { bytes, length: String(bytes.byteLength) };
}

/** Sends a regular file: validators, 304, Range/206/416, HEAD. */
async function sendFile(request: Request, path: string, info: Stats): Promise<Response> {
  const etag = weakEtag(info.size, info.mtimeMs);
  const lastModified = httpDate(info.mtimeMs);
  const headers: Record<string, string> = {
    "content-type": contentTypeFor(path),
    "etag": etag,
    "last-modified": lastModified,
    "accept-ranges": "bytes",
  };
  if (isNotModified(request.headers, etag, info.mtimeMs)) {
    // A 304 repeats the validators but carries no content (RFC 9110 §15.4.5).
    delete headers["content-type"];
    delete headers["accept-ranges"];
    return new Response(null, { status: 304, headers });
  }
  const size = info.size;
  let status = 200;
  let start = 0;
  let end = size - 1;
  if (rangeApplies(request.headers.get("if-range"), lastModified)) {
    const range = parseRange(request.headers.get("range"), size);
    if (range.type === "unsatisfiable") {
      return plain(416, "Range Not Satisfiable\n", { "content-range": `bytes */${size}` });
    }
    if (range.type === "partial") {
      status = 206;
      start = range.start;
      end = range.end;
      headers["content-range"] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers["content-length"] = String(end + 1 - start);
  if (request.method === "HEAD" || end < start) return new Response(null, { status, headers });
  const handle = await open(path, "r");
  return new Response(fileBodyStream(handle, start, end), { status, headers });
}

/** Sends a folder: its index.html if present, else a listing. */
async function sendDirectory(
  request: Request,
  root: string,
  directory: string,
  urlPath: string,
  listDirectories: boolean,
): Promise<Response> {
  try {
    const index = await realpath(join(directory, "index.html"));
    const indexInfo = await stat(index);
    if (isInside(root, index) && indexInfo.isFile()) {
      return await sendFile(request, index, indexInfo);
    }
  } catch (error) {
    if (statusForError(error) !== 404) throw error;
  }
  if (!listDirectories) return failure(404);
  const entries = await readdir(directory, { withFileTypes: true });
  const listing = bytesLength(renderListing(
    decodeURIComponent(urlPath),
    entries.map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() })),
  ));
  const headers = { "content-type": "text/html; charset=utf-8", "content-length": listing.length };
  return new Response(request.method === "HEAD" ? null : listing.bytes, { headers });
}

/**
 * Builds a handler serving the files under `root`.
 *
 * - GET and HEAD; other methods get 405 with `Allow: GET, HEAD`.
 * - Known Content-Length, weak ETag and Last-Modified; 304 on If-None-Match
 *   or If-Modified-Since; one Range → 206 (or 416); several → the whole file.
 * - A folder serves its index.html, else an HTML listing; a folder URL without
 *   a trailing slash is redirected (301) so relative links resolve inside it.
 * - No way out of `root`: bad %-escapes → 400; NUL, `..`, backslash → 403;
 *   symlinks whose target lies outside → 404, as if absent.
 *
 * @example
 * ```ts
 * import { createFileHandler } from "@keepwire/keepwire";
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * import assert from "node:assert/strict";
 *
 * const root = await mkdtemp(join(tmpdir(), "kw-site-"));
 * await writeFile(join(root, "hello.txt"), "hi");
 * const handler = createFileHandler(root);
 * const info = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   httpVersion: "1.1",
 *   connection: { id: 1, requestIndex: 1 },
 * } as const;
 * const response = await handler(new Request("http://localhost/hello.txt"), info);
 * assert.equal(response.headers.get("content-length"), "2");
 * assert.equal(await response.text(), "hi");
 * ```
 *
 * @param root the folder to serve
 * @param options see {@linkcode FileHandlerOptions}
 * @returns the handler
 */
export function createFileHandler(root: string, options: FileHandlerOptions = {}): Handler {
  const listDirectories = options.listDirectories ?? true;
  let realRoot: Promise<string> | undefined;

  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return plain(405, "Method Not Allowed\n", { "allow": "GET, HEAD" });
    }
    const { path: urlPath, query } = splitTarget(request.url);
    let rootPath: string;
    try {
      realRoot ??= realpath(root);
      rootPath = await realRoot;
    } catch {
      // The folder vanished or was never there: try again next request.
      realRoot = undefined;
      return failure(404);
    }
    try {
      const candidate = resolveUnder(rootPath, urlPath);
      if (candidate === "malformed") return failure(400);
      if (candidate === "forbidden") return failure(403);
      const real = await realpath(candidate);
      // A symlink inside the folder may point anywhere; only its target counts.
      if (!isInside(rootPath, real)) return failure(404);
      const info = await stat(real);
      if (info.isDirectory()) {
        if (!urlPath.endsWith("/")) {
          const location = urlPath + "/" + (query === "" ? "" : "?" + query);
          return plain(301, "Moved Permanently\n", { "location": location });
        }
        return await sendDirectory(request, rootPath, real, urlPath, listDirectories);
      }
      // "/file.txt/" names a folder that is not there (and would break relative links).
      if (!info.isFile() || urlPath.endsWith("/")) return failure(404);
      return await sendFile(request, real, info);
    } catch (error) {
      return failure(statusForError(error));
    }
  };
}
