/**
 * A native `Response` whose body is a string or bytes held in memory, read
 * without its stream. Fetch gives no portable way to ask a `Response`
 * whether its body is static, and reading it as a stream costs far more than
 * reading it whole: on Deno 2.9, creating `response.body` for a string body
 * and reading it out took ~50 µs where `response.bytes()` took ~4 (a busy
 * 2-core machine, 2026-11-29). Reading whole is only safe for a body that is
 * already complete — a streamed body may never end (server-sent events) —
 * so it is done only when the runtime's own response record says the body
 * is a string or bytes, and never otherwise.
 *
 * Detected by shape, not by runtime name: Deno keeps the record under an own
 * symbol described "response", its body's `source` being the string or
 * bytes given to the constructor and `streamOrStatic` not a stream while
 * unread. A runtime without that shape (Bun, Node) always takes the stream.
 *
 * A static response whose headers the handler left alone is read whole,
 * headers too, from the record the runtime keeps for its own server
 * ({@linkcode fastStaticParts}).
 *
 * @module
 */

import type { LightResponseParts } from "./light_fetch.ts";
import { encodeText } from "./_text_bytes.ts";
import { NativeResponse } from "./_native.ts";

interface InnerBodyShape {
  source?: unknown;
  streamOrStatic?: unknown;
}

/** The symbol Deno keeps its inner response under; null once looked for and absent. */
let innerResponseKey: symbol | null | undefined;

function innerBody(response: Response): InnerBodyShape | undefined {
  if (innerResponseKey === undefined) {
    innerResponseKey = Object.getOwnPropertySymbols(response)
      .find((key) => key.description === "response") ?? null;
  }
  if (innerResponseKey === null) return undefined;
  const inner = (response as unknown as Record<symbol, { body?: InnerBodyShape } | undefined>)[
    innerResponseKey
  ];
  return inner?.body ?? undefined;
}

/**
 * The whole body of `response` as bytes, read without its stream, when the
 * runtime says it is a string or bytes not yet read; null otherwise (then
 * the caller reads `response.body`). The response's body is used afterwards,
 * as after reading its stream.
 */
export function readStaticBody(response: Response): Promise<Uint8Array> | null {
  const body = innerBody(response);
  if (body === undefined || body === null) return null;
  const source = body.source;
  if (typeof source !== "string" && !(source instanceof Uint8Array)) return null;
  if (body.streamOrStatic instanceof ReadableStream || response.bodyUsed) return null;
  return response.bytes();
}

// ---- a static response read whole, headers and all ---------------------------

/** Deno's own record of a static response for its server, by symbol description. */
interface FastStaticKeys {
  status: symbol;
  body: symbol;
  headerKind: symbol;
  contentType: symbol;
  consumed: symbol;
  headers: symbol;
}

/** Looked for once; null when this runtime keeps no such record. */
let fastKeys: FastStaticKeys | null | undefined;

function findFastKeys(): FastStaticKeys | null {
  const byDescription = new Map<string | undefined, symbol>();
  for (const key of Object.getOwnPropertySymbols(new NativeResponse("probe"))) {
    byDescription.set(key.description, key);
  }
  const status = byDescription.get("serve fast status");
  const body = byDescription.get("serve fast body");
  const headerKind = byDescription.get("serve fast header kind");
  const contentType = byDescription.get("serve fast content type");
  const consumed = byDescription.get("serve fast consumed");
  const headers = byDescription.get("headers");
  if (
    status === undefined || body === undefined || headerKind === undefined ||
    contentType === undefined || consumed === undefined || headers === undefined
  ) return null;
  return { status, body, headerKind, contentType, consumed, headers };
}

/** Deno's header kinds for such a response: none, the default text type, one `content-type`. */
const HEADER_KIND_NONE = 0;
const HEADER_KIND_DEFAULT_TEXT = 1;
const HEADER_KIND_CONTENT_TYPE = 2;
const NO_HEADERS: readonly string[] = [];
const DEFAULT_TEXT = ["content-type", "text/plain;charset=UTF-8"] as const;

/**
 * The whole of a static native response — status 200, no status text, a
 * string or byte body, at most a `content-type` field — read without its
 * `Headers`, its stream or a promise, as the runtime's own server reads it;
 * null for any other response (then the caller reads it in full).
 *
 * Deno 2.9 records such a response for `Deno.serve` while it is built
 * (under own symbols described "serve fast …": status, body, header kind,
 * content type, consumed) and drops the record when the handler touches
 * its headers. Reading it here took the native hello-world response from
 * a `Headers` iteration and `bytes()` (a fifth of the exchange's CPU) to
 * next to nothing. The body is then marked used, as reading it would. Every
 * field is checked for the expected type, so a runtime that keeps no such
 * record, or one of another shape, takes the general path.
 */
export function fastStaticParts(response: Response): LightResponseParts | null {
  if (fastKeys === undefined) fastKeys = findFastKeys();
  const keys = fastKeys;
  if (keys === null) return null;
  const record = response as unknown as Record<symbol, unknown>;
  if (record[keys.status] !== 200 || record[keys.consumed] !== false) return null;
  if (record[keys.headers] !== null) return null; // its Headers exist: they may have changed
  // Deno records a 200 with a reason phrase of its own too; it goes out here.
  if (response.statusText !== "") return null;
  const body = record[keys.body];
  if (typeof body !== "string" && !(body instanceof Uint8Array)) return null;
  // A body the handler read is materialized (so this costs nothing more).
  const inner = innerBody(response);
  if (inner !== undefined && response.bodyUsed) return null;
  const kind = record[keys.headerKind];
  const contentType = record[keys.contentType];
  let headers: readonly string[];
  if (kind === HEADER_KIND_NONE) headers = NO_HEADERS;
  else if (kind === HEADER_KIND_DEFAULT_TEXT) headers = DEFAULT_TEXT;
  else if (kind === HEADER_KIND_CONTENT_TYPE && typeof contentType === "string") {
    headers = ["content-type", contentType];
  } else return null;
  record[keys.consumed] = true;
  return {
    status: 200,
    statusText: "",
    headers: headers as string[],
    body: typeof body === "string" ? encodeText(body) : body,
  };
}
