/**
 * The static file handler behind `keepwire serve [dir]`.
 *
 * Files stream from disk with an explicit Content-Length where one is known,
 * so responses stay length-framed and the connection can persist (RFC 9112
 * §6.3, §9.3). Representations, validators, 304s and ranges are chosen in
 * `send_file.ts`; what may be reached at all is decided here.
 *
 * Errors answer with a status and a short fixed text: never a stack trace or
 * a path on the server's disk.
 *
 * @module
 */

import { realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Handler } from "../connection/options.ts";
import { renderListing } from "./directory_listing.ts";
import { gzipStream, MIN_COMPRESS_SIZE, negotiateEncoding } from "./encoding.ts";
import { readFolder } from "./read_folder.ts";
import { hasDotSegmentBelow, isInside, resolveUnder } from "./safe_path.ts";
import { sendFile } from "./send_file.ts";
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
  /**
   * Serve and list dotfiles and dot-folders (`.env`, `.git/`). Default false:
   * they answer 404 and are never listed, as with `serve-static`, because a
   * project folder keeps its secrets there.
   */
  readonly dotfiles?: boolean;
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

/**
 * A generated page: gzipped in memory when the client takes gzip and the
 * page is large enough, so the length is known either way.
 */
async function sendPage(request: Request, html: string): Promise<Response> {
  let bytes: Uint8Array<ArrayBuffer> = new TextEncoder().encode(html);
  const headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" };
  if (bytes.byteLength >= MIN_COMPRESS_SIZE) {
    headers["vary"] = "Accept-Encoding";
    const offers = ["gzip", "identity"] as const;
    if (negotiateEncoding(request.headers.get("accept-encoding"), offers) === "gzip") {
      const zipped = gzipStream(new Response(bytes).body!);
      bytes = new Uint8Array(await new Response(zipped).arrayBuffer());
      headers["content-encoding"] = "gzip";
    }
  }
  headers["content-length"] = String(bytes.byteLength);
  return new Response(request.method === "HEAD" ? null : bytes, { headers });
}

/** Sends a folder: its index.html if present, else a listing. */
async function sendDirectory(
  request: Request,
  root: string,
  directory: string,
  urlPath: string,
  options: Required<FileHandlerOptions>,
): Promise<Response> {
  try {
    const index = await realpath(join(directory, "index.html"));
    const indexInfo = await stat(index);
    const hidden = !options.dotfiles && hasDotSegmentBelow(root, index);
    if (isInside(root, index) && !hidden && indexInfo.isFile()) {
      return await sendFile(request, root, { path: index, info: indexInfo });
    }
  } catch (error) {
    if (statusForError(error) !== 404) throw error;
  }
  if (!options.listDirectories) return failure(404);
  const entries = await readFolder(root, directory, options.dotfiles);
  return await sendPage(request, renderListing(decodeURIComponent(urlPath), entries));
}

/**
 * Builds a handler serving the files under `root`.
 *
 * - GET and HEAD; other methods get 405 with `Allow: GET, HEAD`.
 * - Known Content-Length, strong ETag (`"<mtime-hex>-<size-hex>"`) and
 *   Last-Modified; 304 on If-None-Match or If-Modified-Since; Range → 206
 *   (`multipart/byteranges` for several, coalesced), 416, If-Range.
 * - Text, JSON, JavaScript, CSS, SVG and wasm: `file.br` / `file.gz` siblings
 *   when present, else gzip on the fly from 1 KiB, by `Accept-Encoding`,
 *   with `Vary: Accept-Encoding`. Ranges use the identity coding.
 * - A folder serves its index.html, else an HTML listing (folders first,
 *   natural order, size and time); a folder URL without a trailing slash is
 *   redirected (301) so relative links resolve inside it.
 * - No way out of `root`: bad %-escapes → 400; NUL, `..`, backslash → 403;
 *   symlinks whose target lies outside → 404 and unlisted, as if absent.
 * - Dotfiles and dot-folders → 404 and unlisted, unless `dotfiles: true`.
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
 *   completed: Promise.resolve(),
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
  const settings: Required<FileHandlerOptions> = {
    listDirectories: options.listDirectories ?? true,
    dotfiles: options.dotfiles ?? false,
  };
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
      const candidate = resolveUnder(rootPath, urlPath, settings.dotfiles);
      if (candidate === "malformed") return failure(400);
      if (candidate === "forbidden") return failure(403);
      if (candidate === "hidden") return failure(404);
      const real = await realpath(candidate);
      // A symlink inside the folder may point anywhere; only its target counts.
      if (!isInside(rootPath, real)) return failure(404);
      if (!settings.dotfiles && hasDotSegmentBelow(rootPath, real)) return failure(404);
      const info = await stat(real);
      if (info.isDirectory()) {
        if (!urlPath.endsWith("/")) {
          const location = urlPath + "/" + (query === "" ? "" : "?" + query);
          return plain(301, "Moved Permanently\n", { "location": location });
        }
        return await sendDirectory(request, rootPath, real, urlPath, settings);
      }
      // "/file.txt/" names a folder that is not there (and would break relative links).
      if (!info.isFile() || urlPath.endsWith("/")) return failure(404);
      return await sendFile(request, rootPath, { path: real, info });
    } catch (error) {
      return failure(statusForError(error));
    }
  };
}
