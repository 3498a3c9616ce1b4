/**
 * The responses the reverse proxy sends downstream: an upstream's, passed
 * on with the fields of an intermediary (RFC 9110 §7.6), its interim (1xx)
 * responses before it, and the proxy's own 502 and 504.
 *
 * @module
 */

import type { ExchangeResult } from "../client/_exchange.ts";
import { lightFetchGlobalsInstalled, lightResponseFromParts } from "../fetch/light_fetch.ts";
import type { ResponseInterim } from "../codec/response_events.ts";
import type { ServeInfo } from "../connection/options.ts";
import { appendToField, endToEndFields, hasField, VIA_ENTRY } from "./proxy_fields.ts";

const NO_BYTES = new Uint8Array(0);

/** A 502 or 504 from the proxy itself. */
export function gatewayError(status: 502 | 504, reason: string): Response {
  return new Response(
    `${status === 502 ? "502 Bad Gateway" : "504 Gateway Timeout"}: ${reason}\n`,
    {
      status,
      headers: { "content-type": "text/plain; charset=utf-8", via: "1.1 keepwire" },
    },
  );
}

/**
 * The downstream response for an upstream's: end-to-end fields plus `Via`,
 * and the body as it came — the bytes themselves when the whole body
 * arrived with the head (no stream in between), else the stream, so
 * back-pressure crosses the proxy.
 */
export function passResponse(result: ExchangeResult, isHead: boolean): Response {
  const { head, body } = result;
  const fields = endToEndFields(head.headers);
  appendToField(fields, "via", VIA_ENTRY);
  const status = head.status;
  const noBody = status === 204 || status === 205 || status === 304 || isHead;
  if (noBody && body instanceof ReadableStream) void body.cancel().catch(() => {});
  if (!(body instanceof ReadableStream && !noBody) && lightFetchGlobalsInstalled()) {
    // The fields came through keepwire's parser and the body is whole: the
    // server takes them as they are (no pairs to copy and check again).
    return lightResponseFromParts({
      status,
      statusText: head.statusText,
      headers: fields,
      body: noBody || body === null ? NO_BYTES : body as Uint8Array,
    });
  }
  let headers: HeadersInit;
  if (hasField(fields, "set-cookie")) {
    // A Headers built here keeps every Set-Cookie line (the "response"
    // guard of a Response's own headers would drop them).
    const built = new Headers();
    for (let i = 0; i < fields.length; i += 2) built.append(fields[i], fields[i + 1]);
    headers = built;
  } else {
    const pairs: [string, string][] = [];
    for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
    headers = pairs;
  }
  const content = (noBody ? null : body) as BodyInit | null;
  try {
    return new Response(content, { status, statusText: head.statusText, headers });
  } catch {
    // A reason phrase Fetch refuses (it is never interpreted): drop it.
    return new Response(content, { status, statusText: "", headers });
  }
}

/**
 * Passes an upstream's interim (1xx) response on to the client, with
 * end-to-end fields plus `Via`: RFC 9110 §15.2 has a proxy forward every
 * 1xx it did not ask for itself (this proxy asks for none; a `100` answers
 * the client's own `Expect`). The server sends nothing to an HTTP/1.0
 * client or after the final head (`writeInformational`), and a `101`
 * belongs to an upgrade, never to an interim answer.
 */
export function passInterim(info: ServeInfo, interim: ResponseInterim): void {
  // An info built by hand may not send 1xx at all.
  if (interim.status === 101 || info.writeInformational === undefined) return;
  const fields = endToEndFields(interim.headers);
  appendToField(fields, "via", VIA_ENTRY);
  const pairs: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
  info.writeInformational(interim.status, pairs);
}
