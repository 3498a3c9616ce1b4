/**
 * One request/response exchange on a connection, and the settings every
 * connection of a server shares.
 *
 * @module
 */

import type { RequestHead } from "../codec/events.ts";
import type { RequestParserOptions } from "../codec/limits.ts";
import type { IncomingBody } from "./incoming.ts";

/** Settings of a server that each of its connections reads. Durations in ms. */
export interface ConnectionSettings {
  readonly keepAliveTimeout: number;
  readonly maxRequestsPerConnection: number;
  readonly headersTimeout: number;
  readonly requestBodyTimeout: number;
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
 * Request body bytes discarded after a response to keep the connection when
 * the handler did not read them; a larger remainder closes the connection
 * instead (as nginx's lingering close and Node's drain do).
 */
export const UNREAD_BODY_DRAIN_LIMIT = 256 * 1024;

/** How long a closing connection keeps reading after its FIN so the peer sees the last response, not a reset. */
export const LINGER_TIMEOUT = 2000;

/** Request bytes buffered in the parser before the socket stops being read. */
export const PARSE_BUFFER_HIGH_WATER_MARK = 64 * 1024;

/** One request and, once the handler answers, its response. */
export class Exchange {
  /** The handler's (or keepwire's own) response, once known. */
  response: Response | null = null;
  /** The request body stream; null when there is none or Fetch cannot carry it. */
  body: IncomingBody | null = null;
  /** The end event of this request has been parsed. */
  bodyEnded = false;
  /** Body bytes that arrived after nobody wanted them (drained). */
  discardedBytes = 0;
  /** The body stream is full; parsing waits for the handler's next read. */
  waitingForRead = false;
  /** `100 Continue` has been written for this exchange. */
  continueSent = false;
  /** No request after this one will be read on the connection. */
  last = false;
  /** The body could not be read to its end (protocol error, timeout): the connection cannot persist. */
  broken = false;

  constructor(
    /** 1-based index on the connection. */
    readonly index: number,
    /** The parsed head; null for a response to a request that could not be parsed. */
    readonly head: RequestHead | null,
  ) {}

  /** The request was HEAD: the response carries no body. */
  get isHead(): boolean {
    return this.head !== null && this.head.method === "HEAD";
  }

  /** The handler is consuming the body (it read and did not cancel). */
  get bodyInUse(): boolean {
    return this.body !== null && this.body.pulled && !this.body.cancelled;
  }
}
