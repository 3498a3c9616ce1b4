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
 * connection closed after it. The connection itself, its exchange and its
 * phases, is `proxy_upgrade_connection.ts`. Which upstream, and the 502/504
 * when it fails, are the proxy's own (`proxy.ts`), shared with pooled
 * requests.
 *
 * @module
 */

import type { ServeInfo } from "../connection/options.ts";
import { requestsUpgrade } from "../connection/upgrade.ts";
import { ClientError } from "../client/errors.ts";
import { connectForRuntime } from "../runtime/detect.ts";
import { CertificateError, type ConnectFunction, type ConnectOptions } from "../transport.ts";
import { addForwarded, addVia, type ForwardedStyle, withoutHopByHop } from "./proxy_fields.ts";
import { passInterim } from "./proxy_response.ts";
import { type UpgradeHead, UpstreamConnection } from "./proxy_upgrade_connection.ts";
import { splitTarget } from "./target.ts";

/** How many dedicated connections an upstream has open, and has opened. */
export interface TunnelCounts {
  tunnels: number;
  tunnelsOpened: number;
}

/** An upstream as the upgrade path needs it. */
export interface UpgradeUpstream extends TunnelCounts {
  /** Where a dedicated connection goes. */
  readonly target: ConnectOptions;
  /** The path prefix without a trailing slash ("" for none). */
  readonly prefix: string;
}

/**
 * Tries the request on upstreams in the proxy's order: `exchange` on the
 * one picked (with the `Host` to send), and if that fails, once more on
 * another when the failure allows it, else a 502 or 504; `answer` turns a
 * success into the downstream response.
 */
export type UpstreamDispatch = <T>(
  body: ReadableStream<Uint8Array> | null,
  downstreamHost: string,
  exchange: (upstream: UpgradeUpstream, host: string) => Promise<T>,
  answer: (value: T) => Response | Promise<Response>,
) => Promise<Response>;

/** What the proxy lends its upgrade path: settings, and its way of trying upstreams. */
export interface UpgradeContext {
  readonly forwarded: ForwardedStyle;
  /** Longest wait for the connection and then for the response head, in ms. */
  readonly timeout: number;
  readonly dispatch: UpstreamDispatch;
}

// Runtime sockets for the dedicated upgrade connections, loaded on the first one.
let runtimeConnect: Promise<ConnectFunction> | undefined;

/**
 * Whether a request asks to switch protocols in a way the proxy can pass
 * through: HTTP/1.1 (RFC 9110 §7.8 does not apply to 1.0) with `Connection:
 * upgrade` and an `Upgrade` field. One with content is passed through too:
 * the content goes upstream first, and the switch happens only if the
 * upstream answers `101` (a server may ignore Upgrade and answer as usual).
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
  return httpVersion === "1.1" && request.headers.has("upgrade") &&
    requestsUpgrade(request.headers.get("connection") ?? "");
}

/** One upgrade request to send upstream on a dedicated connection. */
export interface UpgradeRequest extends UpgradeHead {
  /** Opens the connection. */
  readonly connect: ConnectFunction;
  /** Where (and with which TLS settings) to connect. */
  readonly target: ConnectOptions;
  /** Longest wait for the connection and then for the response head, in ms. */
  readonly timeout: number;
  /** Aborts when the downstream client leaves. */
  readonly signal: AbortSignal;
  /** Settles when the downstream response has been written (or could not be). */
  readonly completed: Promise<void>;
  /** The upstream's counts: the connection is one of its tunnels until it closes. */
  readonly counts: TunnelCounts;
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
  const counts = request.counts;
  counts.tunnels++;
  counts.tunnelsOpened++;
  const upstream = new UpstreamConnection(() => counts.tunnels--);
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
    // RFC 9110 §7.8: the new protocol starts after the request's content,
    // so all of it goes upstream before the client hears the switch.
    await Promise.race([upstream.bodySent, timeout]);
    return upstream.switchedResponse(head, request.completed);
  } catch (error) {
    upstream.close();
    throw error;
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The proxy's answer to a request to switch protocols (WebSocket): the
 * request goes upstream on a dedicated connection; a `101` joins the two
 * connections, any other answer is passed on with the fields of an
 * intermediary (RFC 9110 §7.6).
 *
 * @param request the downstream request ({@linkcode asksForUpgrade} said yes)
 * @param info the server's facts about it
 * @param downstreamHost the `Host` the client sent
 * @param context the proxy's settings and upstream dispatch
 */
export async function forwardUpgradeRequest(
  request: Request,
  info: ServeInfo,
  downstreamHost: string,
  context: UpgradeContext,
): Promise<Response> {
  const upgrade = request.headers.get("upgrade")!;
  const headers = withoutHopByHop(request.headers);
  headers.delete("expect");
  headers.delete("host");
  addVia(headers);
  addForwarded(headers, context.forwarded, {
    clientAddress: info.remoteAddr.hostname,
    protocol: info.secure === true ? "https" : "http", // the connection's, not the target's
    host: downstreamHost,
  });
  const { path, query } = splitTarget(request.url);
  const target = query === "" ? path : `${path}?${query}`;
  const body = request.method === "GET" || request.method === "HEAD" ? null : request.body;
  const declared = headers.get("content-length");
  if (body === null) headers.delete("content-length");
  return await context.dispatch(
    body,
    downstreamHost,
    async (upstream, host) =>
      await forwardUpgrade({
        connect: await (runtimeConnect ??= connectForRuntime()),
        target: upstream.target,
        method: request.method,
        path: upstream.prefix + target,
        host,
        headers,
        upgrade,
        timeout: context.timeout,
        signal: request.signal,
        completed: info.completed,
        counts: upstream,
        onInterim: (interim) => passInterim(info, interim),
        body,
        // A body that came with Content-Length goes with it (the server has
        // checked the field); one that came chunked goes chunked.
        bodyLength: body === null ? undefined : contentLength(declared),
      }),
    async (response) => {
      if (response.status === 101) return response; // the tunnel's own, fields relayed
      const responseHeaders = withoutHopByHop(response.headers);
      addVia(responseHeaders);
      const noBody = response.status === 204 || response.status === 205 ||
        response.status === 304 || request.method === "HEAD";
      if (noBody) await response.body?.cancel().catch(() => {});
      return new Response(noBody ? null : response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: responseHeaders,
      });
    },
  );
}

/**
 * The length a request's `Content-Length` declares, or undefined (send it
 * chunked). The server has already refused differing values; identical
 * repeated ones (RFC 9112 §6.3) arrive joined as `5, 5` by `Headers`.
 */
function contentLength(declared: string | null): number | undefined {
  if (declared === null) return undefined;
  const values = declared.split(",").map((value) => value.trim());
  if (!/^[0-9]{1,15}$/.test(values[0]) || values.some((value) => value !== values[0])) {
    return undefined;
  }
  return Number(values[0]);
}
