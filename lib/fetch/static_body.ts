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
 * @module
 */

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
