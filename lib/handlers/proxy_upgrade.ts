/**
 * Upgrade pass-through for the reverse proxy (RFC 9110 §7.8): a request
 * that asks to switch protocols (a WebSocket handshake, say) goes upstream
 * on a connection of its own, never taken from or returned to the pool —
 * after a `101` it no longer carries HTTP, and before one it carries a
 * request the pool's rules do not know.
 *
 * Theory of operation: the upgrade request is written with its `Upgrade`
 * field and `Connection: upgrade` for this hop (both hop-by-hop, so they
 * are set anew rather than copied). When the upstream answers `101`, the
 * proxy answers `101` downstream with the upstream's fields (the
 * handshake's own, such as `Sec-WebSocket-Accept`, pass as they are: the
 * proxy does not speak the new protocol, it relays bytes), and once the
 * server has written it the two connections are joined (`proxy_tunnel.ts`):
 * bytes go both ways with back-pressure until one side closes; the other
 * side is then closed too, after a short linger for its last bytes. Any
 * other answer is relayed as an ordinary response and the dedicated
 * connection closed after it.
 *
 * @module
 */

import { encodeRequestHead } from "../codec/request_writer.ts";
import { ResponseParser } from "../codec/response_parser.ts";
import type { ResponseHead } from "../codec/response_events.ts";
import { requestsUpgrade, upgradeResponse } from "../connection/upgrade.ts";
import { ClientError } from "../client/errors.ts";
import {
  CertificateError,
  type ConnectFunction,
  type ConnectOptions,
  type Transport,
  type TransportHandler,
} from "../transport.ts";
import { addVia, withoutHopByHop } from "./proxy_fields.ts";
import { relayTunnel, type TunnelUpstream } from "./proxy_tunnel.ts";

/**
 * Whether a request asks to switch protocols in a way the proxy can pass
 * through: HTTP/1.1 (RFC 9110 §7.8 does not apply to 1.0), `Connection:
 * upgrade` with an `Upgrade` field, and no body (keepwire's server takes an
 * upgrade only then).
 *
 * @example
 * ```ts
 * import { asksForUpgrade } from "./proxy_upgrade.ts";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://x/ws", {
 *   headers: { connection: "keep-alive, Upgrade", upgrade: "websocket" },
 * });
 * assert.equal(asksForUpgrade(request, "1.1"), true);
 * assert.equal(asksForUpgrade(request, "1.0"), false);
 * ```
 *
 * @param request the downstream request
 * @param httpVersion its HTTP version
 */
export function asksForUpgrade(request: Request, httpVersion: string): boolean {
  // The fields first: reading `body` builds a light request's real Request,
  // which every proxied request would pay for.
  return httpVersion === "1.1" && request.headers.has("upgrade") &&
    requestsUpgrade(request.headers.get("connection") ?? "") && request.body === null;
}

/** One upgrade request to send upstream on a dedicated connection. */
export interface UpgradeRequest {
  /** Opens the connection. */
  readonly connect: ConnectFunction;
  /** Where (and with which TLS settings) to connect. */
  readonly target: ConnectOptions;
  readonly method: string;
  /** The request-target (origin-form). */
  readonly path: string;
  /** The `Host` to send. */
  readonly host: string;
  /** The end-to-end fields, `Via` and `Forwarded` already added. */
  readonly headers: Headers;
  /** The `Upgrade` field as the client sent it. */
  readonly upgrade: string;
  /** Longest wait for the connection and then for the response head, in ms. */
  readonly timeout: number;
  /** Aborts when the downstream client leaves. */
  readonly signal: AbortSignal;
  /** Settles when the downstream response has been written (or could not be). */
  readonly completed: Promise<void>;
}

/**
 * Sends an upgrade request upstream on a connection of its own. Resolves
 * with the response to give the server: a `101` that joins the two
 * connections once written, or the upstream's ordinary answer. Rejects with
 * a {@linkcode ClientError} (`connect-failed`, `connect-timeout`,
 * `certificate-error`, `headers-timeout`, `connection-closed`,
 * `protocol-error`) as the pooled client would.
 *
 * @param request what to send, and where
 * @returns the response for the downstream client
 */
export async function forwardUpgrade(request: UpgradeRequest): Promise<Response> {
  const upstream = new UpstreamConnection();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the close rejects the head: the answer is 504, not 502.
      reject(new ClientError("headers-timeout", `no answer within ${request.timeout} ms`));
      upstream.close();
    }, request.timeout);
  });
  const onAbort = () => upstream.close();
  request.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const attempt = request.connect(request.target, upstream);
    try {
      upstream.attach(await Promise.race([attempt, timeout]));
    } catch (error) {
      // Timed out: a connection that opens later is closed at once.
      attempt.then((transport) => transport.close(), () => {});
      if (error instanceof ClientError) throw error;
      if (error instanceof CertificateError) {
        const { hostname, port } = request.target;
        const origin = `https://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
        throw new ClientError("certificate-error", `${origin}: ${error.message}`, error.cause);
      }
      throw new ClientError("connect-failed", "cannot connect for the upgrade", error);
    }
    upstream.send(request);
    const head = await Promise.race([upstream.head, timeout]);
    if (head.status !== 101) return upstream.ordinaryResponse(head);
    return upstream.switchedResponse(head, request.completed);
  } catch (error) {
    upstream.close();
    throw error;
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}

/** The dedicated upstream connection: an HTTP exchange, then maybe a tunnel. */
class UpstreamConnection implements TransportHandler, TunnelUpstream {
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

  constructor() {
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

  send(request: UpgradeRequest): void {
    if (this.#phase === "closed") return;
    const fields: string[] = ["host", request.host];
    for (const [name, value] of request.headers) fields.push(name, value);
    fields.push("connection", "upgrade", "upgrade", request.upgrade);
    this.#parser.expect(request.method, { upgrade: true });
    this.transport!.write(encodeRequestHead({
      method: request.method,
      target: request.path,
      headers: fields,
      framing: { kind: "none" },
    }));
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
    const upgrade = headerOf(head.headers, "upgrade");
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
    this.transport?.close();
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
        if (event.type === "head") {
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

function headerOf(flat: readonly string[], lowerName: string): string {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i].toLowerCase() === lowerName) return flat[i + 1];
  }
  return "";
}
