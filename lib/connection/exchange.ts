/**
 * One request/response exchange on a connection, the settings every
 * connection of a server shares, and the connection layer's limits.
 *
 * An exchange carries two small states of its own (see `state.ts` for the
 * connection's): what becomes of its request body's bytes, and where it
 * stands with `Expect: 100-continue`.
 *
 * It is also what its handler learns of it: its outcome (`request.signal`,
 * `info.completed`) and the `info` object itself are the exchange, seen
 * through {@linkcode ServeInfo}. One object per request instead of three
 * (exchange, outcome, info) is a measurable part of a small exchange.
 *
 * @module
 */

import type { HttpVersion, RequestHead } from "../codec/events.ts";
import type { RequestParserOptions } from "../codec/limits.ts";
import type { ConnectionTokens } from "../codec/rules.ts";
import type { NetAddr } from "../transport.ts";
import type { IncomingBody } from "./incoming.ts";
import { ExchangeOutcome } from "./exchange_outcome.ts";
import type { InformationalFields, ServeInfo } from "./options.ts";
import { encodeInterim } from "./interim.ts";

/** Settings of a server that each of its connections reads. Durations in ms. */
export interface ConnectionSettings {
  readonly keepAliveTimeout: number;
  readonly maxRequestsPerConnection: number;
  readonly headersTimeout: number;
  readonly requestBodyTimeout: number;
  /** From a request's first byte to the end of its body; 0: no limit. */
  readonly requestTimeout: number;
  readonly sendTimeout: number;
  readonly keepAliveHint: boolean;
  readonly eagerContinue: boolean;
  /** Hand handlers light requests (the light fetch globals are installed). */
  readonly lightFetch: boolean;
  readonly parser: RequestParserOptions;
}

/**
 * Requests parsed ahead of their responses before the connection stops
 * reading: pipelining is answered in order, so a client that never reads
 * cannot make the server hold an unbounded queue (nginx stops at 1 by
 * reading one request at a time; 16 keeps deep pipelines at full speed).
 */
export const PIPELINE_DEPTH_LIMIT = 16;

/**
 * Request body bytes discarded to keep the connection when the handler did
 * not read them, whether the body is framed by length or chunked; a larger
 * remainder closes the connection instead (as nginx's lingering close and
 * Node's drain do).
 */
export const UNREAD_BODY_DRAIN_LIMIT = 256 * 1024;

/** How long a closing connection keeps reading after its FIN so the peer sees the last response, not a reset. */
export const LINGER_TIMEOUT = 2000;

/** Request bytes buffered in the parser before the socket stops being read. */
export const PARSE_BUFFER_HIGH_WATER_MARK = 64 * 1024;

/**
 * Where the request body's bytes go:
 * - `"stream"`: to the handler's body stream;
 * - `"paused"`: the stream is full; parsing waits for the handler's next read;
 * - `"drain"`: nobody will read them: counted (against
 *   {@linkcode UNREAD_BODY_DRAIN_LIMIT}) and dropped;
 * - `"ended"`: the end of the body was parsed;
 * - `"failed"`: it cannot be read to its end (protocol error, timeout, too
 *   much to drain), so the connection cannot persist after it.
 */
export type RequestBodyState = "stream" | "paused" | "drain" | "ended" | "failed";

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): `"none"` not asked, `"owed"`
 * the client may be waiting for it, `"sent"` it went out.
 */
export type ContinueState = "none" | "owed" | "sent";

/** What an exchange tells its handler about the connection it came on, and asks of it. */
export interface ExchangeConnection {
  readonly id: number;
  readonly remoteAddr: NetAddr;
  /** It was accepted by a TLS listener. */
  readonly secure: boolean;
  /** Sends (or queues) an interim response head for `exchange`; false when it never will go. */
  sendInterim(exchange: Exchange, head: Uint8Array): boolean;
}

/** One request and, once the handler answers, its response; also the handler's `info`. */
export class Exchange extends ExchangeOutcome implements ServeInfo {
  /** The handler's (or keepwire's own) response, once known. */
  response: Response | null = null;
  /** The request body stream; null when there is none or Fetch cannot carry it. */
  body: IncomingBody | null = null;
  /** What becomes of the request body's bytes. */
  bodyState: RequestBodyState = "drain";
  /** Body bytes parsed so far, read or dropped. */
  received = 0;
  /**
   * Body bytes that may still be dropped to keep the connection: unbounded
   * until the response is decided, {@linkcode UNREAD_BODY_DRAIN_LIMIT} after.
   */
  drainBudget = Infinity;
  /** Where the exchange stands with `100 Continue`. */
  continueState: ContinueState = "none";
  /** Interim (1xx) heads waiting for this exchange's turn to write (pipelining). */
  interim: Uint8Array[] | null = null;
  #connection: ExchangeConnection;
  #connectionFacts: { readonly id: number; readonly requestIndex: number } | null = null;

  constructor(
    connection: ExchangeConnection,
    /** 1-based index on the connection. */
    readonly index: number,
    /** The parsed head; null for a response to a request that could not be parsed. */
    readonly head: RequestHead | null,
    /** The request's `Connection` tokens, parsed once (RFC 9110 §7.6.1). */
    readonly tokens: ConnectionTokens,
  ) {
    super();
    this.#connection = connection;
    if (head?.expectContinue) this.continueState = "owed";
  }

  /** `info.remoteAddr`: the peer's address. */
  get remoteAddr(): NetAddr {
    return this.#connection.remoteAddr;
  }

  /** `info.httpVersion`: the request's version. */
  get httpVersion(): HttpVersion {
    return this.head?.version ?? "1.1";
  }

  /** `info.secure`: the connection is TLS (the listener's fact, not the request target's scheme). */
  get secure(): boolean {
    return this.#connection.secure;
  }

  /** `info.connection`: made when first read (most handlers never do). */
  get connection(): { readonly id: number; readonly requestIndex: number } {
    return this.#connectionFacts ??= { id: this.#connection.id, requestIndex: this.index };
  }

  /** `info.writeEarlyHints()`: a `103` (see {@linkcode ServeInfo}). */
  writeEarlyHints(hints: InformationalFields): boolean {
    return this.writeInformational(103, hints);
  }

  /** `info.writeInformational()`: a 1xx ahead of the response (see {@linkcode ServeInfo}). */
  writeInformational(status: number, fields?: InformationalFields): boolean {
    const head = encodeInterim(status, fields);
    if (status === 100) {
      // One 100 Continue per request, whoever sends it (RFC 9110 §10.1.1).
      if (this.continueState === "sent") return false;
      if (!this.#connection.sendInterim(this, head)) return false;
      this.continueState = "sent";
      return true;
    }
    return this.#connection.sendInterim(this, head);
  }

  /** The request was HEAD: the response carries no body. */
  get isHead(): boolean {
    return this.head !== null && this.head.method === "HEAD";
  }

  /** The end of the request was parsed (or it could never be): nothing more is read for it. */
  get bodyDone(): boolean {
    return this.bodyState === "ended" || this.bodyState === "failed";
  }

  /** The handler is consuming the body (it read and did not cancel). */
  get bodyInUse(): boolean {
    return this.body !== null && this.body.pulled && !this.body.cancelled;
  }
}
