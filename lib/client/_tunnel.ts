/**
 * The client's half of a `CONNECT` tunnel (RFC 9110 §9.3.6), sans-IO: the
 * request to write, and a reader of the proxy's answer that says when the
 * tunnel is open or throws the {@linkcode ClientError} that explains why it
 * is not. The runtime file dials the proxy and moves the bytes (see
 * `TunnelOptions` in `transport.ts`).
 *
 * @module
 */

import { encodeRequestHead } from "../codec/request_writer.ts";
import { ResponseParser } from "../codec/response_parser.ts";
import type { TunnelOptions } from "../transport.ts";
import { ClientError } from "./errors.ts";
import type { ProxyEndpoint } from "./proxy.ts";

/** The answer to CONNECT is a head only; a proxy that sends more is not to be trusted. */
const MAX_ANSWER_HEAD_SIZE = 16 * 1024;

/** One attempt at a tunnel to `authority` through `proxy`. */
export class TunnelHandshake implements TunnelOptions {
  readonly hostname: string;
  readonly port: number;
  readonly request: Uint8Array;
  /** A byte of the proxy's answer has arrived (so the proxy was reached). */
  answered = false;
  #proxy: ProxyEndpoint;
  #authority: string;
  #parser = new ResponseParser({ maxHeaderSize: MAX_ANSWER_HEAD_SIZE });

  /**
   * @param proxy the proxy to dial
   * @param authority the target as `host:port` (RFC 9112 §3.2.3, IPv6 in brackets)
   */
  constructor(proxy: ProxyEndpoint, authority: string) {
    this.hostname = proxy.hostname;
    this.port = proxy.port;
    this.#proxy = proxy;
    this.#authority = authority;
    // RFC 9110 §9.3.6: the request-target is the authority, and Host names
    // it too. Proxy credentials go here only, never inside the tunnel.
    const headers = ["Host", authority];
    if (proxy.authorization !== null) headers.push("Proxy-Authorization", proxy.authorization);
    this.request = encodeRequestHead({
      method: "CONNECT",
      target: authority,
      headers,
      framing: { kind: "none" },
    });
    // A 2xx to CONNECT ends at its head whatever its fields say (RFC 9112
    // §6.3 item 2), as an answer to HEAD does; the parser has no CONNECT
    // role, so it is told HEAD. Any other answer fails the tunnel at its
    // head, so its body is never read.
    this.#parser.expect("HEAD");
  }

  /** Feeds the proxy's bytes; true once the tunnel is open. Throws `ClientError` when refused. */
  readonly onResponse = (chunk: Uint8Array): boolean => {
    this.answered = true;
    const parser = this.#parser;
    try {
      parser.push(chunk);
      for (let event = parser.next(); event !== null; event = parser.next()) {
        if (event.type !== "head") continue; // 1xx interim answers
        if (event.status >= 200 && event.status < 300) {
          if (parser.buffered > 0) {
            throw new ClientError(
              "protocol-error",
              `proxy ${this.#proxy.origin} sent bytes after its answer to CONNECT ${this.#authority}`,
            );
          }
          return true;
        }
        throw this.#refused(event.status, event.statusText);
      }
    } catch (error) {
      if (error instanceof ClientError) throw error;
      throw new ClientError(
        "protocol-error",
        `invalid answer from proxy ${this.#proxy.origin} to CONNECT ${this.#authority}`,
        error,
      );
    }
    return false;
  };

  #refused(status: number, statusText: string): ClientError {
    if (status === 407) return proxyAuthRequired(this.#proxy, `CONNECT ${this.#authority}`);
    return new ClientError(
      "proxy-refused",
      `proxy ${this.#proxy.origin} refused CONNECT ${this.#authority}: ${status} ${statusText}`
        .trimEnd(),
    );
  }
}

/** The error for a proxy's 407 to `request` (`"CONNECT host:port"`, `"GET http://…"`). */
export function proxyAuthRequired(proxy: ProxyEndpoint, request: string): ClientError {
  const hint = proxy.authorization === null
    ? "give credentials in the proxy URL (http://user:password@host:port)"
    : "the credentials in the proxy URL were refused";
  return new ClientError(
    "proxy-auth-required",
    `proxy ${proxy.origin} answered 407 to ${request}: ${hint}`,
  );
}
