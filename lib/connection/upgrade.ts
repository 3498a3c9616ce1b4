/**
 * The seam between a handler that accepts an upgrade and the connection
 * that carries it out (RFC 9110 §7.8). Fetch cannot build a `101` Response
 * (`new Response(null, { status: 101 })` throws), so the handler returns an
 * ordinary Response marked here; the connection writes the `101` head with
 * the marked fields, stops HTTP, and hands its bytes to the new protocol.
 *
 * @module
 */

import type { RequestHead } from "../codec/events.ts";
import { UpgradeRefusedError } from "../codec/upgrade_refused.ts";

/** The connection's bytes, handed to the protocol that takes it over. */
export interface UpgradedDuplex {
  /** The peer's bytes, starting with those already read past the request's head. */
  readonly readable: ReadableStream<Uint8Array>;
  /** This end's bytes. Closing it half-closes the connection. */
  readonly writable: WritableStream<Uint8Array>;
}

/** What the connection needs to carry out an accepted upgrade. */
export interface UpgradeHandoff {
  /** The fields of the `101` answer (`Upgrade`, `Connection: upgrade` and the protocol's own). */
  readonly headers: readonly (readonly [string, string])[];
  /** Called once the `101` is written: the new protocol owns the connection from now on. */
  accept(duplex: UpgradedDuplex): void;
  /** The server shuts down: close the way the protocol closes (a WebSocket with 1001). */
  shutdown(): void;
}

const handoffs = new WeakMap<Response, UpgradeHandoff>();

/** A Response standing for `101 Switching Protocols` that the connection carries out. */
export function upgradeResponse(handoff: UpgradeHandoff): Response {
  const response = new Response(null, { status: 200 });
  // What a handler (or a middleware) reads back is the status that goes out.
  Object.defineProperty(response, "status", { value: 101 });
  Object.defineProperty(response, "statusText", { value: "Switching Protocols" });
  handoffs.set(response, handoff);
  return response;
}

/** The hand-off a response carries, if it accepts an upgrade. */
export function handoffOf(response: Response): UpgradeHandoff | undefined {
  return handoffs.get(response);
}

/**
 * Whether the `Connection` field lists `upgrade` (RFC 9110 §7.8): such a
 * request may end HTTP on its connection, so nothing after it is parsed
 * until its answer is known.
 */
export function requestsUpgrade(connection: string): boolean {
  return connection.length >= 7 && /(?:^|[\s,])upgrade(?:$|[\s,])/i.test(connection);
}

/**
 * What the connection knows of an upgrade request that a Fetch `Request`
 * cannot say: its HTTP version and whether it has content.
 */
export interface UpgradeRequestFacts {
  readonly httpVersion: "1.0" | "1.1";
  readonly hasContent: boolean;
}

const requestFacts = new WeakMap<Request, UpgradeRequestFacts>();

/** Whether a request head announces content (RFC 9112 §6.3): chunked, or a length above 0. */
export function headHasContent(head: RequestHead): boolean {
  return head.framing === "chunked" || (head.framing === "length" && head.contentLength > 0);
}

/** Notes the facts of a request that asks for an upgrade, for `upgradeFactsOf`. */
export function recordUpgradeRequest(request: Request, head: RequestHead): void {
  requestFacts.set(request, { httpVersion: head.version, hasContent: headHasContent(head) });
}

/** The facts of an upgrade request read by keepwire's server; undefined for any other. */
export function upgradeFactsOf(request: Request): UpgradeRequestFacts | undefined {
  return requestFacts.get(request);
}

/**
 * The answer to an upgrade keepwire will not carry out: the error's status
 * and fields, and its message as the body.
 */
export function refusedUpgradeResponse(error: UpgradeRefusedError): Response {
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  for (const [name, value] of error.headers) headers.append(name, value);
  return new Response(error.message + "\n", { status: error.status, headers });
}

/**
 * Why a request cannot be switched by a 101, or null when it can (RFC 9110
 * §7.8): an HTTP/1.0 request's Upgrade is ignored (426 naming `protocol`,
 * so the client may retry over HTTP/1.1); content must have been read to
 * its end in HTTP before the switch, since the new protocol starts after
 * it (400 unless `contentRead`: a handler that reads it all, as the
 * reverse proxy does before passing an upstream's 101 on, may switch).
 */
export function refusalOfHead(
  head: RequestHead,
  protocol: string,
  contentRead = false,
): UpgradeRefusedError | null {
  if (head.version !== "1.1") {
    return new UpgradeRefusedError(
      426,
      "http-version",
      "an upgrade needs HTTP/1.1 (RFC 9110 §7.8 ignores Upgrade in HTTP/1.0)",
      [["Upgrade", protocol], ["Connection", "upgrade"]],
    );
  }
  if (headHasContent(head) && !contentRead) {
    return new UpgradeRefusedError(
      400,
      "request-content",
      "keepwire switches protocols after request content only once it is read to its end",
    );
  }
  if (!requestsUpgrade(head.connection)) {
    return new UpgradeRefusedError(400, "no-upgrade-requested", "the request asks for no upgrade");
  }
  return null;
}
