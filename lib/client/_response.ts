/**
 * Standard `Response` objects from response heads, and the side table that
 * tells how each was obtained.
 *
 * @module
 */

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

/** Builds the `Response` for a settled exchange; `url`/`redirected` as fetch sets them. */
export function createResponse(result: ExchangeResult, url: string, redirected: boolean): Response {
  const { head, body } = result;
  if (head.status > 599) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    throw new ClientError("protocol-error", `status ${head.status} cannot be a Fetch Response`);
  }
  const fields = head.headers;
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  const init = { status: head.status, statusText: head.statusText, headers };
  const content = isNullBodyStatus(head.status) ? null : body;
  let response: Response;
  try {
    response = new Response(content as BodyInit | null, init);
  } catch {
    // A reason phrase Fetch refuses (it is never interpreted): drop it.
    response = new Response(content as BodyInit | null, { ...init, statusText: "" });
  }
  Object.defineProperty(response, "url", { value: url });
  if (redirected) Object.defineProperty(response, "redirected", { value: true });
  return response;
}
