/**
 * One client connection: writes requests in order, reads their responses
 * with the {@linkcode ResponseParser}, and reports to the client when a
 * response is complete or the connection is gone. Several exchanges are in
 * flight only when the pool pipelines.
 *
 * Failure is the normal case here (RFC 9112 §9.5: a server may close an
 * idle connection at any time). Whatever ends the connection — FIN, reset,
 * a protocol error, a timeout — every exchange still in flight fails with
 * `reused` and `beforeResponse` set, from which the client decides whether
 * a retry is safe.
 *
 * @module
 */

import { ResponseParser, type ResponseParserOptions } from "../codec/response_parser.ts";
import type { ResponseHead } from "../codec/response_events.ts";
import { encodeChunk, encodeLastChunk } from "../codec/chunks.ts";
import { ClientError } from "./errors.ts";
import type { BodyFlow, Exchange } from "./_exchange.ts";
import type { PoolMember } from "./pool.ts";
import { decideReuse, type ReusePolicy } from "./reuse.ts";
import type { Transport, TransportHandler } from "../transport.ts";

/** Timeouts and limits of a connection. */
export interface ConnectionSettings {
  readonly policy: ReusePolicy;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly expectContinueTimeout: number;
  readonly parser: ResponseParserOptions;
}

/** What the connection tells its owner. */
export interface ConnectionOwner {
  /** The response of `exchange` has been read completely. */
  exchangeDone(connection: ClientConnection): void;
  /** The connection is closed (fires once). */
  connectionGone(connection: ClientConnection): void;
}

// Bodies up to this size are written with the head in one write.
const COALESCE_BODY = 16 * 1024;

/** A connection to one origin (or to a proxy: `origin` is the pool key). */
export class ClientConnection implements TransportHandler, BodyFlow, PoolMember {
  readonly origin: string;
  readonly id: number;
  inFlight = 0;
  reusable = true;
  remainingRequests = Infinity;
  idleMs: number;
  idleDeadline = Infinity;
  pipelinable = false;
  /** Requests written on this connection. */
  requestCount = 0;
  /** The last response's `Keep-Alive` value, unparsed ("" for none): read only by `connections()`. */
  lastKeepAlive = "";
  closed = false;
  socket: Transport | null = null;
  #settings: ConnectionSettings;
  #owner: ConnectionOwner;
  #parser: ResponseParser;
  #exchanges: Exchange[] = [];
  // The read deadline (performance.now() clock) and what it guards; the
  // client's sweeper calls checkDeadline, so no timer is set per request.
  #deadline = Infinity;
  #deadlineKind: "headers" | "body" = "headers";
  #paused = false;
  #drainWaiters: (() => void)[] = [];

  constructor(origin: string, id: number, settings: ConnectionSettings, owner: ConnectionOwner) {
    this.origin = origin;
    this.id = id;
    this.#settings = settings;
    this.#owner = owner;
    this.idleMs = settings.policy.idleTimeout;
    this.#parser = new ResponseParser(settings.parser);
  }

  /** Writes the request of `exchange`; its response settles `exchange.settled`. */
  send(exchange: Exchange): void {
    const socket = this.socket!;
    const request = exchange.request;
    exchange.reused = this.requestCount > 0;
    this.requestCount++;
    this.#parser.expect(request.method);
    this.#exchanges.push(exchange);
    if (this.#exchanges.length === 1) this.#arm("headers");
    const body = request.body;
    if (body === null) {
      socket.write(request.head);
      exchange.bodySent = true;
    } else if (body instanceof Uint8Array) {
      if (request.expectContinue) {
        socket.write(request.head);
        this.#deferBody(exchange, () => {
          socket.write(body);
          exchange.bodySent = true;
        });
      } else if (body.byteLength <= COALESCE_BODY) {
        const both = new Uint8Array(request.head.byteLength + body.byteLength);
        both.set(request.head);
        both.set(body, request.head.byteLength);
        socket.write(both);
        exchange.bodySent = true;
      } else {
        socket.write(request.head);
        socket.write(body);
        exchange.bodySent = true;
      }
    } else {
      socket.write(request.head);
      const pump = () => void this.#pump(exchange, body);
      if (request.expectContinue) this.#deferBody(exchange, pump);
      else pump();
    }
  }

  /** Closes the connection; exchanges in flight fail with `error` (or connection-closed). */
  close(error?: unknown, culprit?: Exchange): void {
    if (this.closed) return;
    this.closed = true;
    this.reusable = false;
    this.#clearTimer();
    this.socket?.close();
    const exchanges = this.#exchanges;
    this.#exchanges = [];
    const closedError = new ClientError("connection-closed", "the connection closed", error);
    for (const exchange of exchanges) {
      exchange.fail(
        exchange === culprit || culprit === undefined ? error ?? closedError : closedError,
      );
    }
    for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#owner.connectionGone(this);
  }

  onData(chunk: Uint8Array): void {
    if (this.closed) return;
    const current = this.#exchanges[0];
    if (current !== undefined) current.started = true;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.close(new ClientError("protocol-error", "invalid response", error));
      return;
    }
    this.#drain();
  }

  onEnd(): void {
    if (this.closed) return;
    this.reusable = false;
    try {
      this.#parser.finish();
    } catch {
      // Already failed: #drain reports it.
    }
    this.#drain();
    if (!this.closed) this.close();
  }

  onDrain(): void {
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  onClose(error?: unknown): void {
    if (this.closed) return;
    this.close(
      error === undefined ? undefined : new ClientError("connection-closed", String(error), error),
    );
  }

  resumeReading(): void {
    if (!this.#paused || this.closed) return;
    this.#paused = false;
    this.#arm("body");
    this.socket?.resume();
  }

  // While the caller is not reading, the server is not the one being slow:
  // the body timeout waits until reading resumes.
  pauseReading(): void {
    if (this.#paused || this.closed) return;
    this.#paused = true;
    this.#clearTimer();
    this.socket?.pause();
  }

  cancelBody(exchange: Exchange): void {
    // The rest of the body is still on the wire: the only way to skip it is to close.
    if (this.#exchanges.includes(exchange)) this.close(undefined, exchange);
  }

  #drain(): void {
    const parser = this.#parser;
    try {
      for (let event = parser.next(); event !== null; event = parser.next()) {
        const exchange = this.#exchanges[0];
        switch (event.type) {
          case "interim":
            exchange?.request.onInterim?.(event);
            if (event.status === 100) this.#continue(exchange);
            break;
          case "head":
            this.#onHead(exchange, event);
            break;
          case "data":
            exchange.data(event.bytes, this);
            if (!this.#paused) this.#arm("body");
            break;
          case "end":
            this.#onEnd(exchange);
            break;
        }
        if (this.closed) return;
      }
    } catch (error) {
      this.close(new ClientError("protocol-error", "invalid response", error));
      return;
    }
    const current = this.#exchanges[0];
    if (current !== undefined && current.head !== null) current.settleStreaming(this);
  }

  #onHead(exchange: Exchange, head: ResponseHead): void {
    const decision = decideReuse(head, exchange.request.saysClose, this.#settings.policy);
    if (!decision.reuse) this.reusable = false;
    else {
      this.lastKeepAlive = head.keepAlive;
      this.idleMs = decision.idleMs;
      // max=M counts from this response; requests already written behind it use it up.
      this.remainingRequests = Math.min(
        this.remainingRequests,
        decision.remainingRequests - (this.#exchanges.length - 1),
      );
    }
    // A final answer before the body was sent (e.g. 413 to Expect:
    // 100-continue): the server's idea of the framing is unknown now.
    if (!exchange.bodySent) {
      this.reusable = false;
      exchange.sendBody = null;
    }
    exchange.head = head;
    this.#arm("body");
  }

  #onEnd(exchange: Exchange): void {
    this.#exchanges.shift();
    exchange.end();
    // The body is all queued in its stream now; the next response must be
    // read whether or not anyone reads that one.
    if (this.#paused) {
      this.#paused = false;
      this.socket?.resume();
    }
    const next = this.#exchanges[0];
    if (next !== undefined) {
      if (this.#parser.buffered > 0) next.started = true;
      this.#arm("headers");
    } else {
      this.#clearTimer();
    }
    this.#owner.exchangeDone(this);
  }

  #continue(exchange: Exchange | undefined): void {
    const send = exchange?.sendBody;
    if (exchange === undefined || send == null) return;
    exchange.sendBody = null;
    send();
  }

  // RFC 9110 §10.1.1: a client that sent 100-continue need not wait
  // forever; curl waits one second, and so does this by default.
  #deferBody(exchange: Exchange, send: () => void): void {
    exchange.sendBody = send;
    setTimeout(() => {
      if (!this.closed) this.#continue(exchange);
    }, this.#settings.expectContinueTimeout);
  }

  async #pump(exchange: Exchange, stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stream.getReader();
    // With a declared length the bytes go as they are, and must add up to it
    // exactly (RFC 9112 §6.2): a short or long body would desynchronise the
    // connection, so it fails the request instead.
    const length = exchange.request.streamLength;
    let sent = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.closed || exchange.done) {
          await reader.cancel().catch(() => {});
          return;
        }
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new TypeError("body chunks must be Uint8Array");
        if (value.byteLength === 0) continue;
        sent += value.byteLength;
        if (length !== undefined && sent > length) {
          await reader.cancel().catch(() => {});
          throw new RangeError(`the body is longer than its Content-Length ${length}`);
        }
        if (!this.socket!.write(length === undefined ? encodeChunk(value) : value)) {
          await new Promise<void>((wake) => this.#drainWaiters.push(wake));
        }
      }
      if (this.closed) return;
      if (length === undefined) this.socket!.write(encodeLastChunk());
      else if (sent < length) {
        throw new RangeError(`the body ended after ${sent} of its Content-Length ${length} bytes`);
      }
      exchange.bodySent = true;
    } catch (error) {
      this.close(new ClientError("body-error", "the request body failed", error), exchange);
    }
  }

  /** Fails the exchange being read when the server has been silent past its timeout. */
  checkDeadline(now: number): void {
    if (now < this.#deadline || this.closed) return;
    const kind = this.#deadlineKind;
    const ms = kind === "headers" ? this.#settings.headersTimeout : this.#settings.bodyTimeout;
    const message = kind === "headers"
      ? `no response head within ${ms} ms`
      : `no body data within ${ms} ms`;
    this.close(new ClientError(`${kind}-timeout`, message), this.#exchanges[0]);
  }

  #arm(kind: "headers" | "body"): void {
    const ms = kind === "headers" ? this.#settings.headersTimeout : this.#settings.bodyTimeout;
    this.#deadlineKind = kind;
    this.#deadline = ms > 0 ? performance.now() + ms : Infinity;
  }

  #clearTimer(): void {
    this.#deadline = Infinity;
  }
}
