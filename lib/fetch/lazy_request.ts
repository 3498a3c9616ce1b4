/**
 * The `Request` a handler gets by default (without `lightFetchObjects`):
 * one the runtime's own APIs take as theirs, built only as far as the
 * handler looks.
 *
 * Building the runtime's `Request` was the largest single cost of a small
 * exchange on the default path (bench:exchange, 2026-11-30, a busy 2-core
 * machine: a third of the CPU on Deno, most of it converting the header
 * init; a fifth on Bun), and most handlers read only `method`, `url` and a
 * few `headers`. A light request (light_request.ts) answers those and
 * builds the real one when anything else is read. Unlike the light
 * globals this replaces nothing, so the light request must pass, as it is,
 * every native API that takes a request; it is used only where the runtime
 * shows that it does. A probe made once asks the runtime's own `Request`
 * constructor — the path `fetch(request)` and the Cache API take — to copy
 * a light request, alone and with an init (`fetch(request, { headers })`):
 *
 * - Deno's constructor, and undici's up to Node 22, read a request's state
 *   from private symbols on the instance: the light request goes wrapped in
 *   a Proxy that hands those to the real request (`"forwarded"`);
 * - Bun's reads a foreign request through its public members, so a light
 *   request passes as it is (`"light"`), except that with an init it takes
 *   the method from the init alone (a POST copied with `{ headers }` became
 *   a GET, Bun 1.4.5): GET requests, the most common by far, are probed
 *   apart from the others, and only GETs go light on Bun;
 * - where neither copies it faithfully (Node 24's undici checks a private
 *   field; other methods on Bun) the caller builds the native request at
 *   once (`"native"`), as before.
 *
 * One difference remains where the light request is used: a `Headers`
 * object read from it before the real request exists stays the handler's
 * own afterwards (the real request got a copy of it), where a native
 * request's is the same object throughout.
 *
 * @module
 */

import { NativeRequest, NativeResponse } from "./_native.ts";
import { createLightRequest, forwardSymbols, type SignalSource } from "./light_request.ts";

/** How this runtime's default requests are made: see the module doc. */
export type LazyRequestMode = "light" | "forwarded" | "native";

/** The mode for GET requests and for all others, probed apart (the first time each is needed). */
const modes: { GET?: LazyRequestMode; other?: LazyRequestMode } = {};

const PROBE_URL = "http://probe.keepwire.invalid/path?query";

/**
 * Whether the native constructor copies what `make` builds as it would a
 * native request, alone and with an init that leaves the method and body
 * to it (`fetch(request, { headers })` in a proxy).
 */
function copiedFaithfully(method: "GET" | "POST", make: () => Request): boolean {
  try {
    const whole = new NativeRequest(make());
    const withInit = new NativeRequest(make(), { headers: { "x-other": "2" } });
    const hasBody = method !== "GET";
    return whole.method === method && whole.url === PROBE_URL &&
      whole.headers.get("x-probe") === "1" && (whole.body !== null) === hasBody &&
      withInit.method === method && withInit.url === PROBE_URL &&
      withInit.headers.get("x-other") === "2" && (withInit.body !== null) === hasBody;
  } catch {
    return false;
  }
}

function probe(method: "GET" | "POST"): LazyRequestMode {
  const candidate = () =>
    createLightRequest(
      method,
      PROBE_URL,
      ["x-probe", "1"],
      method === "GET" ? null : new NativeResponse("probe").body,
    );
  if (copiedFaithfully(method, candidate)) return "light";
  if (copiedFaithfully(method, () => forwardSymbols(candidate()))) return "forwarded";
  return "native";
}

/** This runtime's mode for requests of `method`, probed on first use. */
export function lazyRequestMode(method: string): LazyRequestMode {
  return method === "GET" ? (modes.GET ??= probe("GET")) : (modes.other ??= probe("POST"));
}

/**
 * A default-path request for the handler, or null where this runtime's own
 * APIs would not take one (then the caller builds the native `Request`).
 *
 * @param method the request method, normalized as Fetch does
 * @param url the absolute URL (the caller has checked that it parses)
 * @param fields header fields, flat `[name, value, …]`
 * @param body the body stream, or null (GET, HEAD, no body)
 * @param signalSource answers `request.signal`
 */
export function createLazyRequest(
  method: string,
  url: string,
  fields: readonly string[],
  body: ReadableStream<Uint8Array> | null,
  signalSource: SignalSource,
): Request | null {
  const how = lazyRequestMode(method);
  if (how === "native") return null;
  const request = createLightRequest(method, url, fields, body, signalSource);
  return how === "light" ? request : forwardSymbols(request);
}
