/**
 * Reads HTTP/1.1 responses off a {@linkcode RawClient}, independently of
 * keepwire's own codec (a test oracle must not share the code it checks):
 * heads by text, bodies by Content-Length, chunked, or to the end.
 *
 * @module
 */

/**
 * What a response is read from: a socket test's `RawClient` or an in-memory
 * pair's `MemoryClient`.
 */
export interface ByteSource {
  readUntil(marker: string, timeoutMs?: number): Promise<string>;
  readBytes(count: number, timeoutMs?: number): Promise<Uint8Array>;
  readToEnd(timeoutMs?: number): Promise<Uint8Array>;
  /** Resolves when the server's FIN arrives. */
  readonly ended: Promise<void>;
}

const decoder = new TextDecoder();

/** One response as the wire carried it. */
export interface WireResponse {
  readonly status: number;
  readonly reason: string;
  /** The raw head text, status line included, without the final blank line. */
  readonly head: string;
  /** Fields by lower-case name; repeated fields joined with ", ". */
  readonly headers: Map<string, string>;
  readonly body: Uint8Array;
  /** The body as UTF-8 text. */
  readonly text: string;
  /** How the body was delimited. */
  readonly framing: "length" | "chunked" | "close" | "none";
}

/** Options for {@linkcode readResponse}. */
export interface ReadResponseOptions {
  /** The request was HEAD: no body follows whatever the head says. */
  head?: boolean;
  timeoutMs?: number;
}

/** Reads the next response (skipping interim 1xx responses unless `interim` is set). */
export async function readResponse(
  client: ByteSource,
  options: ReadResponseOptions = {},
): Promise<WireResponse> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const headText = (await client.readUntil("\r\n\r\n", timeoutMs)).slice(0, -4);
  const [statusLine, ...lines] = headText.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
  if (match === null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
  const status = Number(match[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const base = { status, reason: match[2], head: headText, headers };
  if (options.head || status < 200 || status === 204 || status === 304) {
    return { ...base, body: new Uint8Array(0), text: "", framing: "none" };
  }
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    const pieces: Uint8Array[] = [];
    while (true) {
      const sizeLine = (await client.readUntil("\r\n", timeoutMs)).slice(0, -2);
      const size = parseInt(sizeLine.split(";")[0], 16);
      if (!Number.isInteger(size)) {
        throw new Error(`bad chunk size line ${JSON.stringify(sizeLine)}`);
      }
      if (size === 0) {
        // Trailers (none expected by most tests), then the final CRLF.
        let line = await client.readUntil("\r\n", timeoutMs);
        while (line !== "\r\n") line = await client.readUntil("\r\n", timeoutMs);
        break;
      }
      pieces.push(await client.readBytes(size, timeoutMs));
      const crlf = decoder.decode(await client.readBytes(2, timeoutMs));
      if (crlf !== "\r\n") throw new Error("chunk data not followed by CRLF");
    }
    const body = concat(pieces);
    return { ...base, body, text: decoder.decode(body), framing: "chunked" };
  }
  const length = headers.get("content-length");
  if (length !== undefined) {
    const body = await client.readBytes(Number(length), timeoutMs);
    return { ...base, body, text: decoder.decode(body), framing: "length" };
  }
  const body = await client.readToEnd(timeoutMs);
  return { ...base, body, text: decoder.decode(body), framing: "close" };
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const total = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.byteLength;
  }
  return joined;
}

/** Resolves true if the server closes (FIN) within `ms`, false otherwise. */
export async function closesWithin(client: ByteSource, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const closed = client.ended.then(() => true as const);
  const result = await Promise.race([closed, timeout]);
  clearTimeout(timer);
  return result;
}
