/**
 * The dedicated upstream connection of an upgrade through the reverse proxy
 * (`proxy_upgrade.ts`): one HTTP exchange written and parsed here, then,
 * after a `101`, the upstream side of a tunnel (`proxy_tunnel.ts`).
 *
 * Theory of operation: the connection is in one of four phases. In `head`
 * it waits for the response head, pausing the socket once it has one so
 * nothing is read before someone wants it. A non-101 answer moves it to
 * `body`, whose bytes stream with back-pressure, and the connection closes
 * after them. A `101` moves it to `switched`: the bytes after the head, and
 * all later ones, belong to the new protocol and are held (socket paused)
 * until the relay joins the downstream side. `closed` is final; closing
 * rejects whatever still waits.
 *
 * @module
 */

import { encodeChunk, encodeLastChunk } from "../codec/chunks.ts";
import { encodeRequestHead } from "../codec/request_writer.ts";
import { firstFieldValue } from "../codec/field_list.ts";
import { ResponseParser } from "../codec/response_parser.ts";
import type { ResponseHead, ResponseInterim } from "../codec/response_events.ts";
import { upgradeResponse } from "../connection/upgrade.ts";
import { ClientError } from "../client/errors.ts";
import type { Transport, TransportHandler } from "../transport.ts";
import { addVia, withoutHopByHop } from "./proxy_fields.ts";
import { relayTunnel, type TunnelUpstream } from "./proxy_tunnel.ts";

/** The request head an upgrade sends upstream. */
export interface UpgradeHead {
  readonly method: string;
  /** The request-target (origin-form). */
  readonly path: string;
  /** The `Host` to send. */
  readonly host: string;
  /** The end-to-end fields, `Via` and `Forwarded` already added. */
  readonly headers: Headers;
  /** The `Upgrade` field as the client sent it. */
  readonly upgrade: string;
  /** Told of each interim (1xx) response before the final one or the `101`. */
  readonly onInterim: (interim: ResponseInterim) => void;
  /** The request's content, streamed upstream after the head; null for none. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** The content's declared `Content-Length`; undefined: sent chunked. */
  readonly bodyLength: number | undefined;
}

/** The dedicated upstream connection: an HTTP exchange, then maybe a tunnel. */
export class UpstreamConnection implements TransportHandler, TunnelUpstream {
  transport: Transport | null = null;
  readonly head: Promise<ResponseHead>;
  #resolveHead!: (head: ResponseHead) => void;
  #rejectHead!: (error: unknown) => void;
  #parser = new ResponseParser();
  #phase: "head" | "body" | "switched" | "closed" = "head";
  #body: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** After the 101: where upstream bytes go (null until the downstream side is joined). */
  #sink: ((bytes: Uint8Array) => void) | null = null;
  #early: Uint8Array[] = [];
  /** In a tunnel: the upstream side has finished or failed. */
  #upstreamDone: (() => void) | null = null;
  #drainWaiters: (() => void)[] = [];
  #onInterim: ((interim: ResponseInterim) => void) | null = null;
  #bodyReader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Settles when the request's content is all written (at once without any), or failed. */
  bodySent: Promise<void> = Promise.resolve();

  #onClosed: () => void;

  /** @param onClosed runs once, when the connection closes (for any reason) */
  constructor(onClosed: () => void) {
    this.#onClosed = onClosed;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    this.head.catch(() => {});
  }

  /** From the relay: where upstream bytes go once the tunnel is joined. */
  relayTo(sink: (bytes: Uint8Array) => void, done: () => void): void {
    this.#sink = sink;
    this.#upstreamDone = done;
    for (const bytes of this.#early.splice(0)) sink(bytes);
    if (this.#phase === "closed") done();
  }

  write(bytes: Uint8Array): boolean {
    return this.transport?.write(bytes) ?? true;
  }

  end(): void {
    this.transport?.end();
  }

  pause(): void {
    this.transport?.pause();
  }

  resume(): void {
    this.transport?.resume();
  }

  drained(): Promise<void> {
    if (this.#phase === "closed") return Promise.resolve();
    return new Promise((wake) => this.#drainWaiters.push(wake));
  }

  /** The connection is open; if the exchange was given up meanwhile, it closes at once. */
  attach(transport: Transport): void {
    this.transport = transport;
    if (this.#phase === "closed") transport.close();
  }

  send(request: UpgradeHead): void {
    if (this.#phase === "closed") return;
    this.#onInterim = request.onInterim;
    const fields: string[] = ["host", request.host];
    for (const [name, value] of request.headers) fields.push(name, value);
    fields.push("connection", "upgrade", "upgrade", request.upgrade);
    this.#parser.expect(request.method, { upgrade: true });
    const { body, bodyLength } = request;
    this.transport!.write(encodeRequestHead({
      method: request.method,
      target: request.path,
      headers: fields,
      framing: body === null
        ? { kind: "none" }
        : bodyLength !== undefined
        ? { kind: "length", length: bodyLength }
        : { kind: "chunked" },
    }));
    if (body !== null) {
      this.bodySent = this.#sendBody(body, bodyLength);
      this.bodySent.catch(() => {});
    }
  }

  /**
   * Streams the request's content after the head, with back-pressure: its
   * declared length exactly (RFC 9112 §6.2: a short or long body would
   * desynchronise the upstream connection), else chunked.
   */
  async #sendBody(body: ReadableStream<Uint8Array>, length: number | undefined): Promise<void> {
    const reader = this.#bodyReader = body.getReader();
    let sent = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#phase === "closed") {
          throw new ClientError("connection-closed", "the upstream connection closed");
        }
        if (done) break;
        if (value.byteLength === 0) continue;
        sent += value.byteLength;
        if (length !== undefined && sent > length) {
          throw new ClientError(
            "body-error",
            `the body is longer than its Content-Length ${length}`,
          );
        }
        if (!this.write(length === undefined ? encodeChunk(value) : value)) await this.drained();
      }
      if (length === undefined) this.write(encodeLastChunk());
      else if (sent < length) {
        throw new ClientError("body-error", `the body ended after ${sent} of ${length} bytes`);
      }
    } catch (error) {
      reader.cancel(error).catch(() => {});
      throw error instanceof ClientError
        ? error
        : new ClientError("body-error", "the request body failed", error);
    } finally {
      this.#bodyReader = null;
    }
  }

  /** A non-101 answer, fields as received: its body streams, then the connection closes. */
  ordinaryResponse(head: ResponseHead): Response {
    const headers = fieldsOf(head.headers);
    const noBody = head.framing === "none" || head.status === 204 || head.status === 205 ||
      head.status === 304;
    let body: ReadableStream<Uint8Array> | null = null;
    if (noBody) this.close();
    else {
      body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          this.#body = controller;
        },
        pull: () => this.transport?.resume(),
        cancel: () => this.close(),
      }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength });
      this.#phase = "body";
      this.#drain();
    }
    return new Response(body, { status: head.status, statusText: head.statusText, headers });
  }

  /** A 101: the response that makes the server switch, and the join once it has. */
  switchedResponse(head: ResponseHead, completed: Promise<void>): Response {
    const upgrade = firstFieldValue(head.headers, "upgrade") ?? "";
    const relayed: [string, string][] = [["Upgrade", upgrade], ["Connection", "upgrade"]];
    const headers = withoutHopByHop(fieldsOf(head.headers));
    headers.delete("date"); // the server writes its own
    addVia(headers);
    for (const [name, value] of headers) relayed.push([name, value]);
    let joined = false;
    const response = upgradeResponse({
      headers: relayed,
      accept: (duplex) => {
        joined = true;
        relayTunnel(this, duplex);
      },
      // The proxy does not know the protocol's goodbye: closing the upstream
      // side lets the upstream say it, and the tunnel then closes downstream.
      shutdown: () => this.close(),
    });
    // Written as something else (a 500), or not at all: nothing to join.
    const unlessJoined = () => {
      if (!joined) this.close();
    };
    completed.then(unlessJoined, unlessJoined);
    return response;
  }

  close(): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#onClosed();
    this.transport?.close();
    // Its content has nowhere to go now: stop reading it.
    this.#bodyReader?.cancel().catch(() => {});
    const error = new ClientError("connection-closed", "the upstream connection closed");
    this.#rejectHead(error);
    this.#fail(error);
    this.#wake();
    this.#upstreamDone?.();
  }

  onData(chunk: Uint8Array): void {
    if (this.#phase === "switched") return this.#relay(chunk);
    if (this.#phase === "closed") return;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      return this.#protocolError(error);
    }
    this.#drain();
  }

  onEnd(): void {
    // A dialled socket closes once its FIN is read: in a tunnel, that is
    // the upstream saying it is done.
    if (this.#phase === "switched" || this.#phase === "closed") return this.close();
    try {
      this.#parser.finish();
    } catch {
      // #drain reports it.
    }
    this.#drain();
    this.close();
  }

  onDrain(): void {
    this.#wake();
  }

  onClose(error?: unknown): void {
    if (error !== undefined) this.#fail(new ClientError("connection-closed", String(error), error));
    this.close();
  }

  #drain(): void {
    if (this.#phase === "switched" || this.#phase === "closed") return;
    const parser = this.#parser;
    try {
      for (let event = parser.next(); event !== null; event = parser.next()) {
        if (event.type === "interim") this.#onInterim?.(event);
        else if (event.type === "head") {
          if (event.status === 101) return this.#switch(event);
          this.#resolveHead(event);
          // Until the caller has made the body stream, keep the bytes parsed.
          if (this.#phase === "head") return this.transport?.pause();
        } else if (event.type === "data") {
          const body = this.#body!;
          body.enqueue(event.bytes);
          if ((body.desiredSize ?? 1) <= 0) this.transport?.pause();
        } else if (event.type === "end") {
          this.#body?.close();
          this.#body = null;
          return this.close();
        }
      }
    } catch (error) {
      this.#protocolError(error);
    }
  }

  #switch(head: ResponseHead): void {
    this.#phase = "switched";
    const rest = this.#parser.takeBuffered();
    if (rest.byteLength > 0) this.#early.push(rest);
    // Until the downstream side is joined, the upstream waits.
    this.transport?.pause();
    this.#resolveHead(head);
  }

  #relay(bytes: Uint8Array): void {
    if (this.#sink === null) {
      this.#early.push(bytes);
      return this.transport?.pause();
    }
    this.#sink(bytes);
  }

  #protocolError(error: unknown): void {
    const failure = new ClientError("protocol-error", "invalid upstream response", error);
    this.#rejectHead(failure);
    this.#fail(failure);
    this.close();
  }

  #fail(error: unknown): void {
    const body = this.#body;
    this.#body = null;
    body?.error(error);
  }

  #wake(): void {
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }
}

function fieldsOf(flat: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < flat.length; i += 2) headers.append(flat[i], flat[i + 1]);
  return headers;
}
