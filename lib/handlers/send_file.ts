/**
 * One regular file as a response: the representation chosen by
 * `Accept-Encoding` (a precompressed sibling, gzip on the fly, or the file
 * as it is), its validators, 304, and byte ranges on the identity coding.
 *
 * The decisions, in order:
 *
 * 1. A request with `Range` gets the identity coding: ranges of a body
 *    compressed on the fly would name bytes nobody can reproduce, and
 *    clients resume downloads by the file's own bytes (RFC 9110 §14.1.1:
 *    ranges are of the selected representation).
 * 2. Otherwise a compressible type is negotiated (`encoding.ts`): a
 *    precompressed sibling first, then gzip on the fly for 1 KiB and up.
 *    Every encoded response says `Vary: Accept-Encoding`, and so does the
 *    identity one of a file that would be compressed for another client,
 *    304s included (RFC 9110 §15.4.5), so caches keep variants apart.
 * 3. `If-Match` / `If-Unmodified-Since` against the chosen variant → 412;
 *    then `If-None-Match` / `If-Modified-Since` → 304.
 * 4. For identity: `If-Range` (strong comparison), then one range → 206 with
 *    Content-Range, several → 206 `multipart/byteranges`, none satisfiable
 *    → 416.
 *
 * HEAD answers with exactly the header fields GET would (RFC 9110 §9.3.2):
 * the same negotiation, the same Content-Length when it is known, and for
 * gzip on the fly the same stream, which the server measures as for GET and
 * then discards.
 *
 * @module
 */

import { open, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { multipartByteranges } from "./byteranges.ts";
import {
  fileEtag,
  httpDate,
  isNotModified,
  preconditionFails,
  rangeApplies,
  weakVariantEtag,
} from "./conditional.ts";
import { contentTypeFor } from "./content_type.ts";
import {
  type ContentCoding,
  gzipStream,
  isCompressible,
  MIN_COMPRESS_SIZE,
  negotiateEncoding,
} from "./encoding.ts";
import { fileBodyStream, fileSegmentsStream } from "./file_stream.ts";
import { parseRanges } from "./ranges.ts";
import { isInside } from "./safe_path.ts";

/** Precompressed siblings, by coding, best first. */
const SIBLINGS: ReadonlyArray<readonly ["br" | "gzip", string]> = [["br", ".br"], ["gzip", ".gz"]];

/** A file ready to be sent: its real path and what `stat` said. */
interface DiskFile {
  readonly path: string;
  readonly info: Stats;
}

/** The representation chosen for a request. */
type Variant =
  | { readonly kind: "identity" }
  | { readonly kind: "sibling"; readonly coding: "br" | "gzip"; readonly file: DiskFile }
  | { readonly kind: "gzip-on-the-fly" };

const IDENTITY: Variant = { kind: "identity" };

/**
 * The sibling `path + suffix`, when it is a regular file inside the served
 * folder and no older than the file itself (an older one is stale: someone
 * edited the file and forgot to recompress it).
 */
async function findSibling(root: string, file: DiskFile, suffix: string): Promise<DiskFile | null> {
  try {
    const path = await realpath(file.path + suffix);
    if (!isInside(root, path)) return null;
    const info = await stat(path);
    return info.isFile() && info.mtimeMs >= file.info.mtimeMs ? { path, info } : null;
  } catch {
    return null;
  }
}

/** Step 2 of the module's list: the variant `Accept-Encoding` selects. */
async function chooseVariant(
  root: string,
  file: DiskFile,
  acceptEncoding: string | null,
): Promise<Variant> {
  if (acceptEncoding === null) return IDENTITY;
  const offers: ContentCoding[] = [];
  const siblings = new Map<ContentCoding, DiskFile>();
  for (const [coding, suffix] of SIBLINGS) {
    // Only look on disk for a coding the client accepts.
    if (negotiateEncoding(acceptEncoding, [coding]) === null) continue;
    const sibling = await findSibling(root, file, suffix);
    if (sibling === null) continue;
    offers.push(coding);
    siblings.set(coding, sibling);
  }
  const canGzip = !siblings.has("gzip");
  if (canGzip && file.info.size >= MIN_COMPRESS_SIZE) offers.push("gzip");
  offers.push("identity");
  let coding = negotiateEncoding(acceptEncoding, offers);
  // The client refuses identity (`identity;q=0`): compress even a small body
  // if it takes gzip; if it takes nothing we have, send identity anyway (RFC
  // 9110 §12.1 lets a server disregard the preference rather than fail).
  if (coding === null && canGzip) coding = negotiateEncoding(acceptEncoding, ["gzip"]);
  if (coding === null || coding === "identity") return IDENTITY;
  const sibling = siblings.get(coding);
  if (sibling !== undefined) {
    return { kind: "sibling", coding: coding as "br" | "gzip", file: sibling };
  }
  return { kind: "gzip-on-the-fly" };
}

function plainResponse(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * Answers a GET or HEAD for a regular file.
 *
 * @example
 * ```ts
 * import { sendFile } from "./send_file.ts";
 * import { mkdtemp, stat, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * import assert from "node:assert/strict";
 *
 * const root = await mkdtemp(join(tmpdir(), "kw-send-"));
 * const path = join(root, "a.txt");
 * await writeFile(path, "hello, world");
 * const request = new Request("http://localhost/a.txt", { headers: { range: "bytes=7-" } });
 * const response = await sendFile(request, root, { path, info: await stat(path) });
 * assert.equal(response.status, 206);
 * assert.equal(await response.text(), "world");
 * ```
 *
 * @param request the request (GET or HEAD)
 * @param root the served folder's real path (siblings must lie inside it)
 * @param file the file's real path and stats
 * @returns the response
 */
export async function sendFile(request: Request, root: string, file: DiskFile): Promise<Response> {
  const { info } = file;
  const isHead = request.method === "HEAD";
  const contentType = contentTypeFor(file.path);
  const identityEtag = fileEtag(info.size, info.mtimeMs);
  const lastModified = httpDate(info.mtimeMs);
  const headers: Record<string, string> = {
    "content-type": contentType,
    "last-modified": lastModified,
    "accept-ranges": "bytes",
  };
  const rangeHeader = request.headers.get("range");
  const compressible = isCompressible(contentType);
  let variant = IDENTITY;
  if (compressible && rangeHeader === null) {
    variant = await chooseVariant(root, file, request.headers.get("accept-encoding"));
  }
  // Vary on every encoded response, and on identity ones another client
  // would get compressed. A small file's identity response goes without it
  // (45 of the demo site's 61 responses: 23 header bytes each): a cache
  // that hands it to everyone hands out bytes every client accepts.
  if (variant.kind !== "identity" || (compressible && info.size >= MIN_COMPRESS_SIZE)) {
    headers["vary"] = "Accept-Encoding";
  }
  const etag = variant.kind === "identity"
    ? identityEtag
    : variant.kind === "sibling"
    ? fileEtag(variant.file.info.size, variant.file.info.mtimeMs, variant.coding)
    : weakVariantEtag(identityEtag, "gzip");
  headers["etag"] = etag;
  if (variant.kind !== "identity") {
    headers["content-encoding"] = variant.kind === "sibling" ? variant.coding : "gzip";
  }

  if (preconditionFails(request.headers, etag, info.mtimeMs)) {
    return plainResponse(412, "Precondition Failed\n", { "etag": etag });
  }
  if (isNotModified(request.headers, etag, info.mtimeMs)) {
    // A 304 repeats the validators and Vary but carries no content (RFC 9110 §15.4.5).
    delete headers["content-type"];
    delete headers["accept-ranges"];
    delete headers["content-encoding"];
    return new Response(null, { status: 304, headers });
  }

  if (variant.kind === "sibling") {
    const size = variant.file.info.size;
    headers["content-length"] = String(size);
    if (isHead || size === 0) return new Response(null, { headers });
    const handle = await open(variant.file.path, "r");
    return new Response(fileBodyStream(handle, 0, size - 1), { headers });
  }
  if (variant.kind === "gzip-on-the-fly") {
    // No Content-Length: the compressed size is known only once sent. HEAD
    // gets the stream too, so the server frames it as it would GET's (and
    // discards it): the same fields, never a made-up length.
    const handle = await open(file.path, "r");
    return new Response(gzipStream(fileBodyStream(handle, 0, info.size - 1)), { headers });
  }

  const size = info.size;
  const ranges = rangeApplies(request.headers.get("if-range"), identityEtag, lastModified)
    ? parseRanges(rangeHeader, size)
    : { type: "whole" as const };
  if (ranges.type === "unsatisfiable") {
    return plainResponse(416, "Range Not Satisfiable\n", { "content-range": `bytes */${size}` });
  }
  if (ranges.type === "whole") {
    headers["content-length"] = String(size);
    if (isHead || size === 0) return new Response(null, { headers });
    return new Response(fileBodyStream(await open(file.path, "r"), 0, size - 1), { headers });
  }
  if (ranges.ranges.length === 1) {
    const [{ start, end }] = ranges.ranges;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
    headers["content-length"] = String(end + 1 - start);
    if (isHead) return new Response(null, { status: 206, headers });
    const handle = await open(file.path, "r");
    return new Response(fileBodyStream(handle, start, end), { status: 206, headers });
  }
  const multipart = multipartByteranges(ranges.ranges, size, contentType);
  headers["content-type"] = multipart.contentType;
  headers["content-length"] = String(multipart.length);
  if (isHead) return new Response(null, { status: 206, headers });
  const handle = await open(file.path, "r");
  return new Response(fileSegmentsStream(handle, multipart.segments), { status: 206, headers });
}
