/**
 * The pure rules of response decompression, as `fetch` applies them: which
 * content codings this client can undo, what it says in `Accept-Encoding`,
 * and in what order a response's `Content-Encoding` is undone.
 *
 * RFC 9110 §8.4: `Content-Encoding` lists the codings in the order they were
 * applied, so they are undone last first. A coding this client does not know
 * means the body cannot be decoded at all (an outer coding can be undone
 * only after the inner ones are understood), so the body is handed over as
 * it came, as undici's and Deno's fetch do.
 *
 * @module
 */

/** The codings fetch knows, in the order `Accept-Encoding` lists them. */
export const BUILT_IN_CODINGS = ["gzip", "deflate", "br"] as const;

/**
 * The `DecompressionStream` formats behind each built-in coding. `deflate`
 * needs both: RFC 9110 §8.4.1.2 means the zlib format, but servers have sent
 * raw deflate for decades and browsers accept either.
 */
const FORMATS: Readonly<Record<(typeof BUILT_IN_CODINGS)[number], readonly string[]>> = {
  gzip: ["gzip"],
  deflate: ["deflate", "deflate-raw"],
  // Deno 2.9, Bun 1.4 and Node 22+ know "brotli"; Node 20 does not.
  br: ["brotli"],
};

/**
 * Whether the running runtime's `DecompressionStream` takes `format`. The
 * constructor is the only way to ask: it throws a TypeError for a format it
 * does not know.
 */
export function supportsDecompressionFormat(format: string): boolean {
  if (typeof DecompressionStream !== "function") return false;
  try {
    new DecompressionStream(format as CompressionFormat);
    return true;
  } catch {
    return false;
  }
}

/**
 * The built-in codings this runtime's `DecompressionStream` can undo, in
 * `Accept-Encoding` order.
 */
export function builtInCodings(
  supports: (format: string) => boolean = supportsDecompressionFormat,
): string[] {
  return BUILT_IN_CODINGS.filter((coding) => FORMATS[coding].every(supports));
}

/**
 * The `Accept-Encoding` value listing exactly `codings` (RFC 9110 §12.5.3);
 * without qualities, as browsers send it. Null when there is none to offer.
 */
export function acceptEncodingValue(codings: readonly string[]): string | null {
  return codings.length === 0 ? null : codings.join(", ");
}

/**
 * The codings named by a response's `Content-Encoding` field (all its lines
 * joined with commas), lowercased (RFC 9110 §8.4.1: case-insensitive),
 * `x-gzip` read as `gzip` (§8.4.1.3), `identity` and empty list members
 * dropped.
 */
export function parseContentEncoding(value: string): string[] {
  const codings: string[] = [];
  for (const member of value.split(",")) {
    const coding = member.trim().toLowerCase();
    if (coding === "" || coding === "identity") continue;
    codings.push(coding === "x-gzip" ? "gzip" : coding);
  }
  return codings;
}

/**
 * The order in which to undo `codings` (the last applied first), or null
 * when nothing is to be done: no coding, or one this client cannot undo
 * (then the body passes through untouched, headers and all).
 */
export function decodingOrder(
  codings: readonly string[],
  canDecode: (coding: string) => boolean,
): string[] | null {
  if (codings.length === 0) return null;
  for (const coding of codings) if (!canDecode(coding)) return null;
  return [...codings].reverse();
}

/**
 * Whether the first two bytes of a `deflate` body are a zlib header (RFC
 * 1950 §2.2: compression method 8, a window of at most 32 KiB, and the
 * 16-bit check value a multiple of 31). If not, the body is raw deflate
 * (RFC 1951), which some servers send under `deflate`. A raw stream passes
 * only if it opens with a stored block whose padding bits are not zero,
 * which encoders do not write (they pad with zeros).
 */
export function isZlibHeader(first: number, second: number): boolean {
  return (first & 0x0f) === 8 && (first >> 4) <= 7 && ((first << 8) | second) % 31 === 0;
}
