/**
 * Light stand-ins for the Fetch `Request` and `Response`, for runtimes where
 * the real ones are slow to build.
 *
 * Where `new Response(text)` costs ~17 µs and `new Request` ~9 µs
 * (DESIGN.md's figures for one runtime), more than parsing and writing a
 * whole exchange. A
 * {@linkcode LightRequest} carries the parsed method, URL and fields and
 * builds the real `Request` only when something beyond `method`, `url` or
 * `headers` is read. A {@linkcode LightResponse} keeps its constructor
 * arguments; the server reads a string or bytes body and the header init
 * straight from them, and anything else a handler touches (`body`,
 * `text()`, `headers`, …) is answered by a real `Response` built on first
 * use. Both pass `instanceof Request` / `instanceof Response`.
 *
 * Handlers call the global `Response` constructor, so using the light one
 * means replacing `globalThis.Response` — as @hono/node-server does — plus
 * `Request` and `fetch`, so that a light request passed to them is turned
 * into a real one. {@linkcode installLightFetchGlobals} does that; the entry
 * points (`serve()`, the runtime files' `serve`, the CLI) call it when
 * `lightFetchObjects` is on — they choose the default per runtime — and
 * never as a side effect of reading options. A light `Response` is refused
 * by native APIs that take a `Response` by identity, which is why it is not
 * on everywhere.
 *
 * @module
 */

import { nativeFetch, NativeRequest, NativeResponse } from "./_native.ts";
import { forwardPrototype } from "./_forward.ts";
import { encodeText } from "./_text_bytes.ts";
import { toNativeRequest } from "./light_request.ts";

export { createLightRequest, type SignalSource, toNativeRequest } from "./light_request.ts";

// ---- Response -----------------------------------------------------------------

/** What the server reads from a light response without building the real one. */
export interface LightResponseParts {
  readonly status: number;
  readonly statusText: string;
  /** Header fields, flat, names lower-cased; `content-type` added for a string body. */
  readonly headers: string[];
  /**
   * `headers` is a new array made for this call, which the reader may keep
   * and extend (rather than copy); absent or false when it may be shared.
   */
  readonly fresh?: boolean;
  /** The whole body. */
  readonly body: Uint8Array;
}

const RESPONSE_STATE = Symbol("keepwire.response");

interface ResponseState {
  body: string | Uint8Array | null;
  init: ResponseInit | undefined;
  real: Response | undefined;
  /** Given whole by {@linkcode lightResponseFromParts}: read as they are. */
  parts: LightResponseParts | undefined;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Field name `token` and value characters as Fetch's `Headers` accepts them. */
const INVALID_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const INVALID_VALUE = /[\0\r\n]/;

/**
 * Checked names and values, as Headers would store them: handlers send the
 * same few fields on every response, and a lookup is a fraction of
 * `toLowerCase`, `trim` and a regular expression per field (measured on
 * Node 20: ~65 ns against ~160–270 ns for a one-field init). Bounded: a
 * full cache starts over.
 */
const CHECKED_NAMES = new Map<string, string>();
const CHECKED_VALUES = new Map<string, string>();
const CHECKED_LIMIT = 256;

/** The lower-cased field name, or null when Headers would refuse it. */
function fieldName(raw: unknown): string | null {
  const text = typeof raw === "string" ? raw : String(raw);
  const known = CHECKED_NAMES.get(text);
  if (known !== undefined) return known;
  const name = text.toLowerCase();
  if (name.length === 0 || INVALID_NAME.test(name)) return null;
  if (CHECKED_NAMES.size >= CHECKED_LIMIT) CHECKED_NAMES.clear();
  CHECKED_NAMES.set(text, name);
  return name;
}

/** The trimmed field value, or null when Headers would refuse it. */
function fieldValue(raw: unknown): string | null {
  const text = typeof raw === "string" ? raw : String(raw);
  const known = CHECKED_VALUES.get(text);
  if (known !== undefined) return known;
  const value = text.trim();
  if (INVALID_VALUE.test(value)) return null;
  // Long values (cookies, tokens) rarely repeat: not worth keeping.
  if (text.length <= 128) {
    if (CHECKED_VALUES.size >= CHECKED_LIMIT) CHECKED_VALUES.clear();
    CHECKED_VALUES.set(text, value);
  }
  return value;
}

/** An object literal (or a null-prototype record): for-in sees exactly its own keys. */
function isPlainRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function realResponse(response: object): Response {
  const state = (response as { [RESPONSE_STATE]: ResponseState })[RESPONSE_STATE];
  if (state.real === undefined && state.parts !== undefined) return realFromParts(state);
  return (state.real ??= new NativeResponse(state.body as BodyInit | null, state.init));
}

function realFromParts(state: ResponseState): Response {
  const { status, statusText, headers: fields, body } = state.parts!;
  // A Headers built first keeps every Set-Cookie line (a Response's own
  // headers have the "response" guard).
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  const content = NULL_BODY_STATUSES.has(status) ? null : body as Uint8Array<ArrayBuffer>;
  try {
    state.real = new NativeResponse(content, { status, statusText, headers });
  } catch {
    // A reason phrase Fetch refuses (it is never interpreted): dropped.
    state.real = new NativeResponse(content, { status, headers });
  }
  return state.real;
}

/**
 * A `Response` that keeps its arguments and builds the real one on first
 * use. Only string, byte and empty bodies stay light; any other body is
 * handed to the real constructor at once.
 */
function LightResponse(
  this: { [RESPONSE_STATE]: ResponseState },
  body?: BodyInit | null,
  init?: ResponseInit,
): void {
  if (new.target === undefined) {
    throw new TypeError("Failed to construct 'Response': Please use the 'new' operator");
  }
  const state: ResponseState = { body: null, init, real: undefined, parts: undefined };
  // A plain symbol property: defineProperty per response showed in profiles.
  this[RESPONSE_STATE] = state;
  const status = init?.status;
  const light = (body === undefined || body === null || typeof body === "string" ||
    body instanceof Uint8Array) &&
    (status === undefined || (Number.isInteger(status) && status >= 200 && status <= 599 &&
      !(body !== null && body !== undefined && NULL_BODY_STATUSES.has(status))));
  if (light) state.body = (body ?? null) as string | Uint8Array | null;
  // Anything else: the real constructor validates it (and throws as it would).
  else state.real = new NativeResponse(body, init);
}
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
Object.setPrototypeOf(LightResponse, NativeResponse);
// status and ok are read often (logging, middleware) and need no real object.
Object.defineProperties(LightResponse.prototype, {
  status: {
    get(this: { [RESPONSE_STATE]: ResponseState }) {
      const state = this[RESPONSE_STATE];
      return state.real?.status ?? state.parts?.status ?? state.init?.status ?? 200;
    },
  },
  ok: {
    get(this: { status: number }) {
      return this.status >= 200 && this.status <= 299;
    },
  },
});
forwardPrototype(LightResponse.prototype, NativeResponse.prototype, realResponse, [
  "status",
  "ok",
]);
Object.defineProperty(LightResponse, Symbol.hasInstance, {
  value: (value: unknown) => value instanceof NativeResponse,
});
for (const name of ["json", "error", "redirect"] as const) {
  Object.defineProperty(LightResponse, name, {
    configurable: true,
    writable: true,
    value: (NativeResponse as unknown as Record<string, (...args: unknown[]) => unknown>)[name]
      .bind(NativeResponse),
  });
}

/**
 * A light response's status, headers and body when they can be read
 * without building the real `Response`; null for any other response.
 */
export function lightResponseParts(response: Response): LightResponseParts | null {
  const state = (response as unknown as { [RESPONSE_STATE]?: ResponseState })[RESPONSE_STATE];
  if (state === undefined || state.real !== undefined) return null;
  if (state.parts !== undefined) return state.parts;
  const init = state.init;
  const headers: string[] = [];
  let hasContentType = false;
  const source = init?.headers;
  if (source !== undefined) {
    if (isPlainRecord(source)) {
      // The common init (`{ "content-type": "text/plain" }`): its own keys,
      // as Object.entries gives them, without the array per pair.
      for (const key in source) {
        if (!Object.hasOwn(source, key)) continue; // an enumerable inherited key
        const name = fieldName(key);
        const value = fieldValue((source as Record<string, unknown>)[key]);
        if (name === null || value === null) return null;
        if (name === "content-type") hasContentType = true;
        headers.push(name, value);
      }
    } else {
      let pairs: Iterable<readonly [string, string]>;
      if (source instanceof Headers) pairs = source;
      else if (Array.isArray(source)) pairs = source as [string, string][];
      else if (typeof source === "object") pairs = Object.entries(source as Record<string, string>);
      else return null;
      for (const pair of pairs) {
        if (pair.length !== 2) return null;
        const name = fieldName(pair[0]);
        const value = fieldValue(pair[1]);
        if (name === null || value === null) return null;
        if (name === "content-type") hasContentType = true;
        headers.push(name, value);
      }
    }
  }
  const statusText = init?.statusText ?? "";
  if (typeof statusText !== "string" || INVALID_VALUE.test(statusText)) return null;
  let body: Uint8Array;
  const raw = state.body;
  if (typeof raw === "string") {
    body = encodeText(raw);
    if (!hasContentType) headers.push("content-type", "text/plain;charset=UTF-8");
  } else body = raw ?? new Uint8Array(0);
  return { status: init?.status ?? 200, statusText, headers, fresh: true, body };
}

/**
 * A light response made from parts already in the server's form — status
 * 200–599, lower-case field names and values that came through keepwire's
 * own parser, the whole body — which the server then reads as they are,
 * without the header copy and checks of {@linkcode lightResponseParts}.
 * For keepwire's reverse proxy, whose upstream responses are exactly that;
 * meaningful only while the light globals are installed (the server writes
 * light responses only then).
 */
export function lightResponseFromParts(parts: LightResponseParts): Response {
  const response = Object.create(LightResponse.prototype);
  const state: ResponseState = { body: null, init: undefined, real: undefined, parts };
  response[RESPONSE_STATE] = state;
  return response;
}

// ---- globals ------------------------------------------------------------------

/**
 * `globalThis.Request` as keepwire installs it: the native class, except
 * that a light request given as input is first turned into a real one.
 */
function createRequestGlobal(): typeof Request {
  function KeepwireRequest(input: RequestInfo | URL, init?: RequestInit): Request {
    if (new.target === undefined) {
      throw new TypeError("Failed to construct 'Request': Please use the 'new' operator");
    }
    return Reflect.construct(
      NativeRequest,
      [toNativeRequest(input), init],
      new.target === KeepwireRequest ? NativeRequest : new.target,
    );
  }
  KeepwireRequest.prototype = NativeRequest.prototype;
  Object.setPrototypeOf(KeepwireRequest, NativeRequest);
  return KeepwireRequest as unknown as typeof Request;
}

let installed = false;

/**
 * Replaces `globalThis.Response` with the light one, and `Request` and
 * `fetch` with versions that accept a light request (once per process).
 * Returns whether the globals are now the light ones (`false` when someone
 * else has replaced them already: wrappers are never stacked).
 *
 * `serve()` calls it when `lightFetchObjects` is on (the default on Node);
 * call it yourself before `serveWith(…, { lightFetchObjects: true })`.
 *
 * @example (not run as a doc test: it changes the globals of the process)
 * ```ts ignore
 * import { installLightFetchGlobals, listenForRuntime, serveWith } from "@keepwire/keepwire";
 *
 * const lightFetchObjects = installLightFetchGlobals();
 * const server = await serveWith(await listenForRuntime(), { port: 8080, lightFetchObjects }, () =>
 *   new Response("light"));
 * ```
 */
export function installLightFetchGlobals(): boolean {
  if (installed) return true;
  if (globalThis.Response !== NativeResponse || globalThis.Request !== NativeRequest) {
    return false; // someone else replaced them; do not stack wrappers
  }
  installed = true;
  globalThis.Response = LightResponse as unknown as typeof Response;
  globalThis.Request = createRequestGlobal();
  if (typeof nativeFetch === "function") {
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      nativeFetch(toNativeRequest(input) as RequestInfo | URL, init)) as typeof fetch;
  }
  return true;
}

/** Whether {@linkcode installLightFetchGlobals} has replaced the globals. */
export function lightFetchGlobalsInstalled(): boolean {
  return installed;
}

/** The light `Response` class itself (what the globals install), for tests and explicit use. */
export const LightResponseClass: typeof Response = LightResponse as unknown as typeof Response;
