/**
 * Fetch's request arguments (`input`, `init`) turned into what the wire
 * needs: a method, a URL, a flat header list and a body that is bytes, a
 * stream or nothing. Follows the Fetch standard where it speaks (method
 * normalisation, default Content-Type per body type, no body with GET or
 * HEAD) and keeps the keep-alive extras (`Connection: close`) it forbids.
 *
 * @module
 */

import type { ResponseInterim } from "../codec/response_events.ts";
import { ClientError } from "./errors.ts";

/** A request body as the connection writes it. */
export type WireBody = Uint8Array | ReadableStream<Uint8Array> | null;

/**
 * What the client reads of a request's `AbortSignal`. keepwire's reverse
 * proxy passes its server exchange's own abort here (`exchange_abort.ts`),
 * which needs no `AbortController` per request.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** A request ready for the wire (one hop; redirects derive new ones). */
export interface PreparedRequest {
  url: URL;
  /**
   * The origin-form target when the caller has it already normalised
   * (keepwire's proxy: `url` is then its upstream's base and stays the same
   * object, request after request); else `url`'s path and query are sent.
   */
  target?: string;
  method: string;
  /** Flat `[name, value, …]`, lowercase names, without Host. */
  headers: string[];
  body: WireBody;
  signal: AbortSignalLike | null;
  redirect: "follow" | "manual" | "error";
  /** Told of each interim (1xx) response before the final one (keepwire's proxy passes them on). */
  onInterim?: (interim: ResponseInterim) => void;
}

const NORMALIZED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
const encoder = new TextEncoder();

/** Fetch §2.2.1: these six methods are uppercased, any other token is kept as written. */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.includes(upper) ? upper : method;
}

/** A body init as bytes or a stream, with the Content-Type Fetch would give it. */
export async function extractBody(
  body: unknown,
): Promise<{ body: WireBody; contentType: string | null }> {
  if (body === null || body === undefined) return { body: null, contentType: null };
  if (typeof body === "string") {
    return { body: encoder.encode(body), contentType: "text/plain;charset=UTF-8" };
  }
  if (body instanceof Uint8Array) return { body, contentType: null };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body), contentType: null };
  if (ArrayBuffer.isView(body)) {
    return {
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      contentType: null,
    };
  }
  if (body instanceof ReadableStream) return { body, contentType: null };
  if (body instanceof URLSearchParams) {
    return {
      body: encoder.encode(body.toString()),
      contentType: "application/x-www-form-urlencoded;charset=UTF-8",
    };
  }
  // Blob, FormData and the rest: let the runtime's own Response serialise
  // them (multipart boundaries included), then send the bytes.
  const response = new Response(body as BodyInit);
  // Read before the body: Bun 1.4 loses a FormData's Content-Type once the
  // body has been consumed.
  const contentType = response.headers.get("content-type");
  return { body: new Uint8Array(await response.arrayBuffer()), contentType };
}

/** Builds the first hop of a request from `fetch`'s arguments. */
export async function prepareRequest(
  input: string | URL | Request,
  init: RequestInit,
): Promise<PreparedRequest> {
  const request = input instanceof Request ? input : null;
  let url: URL;
  try {
    url = new URL(request !== null ? request.url : input as string | URL);
  } catch (error) {
    throw new TypeError(`invalid URL: ${String(request?.url ?? input)}`, { cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`only http: and https: URLs are supported, got ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("URLs with credentials are not allowed (Fetch)");
  }
  const method = normalizeMethod(init.method ?? request?.method ?? "GET");
  const headerInit = init.headers ?? request?.headers;
  const headers: string[] = [];
  let hasContentType = false;
  let hasAccept = false;
  if (headerInit !== undefined) {
    for (const [name, value] of new Headers(headerInit)) {
      if (name === "host") continue;
      if (name === "content-type") hasContentType = true;
      if (name === "accept") hasAccept = true;
      headers.push(name, value);
    }
  }
  let bodyInit: unknown = init.body;
  if (bodyInit === undefined && request !== null && request.body !== null) {
    bodyInit = new Uint8Array(await request.arrayBuffer());
  }
  const { body, contentType } = await extractBody(bodyInit);
  if (body !== null && (method === "GET" || method === "HEAD")) {
    throw new TypeError(`a ${method} request cannot have a body`);
  }
  if (contentType !== null && !hasContentType) headers.push("content-type", contentType);
  if (!hasAccept) headers.push("accept", "*/*");
  const redirect = init.redirect ?? request?.redirect ?? "follow";
  return { url, method, headers, body, signal: init.signal ?? request?.signal ?? null, redirect };
}

const BODY_HEADERS = new Set([
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
]);

/**
 * Fetch §4.4 (HTTP-redirect fetch) for one hop: the next request, or null
 * when `status` is not a redirect or has no Location. Throws ClientError
 * when the redirect cannot be followed.
 */
export function redirectRequest(
  previous: PreparedRequest,
  status: number,
  location: string | null,
): PreparedRequest | null {
  if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) {
    return null;
  }
  if (location === null) return null;
  let url: URL;
  try {
    url = new URL(location, previous.url);
  } catch (error) {
    throw new ClientError("redirect-error", `invalid Location: ${location}`, error);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ClientError("redirect-error", `cannot follow a redirect to ${url.protocol}`);
  }
  if (url.hash === "" && previous.url.hash !== "") url.hash = previous.url.hash;
  let { method, body, headers } = previous;
  // A 303, or a 301/302 after POST, turns into a GET without a body.
  if (
    (status === 303 && method !== "GET" && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST")
  ) {
    method = "GET";
    body = null;
    headers = headers.filter((_, i, all) => !BODY_HEADERS.has(all[i - (i % 2)]));
  }
  if (body instanceof ReadableStream) {
    throw new ClientError("body-error", "a streamed body cannot be replayed for a redirect");
  }
  if (url.origin !== previous.url.origin) {
    // Credentials are not handed to another origin.
    headers = headers.filter((_, i, all) => all[i - (i % 2)] !== "authorization");
  }
  // The caller's literal `target` was for the first URL, not this one.
  return { ...previous, url, method, body, headers, target: undefined };
}
