/**
 * Standard `Response` objects from response heads, and the side table that
 * tells how each was obtained.
 *
 * @module
 */

import { BufferedResponse } from "../fetch/buffered_response.ts";
import { ClientError } from "./errors.ts";
import type { ExchangeResult } from "./_exchange.ts";
import type { ClientStats, ResponseInfo } from "./options.ts";

/** The counters the client bumps. */
export type MutableStats = {
  -readonly [K in Exclude<keyof ClientStats, "open" | "idle" | "queued">]: number;
};

/** Zeroed counters. */
export function newStats(): MutableStats {
  return {
    connectionsOpened: 0,
    connectionsClosed: 0,
    requests: 0,
    reusedRequests: 0,
    staleFailures: 0,
    retries: 0,
    failures: 0,
  };
}

const INFO = new WeakMap<Response, ResponseInfo>();

/** Records how `response` was obtained. */
export function setResponseInfo(response: Response, info: ResponseInfo): void {
  INFO.set(response, info);
}

/**
 * How a response returned by a keepwire client's `fetch()` was obtained:
 * whether its connection was reused, whether a retry happened; `undefined`
 * for any other `Response`.
 *
 * @example
 * ```ts
 * import { createClient, responseInfo, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("ok"));
 * const client = createClient();
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * await (await client.fetch(url)).text();
 * const second = await client.fetch(url);
 * await second.text();
 * assert.equal(responseInfo(second)?.reused, true);
 * assert.equal(responseInfo(new Response("x")), undefined);
 * await client.close();
 * await server.shutdown();
 * ```
 */
export function responseInfo(response: Response): ResponseInfo | undefined {
  return INFO.get(response);
}

// Fetch: these statuses never carry a body, and Response refuses one.
function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

function hasSetCookie(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    if (name.length === 10 && name.toLowerCase() === "set-cookie") return true;
  }
  return false;
}

/**
 * Builds the `Response` for a settled exchange; `url`/`redirected` as fetch
 * sets them. `light`: a whole body becomes a {@linkcode BufferedResponse}
 * (the client's `lightFetchObjects`).
 */
export function createResponse(
  result: ExchangeResult,
  url: string,
  redirected: boolean,
  light: boolean,
): Response {
  const { head, body } = result;
  if (head.status > 599) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    throw new ClientError("protocol-error", `status ${head.status} cannot be a Fetch Response`);
  }
  const fields = head.headers;
  const content = isNullBodyStatus(head.status) ? null : body;
  const build = (init: ResponseInit) =>
    light && content instanceof Uint8Array
      ? new BufferedResponse(content, init)
      : new Response(content as BodyInit | null, init);
  // Appending to the new response's own headers is 3-4× cheaper on Deno
  // and Bun than building a Headers first; but the "response" guard drops
  // Set-Cookie (Fetch's forbidden response-header names), so a response
  // with cookies gets a Headers object built up front.
  const cookies = hasSetCookie(fields);
  let headers: Headers | undefined;
  if (cookies) {
    headers = new Headers();
    for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  }
  const init: ResponseInit = { status: head.status, statusText: head.statusText, headers };
  let response: Response;
  try {
    response = build(init);
  } catch {
    // A reason phrase Fetch refuses (it is never interpreted): drop it.
    response = build({ ...init, statusText: "" });
  }
  if (!cookies) {
    const own = response.headers;
    for (let i = 0; i < fields.length; i += 2) own.append(fields[i], fields[i + 1]);
  }
  Object.defineProperty(response, "url", { value: url });
  if (redirected) Object.defineProperty(response, "redirected", { value: true });
  return response;
}
