/**
 * The request side of an exchange: the Fetch `Request` a handler sees, built
 * from a parsed head, and the body stream the connection feeds from parser
 * events.
 *
 * @module
 */

import type { RequestHead } from "../codec/events.ts";
import { type ExchangeOutcome, ServedRequest } from "./exchange_outcome.ts";

/** What the body stream reports back to its connection. */
export interface IncomingBodyEvents {
  /** The consumer wants more: resume parsing. `first` is true on the first read (the moment to send `100 Continue`). */
  onPull(first: boolean): void;
  /** The consumer cancelled: the rest of the body is to be discarded. */
  onCancel(): void;
}

/**
 * A request body as a `ReadableStream`, fed by the connection.
 *
 * The stream buffers nothing on its own (highWaterMark 0): the body is parsed
 * as the handler reads it, so a slow reader puts TCP backpressure on the
 * client instead of making the server buffer an upload, and a pull always
 * means the handler really asked — the moment to send `100 Continue`
 * (RFC 9110 §10.1.1), and the proof a body left unread must be drained.
 */
export class IncomingBody {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #events: IncomingBodyEvents;
  #pulled = false;
  #finished = false;
  #cancelled = false;

  constructor(events: IncomingBodyEvents) {
    this.#events = events;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        const first = !this.#pulled;
        this.#pulled = true;
        this.#events.onPull(first);
      },
      cancel: () => {
        this.#cancelled = true;
        this.#events.onCancel();
      },
    }, { highWaterMark: 0 });
  }

  /** The consumer has asked for data at least once. */
  get pulled(): boolean {
    return this.#pulled;
  }

  /** The consumer cancelled the stream. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** End of body seen (or error delivered). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Queue body bytes; returns false when the consumer is behind and parsing should wait for a pull. */
  push(bytes: Uint8Array): boolean {
    if (this.#cancelled || this.#finished) return true;
    this.#controller.enqueue(bytes);
    return (this.#controller.desiredSize ?? 0) > 0;
  }

  /** The body ended cleanly. */
  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#cancelled) this.#controller.close();
  }

  /** The body failed (protocol error, timeout, connection lost). */
  error(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#cancelled) this.#controller.error(reason);
  }
}

const METHODS_FETCH_FORBIDS = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Methods the Fetch `Request` constructor refuses; keepwire answers them
 * itself (501) instead of letting the constructor throw.
 */
export function isMethodFetchForbids(method: string): boolean {
  // Every request asks: the lengths (5, 7) answer for GET, POST and the rest
  // without a case-folded copy of the method.
  const length = method.length;
  if (length !== 5 && length !== 7) return false;
  return METHODS_FETCH_FORBIDS.has(method.toUpperCase());
}

/**
 * The absolute URL of a request: absolute-form targets are used as they are
 * (RFC 9112 §3.2.2); origin-form targets are resolved against `Host`, or the
 * listening address when an HTTP/1.0 request has none, with the scheme of
 * the connection (`https` over TLS, RFC 9110 §4.2.2).
 */
export function requestUrl(head: RequestHead, fallbackAuthority: string, secure = false): string {
  const target = head.target;
  const authority = head.host === "" ? fallbackAuthority : head.host;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    // Most requests repeat the last URL (same Host, same path): no new strings.
    if (target === lastTarget && authority === lastAuthority && secure === lastSecure) {
      return lastUrl;
    }
    const url = (secure ? "https://" : "http://") + authority + target;
    lastTarget = target;
    lastAuthority = authority;
    lastSecure = secure;
    lastUrl = url;
    return url;
  }
  if (target === "*") return (secure ? "https://" : "http://") + authority + "/*";
  return target;
}

let lastTarget = "";
let lastAuthority = "";
let lastSecure = false;
let lastUrl = "";

/**
 * Builds the Fetch `Request` for a head. `body` is omitted for GET and HEAD,
 * which Fetch forbids to carry one (their bytes, if any, are drained); its
 * `signal` is the exchange's.
 */
export function buildRequest(
  head: RequestHead,
  url: string,
  body: ReadableStream<Uint8Array> | null,
  outcome: ExchangeOutcome,
): Request {
  const fields = head.headers;
  const init: RequestInit & { duplex?: "half" } = { method: head.method };
  if (body !== null) {
    init.body = body;
    // Fetch requires duplex for a streamed request body (some runtimes enforce it).
    init.duplex = "half";
  }
  // Pairs, not a Headers object: the constructor copies its init anyway,
  // and building a Headers first doubled the cost (13 µs against 5 where it
  // was measured).
  const headers: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) headers.push([fields[i], fields[i + 1]]);
  init.headers = headers;
  return new ServedRequest(url, init, outcome);
}

/** Fetch's method normalization: these six are upper-cased, all others kept as sent. */
export function normalizeMethod(method: string): string {
  if (method === "GET" || method === "POST" || method.length > 7) return method;
  const upper = method.toUpperCase();
  switch (upper) {
    case "DELETE":
    case "GET":
    case "HEAD":
    case "OPTIONS":
    case "POST":
    case "PUT":
      return upper;
  }
  return method;
}

/** GET and HEAD requests may not carry a body in Fetch. */
export function methodAllowsFetchBody(method: string): boolean {
  const upper = method.length <= 4 ? method.toUpperCase() : method;
  return upper !== "GET" && upper !== "HEAD";
}
