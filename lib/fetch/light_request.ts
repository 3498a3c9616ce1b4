/**
 * The light `Request`: a request for a handler that carries the parsed
 * method, URL and fields and builds the runtime's own `Request` only when
 * something beyond `method`, `url`, `headers` or `signal` is read. It passes
 * `instanceof Request`; every other member is the real request's.
 *
 * The server hands one out with `lightFetchObjects` (the light globals turn
 * it into a real one for `fetch` and `new Request`), and on the default path
 * where the runtime's own APIs accept it (lazy_request.ts).
 *
 * @module
 */

import { NativeRequest } from "./_native.ts";
import { forwardPrototype } from "./_forward.ts";

const PARTS = Symbol("keepwire.request");

interface RequestParts {
  readonly method: string;
  readonly url: string;
  readonly fields: readonly string[];
  readonly body: ReadableStream<Uint8Array> | null;
  /** Answers `signal` (the server's exchange), or null: the real request's own. */
  readonly signalSource: SignalSource | null;
  headers: Headers | undefined;
  href: string | undefined;
  /** {@linkcode plainLightRequestUrl}'s answer, once asked. */
  plain: string | null | undefined;
  real: Request | undefined;
}

/** Whatever gives a light request its `signal`, made when first read. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

interface LightRequest {
  readonly [PARTS]: RequestParts;
}

function headersFromFields(fields: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  return headers;
}

/** Builds the real `Request` behind a light one (once). */
function realRequest(request: LightRequest): Request {
  const parts = request[PARTS];
  let real = parts.real;
  if (real === undefined) {
    const init: RequestInit & { duplex?: "half" } = {
      method: parts.method,
      headers: parts.headers ?? headersFromFields(parts.fields),
    };
    if (parts.body !== null) {
      init.body = parts.body;
      init.duplex = "half";
    }
    if (parts.signalSource !== null) init.signal = parts.signalSource.signal;
    real = new NativeRequest(parts.url, init);
    parts.real = real;
  }
  return real;
}

const lightRequestPrototype: object = Object.create(NativeRequest.prototype);
Object.defineProperties(lightRequestPrototype, {
  method: {
    get(this: LightRequest) {
      return this[PARTS].method;
    },
  },
  url: {
    // Serialized as the real Request does (dot segments resolved, host
    // lower-cased, …): handlers judge paths by it.
    get(this: LightRequest) {
      const parts = this[PARTS];
      return (parts.href ??= new URL(parts.url).href);
    },
  },
  headers: {
    get(this: LightRequest) {
      const parts = this[PARTS];
      if (parts.real !== undefined) return parts.real.headers;
      return (parts.headers ??= headersFromFields(parts.fields));
    },
  },
  signal: {
    // The exchange's own signal, without building the real Request.
    get(this: LightRequest) {
      const parts = this[PARTS];
      return parts.signalSource?.signal ?? realRequest(this).signal;
    },
  },
});
forwardPrototype(lightRequestPrototype, NativeRequest.prototype, realRequest, [
  "method",
  "url",
  "headers",
  "signal",
]);

// Printed as the request it stands for (Bun and Node ask this symbol;
// Deno's own inspect hook is among those forwarded above).
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
if (!(INSPECT in lightRequestPrototype)) {
  Object.defineProperty(lightRequestPrototype, INSPECT, {
    value(this: LightRequest) {
      return realRequest(this);
    },
  });
}

/**
 * A request for the handler that builds its Fetch `Request` lazily.
 *
 * @param method the request method
 * @param url the absolute URL
 * @param fields header fields, flat `[name, value, …]`
 * @param body the body stream, or null (GET, HEAD, no body)
 * @param signalSource answers `request.signal` (the server's exchange); null: the real request's own
 */
export function createLightRequest(
  method: string,
  url: string,
  fields: readonly string[],
  body: ReadableStream<Uint8Array> | null,
  signalSource: SignalSource | null = null,
): Request {
  const request = Object.create(lightRequestPrototype);
  request[PARTS] = {
    method,
    url,
    fields,
    body,
    signalSource,
    headers: undefined,
    href: undefined,
    plain: undefined,
    real: undefined,
  };
  return request;
}

/**
 * The header fields of a light request as the server parsed them (flat
 * `[name, value, …]`, names as received), while nothing has built its
 * `Headers` (which a handler could have changed); else null. For keepwire's
 * own proxy: a `Headers` built and iterated per request only to be flattened
 * again was ~3 % of a proxied request on Node.
 */
export function lightRequestFields(request: Request): readonly string[] | null {
  const parts = (request as Partial<LightRequest>)[PARTS];
  return parts === undefined || parts.headers !== undefined || parts.real !== undefined
    ? null
    : parts.fields;
}

// What the WHATWG URL parser keeps as it is in an http(s) URL: a lower-case
// scheme, an authority it accepts whose end is the first "/" (a name of
// letters, digits, dots and hyphens that cannot be read as an IPv4 number
// or punycode, or a dotted quad, and a port up to 65535), and a path and
// query with no dot segment ("/.", "%2e"), no backslash, and nothing the
// parser percent-encodes (space, quotes, <, >, `, {, }, non-ASCII) or cuts (#).
const PLAIN_URL =
  /^https?:\/\/([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(\/[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*)?$/;
const DOT_SEGMENT = /\/\.|%2e/i;
const DOTTED_QUAD =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

function plainHost(host: string): boolean {
  const lastLabel = host.slice(host.lastIndexOf(".") + 1);
  if (lastLabel === "" || /^[0-9]/.test(lastLabel)) return DOTTED_QUAD.test(host);
  return !/xn--/i.test(host);
}

/**
 * The URL a light request was made with, when `new URL()` would accept it
 * and keep its scheme, path and query exactly as they are (only the
 * authority's case or port could change); else null. For keepwire's own
 * proxy, which needs those parts and no host: `request.url` parses the URL
 * (~2.5 % of a proxied request on Node), and a plain URL needs no parsing.
 */
export function plainLightRequestUrl(request: Request): string | null {
  const parts = (request as Partial<LightRequest>)[PARTS];
  if (parts === undefined) return null;
  if (parts.plain !== undefined) return parts.plain;
  const url = parts.url;
  const match = PLAIN_URL.exec(url);
  const plain = match !== null && !DOT_SEGMENT.test(url) && plainHost(match[1]) &&
    (match[2] === undefined || Number(match[2]) <= 65_535);
  return parts.plain = plain ? url : null;
}

/** The real `Request` for a light one; any other value is returned as it is. */
export function toNativeRequest<T>(value: T): T | Request {
  return typeof value === "object" && value !== null && PARTS in value
    ? realRequest(value as unknown as LightRequest)
    : value;
}

/**
 * Hands the real request every symbol-keyed member a light request lacks.
 * A runtime whose Fetch classes are written in JavaScript keeps a request's
 * state under private symbols on the instance (Deno: its inner request and
 * brand), and `fetch`, `new Request(request)` and the Cache API read them
 * there; through this forwarding they read the real request's.
 */
const symbolForwarding: ProxyHandler<LightRequest> = {
  get(target, key, receiver) {
    if (typeof key !== "symbol" || key in target) return Reflect.get(target, key, receiver);
    const real = realRequest(target);
    return Reflect.get(real, key, real);
  },
  has(target, key) {
    return key in target || (typeof key === "symbol" && key in realRequest(target));
  },
  set(target, key, value, receiver) {
    if (typeof key !== "symbol" || key in target) return Reflect.set(target, key, value, receiver);
    const real = realRequest(target);
    return Reflect.set(real, key, value, real);
  },
};

/**
 * A light request whose symbol-keyed members the real request answers (see
 * `symbolForwarding`), for runtimes whose own APIs read such members.
 */
export function forwardSymbols(request: Request): Request {
  return new Proxy(request as unknown as LightRequest, symbolForwarding) as unknown as Request;
}
