/**
 * From a parsed request head to the handler's `Response`: the `Request` a
 * handler sees, the call itself, and the responses keepwire answers on its
 * own (a plain-text status). Whatever a handler does — return, throw, reject,
 * return something that is not a `Response` — {@linkcode runHandler} yields a
 * `Response`, so the connection has one path for every answer.
 *
 * @module
 */

import { ProtocolError } from "../codec/errors.ts";
import { UpgradeRefusedError } from "../codec/upgrade_refused.ts";
import type { RequestHead } from "../codec/events.ts";
import { createLightRequest } from "../fetch/light_fetch.ts";
import { createLazyRequest } from "../fetch/lazy_request.ts";
import { buildRequest, normalizeMethod, requestUrl } from "./incoming.ts";
import type { Handler, ServeInfo } from "./options.ts";
import { type ExchangeOutcome, isAbortError } from "./exchange_outcome.ts";
import { refusedUpgradeResponse } from "./upgrade.ts";

/** What running a handler needs from its server. */
export interface HandlerHost {
  readonly handler: Handler;
  readonly onError: (error: unknown) => Response | Promise<Response>;
}

/**
 * The `Request` for a head, or null when Fetch cannot represent it (the
 * caller answers 400). Absolute-form targets name their own authority, and
 * `Host` is ignored then (RFC 9112 §3.2.2); origin-form targets resolve
 * against `Host`, or `fallbackAuthority` when an HTTP/1.0 request has none,
 * with `https:` when the connection is `secure` (TLS).
 */
export function toRequest(
  head: RequestHead,
  body: ReadableStream<Uint8Array> | null,
  fallbackAuthority: string,
  light: boolean,
  outcome: ExchangeOutcome,
  secure = false,
): Request | null {
  try {
    const url = requestUrl(head, fallbackAuthority, secure);
    // The real Request would refuse a URL that does not parse, and RFC
    // 3986 allows more in a Host (`%00`, `.0`) than the URL parser does.
    if (!urlParses(head, url)) return null;
    const method = normalizeMethod(head.method);
    if (light) return createLightRequest(method, url, head.headers, body, outcome);
    // The default: built as far as the handler looks, where the runtime allows.
    return createLazyRequest(method, url, head.headers, body, outcome) ??
      buildRequest(head, url, body, outcome);
  } catch {
    return null;
  }
}

/** The last Host whose URLs are known to parse: most requests repeat it. */
let lastParsedHost = "";

/**
 * Whether the request's URL parses. Under a given Host every origin-form
 * path does (the URL parser escapes rather than refuses), so the Host is
 * checked once and remembered.
 */
function urlParses(head: RequestHead, url: string): boolean {
  if (head.target.charCodeAt(0) !== 0x2f) return URL.canParse(url);
  const host = head.host;
  if (host === lastParsedHost) return true;
  if (!URL.canParse(url)) return false;
  lastParsedHost = host;
  return true;
}

/**
 * Calls the handler; the result is always a `Response` (or a promise of one
 * that never rejects). A synchronous `Response` stays synchronous: most
 * handlers return one, and a promise per request costs on every runtime.
 */
export function runHandler(
  host: HandlerHost,
  request: Request,
  info: ServeInfo,
  outcome: ExchangeOutcome,
): Response | Promise<Response> {
  let result: unknown;
  try {
    result = host.handler(request, info);
  } catch (error) {
    return recover(host, error, outcome);
  }
  if (result instanceof Response) return result;
  return Promise.resolve(result).then(
    (response) => response instanceof Response ? response : recover(host, notAResponse(), outcome),
    (error) => recover(host, error, outcome),
  );
}

function notAResponse(): TypeError {
  return new TypeError("handler did not return a Response");
}

/**
 * A handler failed: a {@linkcode ProtocolError} answers its own status (a
 * body too large, a body timeout), an {@linkcode UpgradeRefusedError} its
 * status and fields (400 or 426: `upgradeWebSocket` refused the request); an abort after its request was aborted
 * is expected; anything else goes to `onError`, and a failing `onError`
 * gets a plain 500.
 */
function recover(
  host: HandlerHost,
  error: unknown,
  outcome: ExchangeOutcome,
): Response | Promise<Response> {
  if (error instanceof ProtocolError) return plainResponse(error.status);
  // An upgrade keepwire cannot honour is the client's error, not a crash.
  if (error instanceof UpgradeRefusedError) return refusedUpgradeResponse(error);
  // A handler that gave up because its request was aborted did what it was
  // asked: no onError (whose default logs), and the client is gone anyway.
  if (outcome.aborted && isAbortError(error)) return plainResponse(500);
  let result: unknown;
  try {
    result = host.onError(error);
  } catch {
    return plainResponse(500);
  }
  if (result instanceof Response) return result;
  return Promise.resolve(result).then(
    (response) => response instanceof Response ? response : plainResponse(500),
    () => plainResponse(500),
  );
}

/** A short plain-text response for a status keepwire answers itself. */
export function plainResponse(status: number): Response {
  const text = STATUS_TEXT[status] ?? "Error";
  return new Response(text + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};
