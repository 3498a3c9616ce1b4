/**
 * `createProxyHandler()`: a reverse proxy as a Fetch handler for `serve()`,
 * on keepwire's own keep-alive client.
 *
 * Theory of operation: each upstream gets its own client pool, so
 * `upstreamConnections` is exactly the number of connections the proxy
 * holds to it. The pool honours the upstream's `Keep-Alive: timeout` hint
 * and lets a connection go a margin before the upstream would close it, so
 * the classic proxy 502 — reusing a connection the upstream has just timed
 * out — is avoided rather than repaired. When it happens anyway (an
 * upstream without a hint), the client retries idempotent requests once on
 * a fresh connection; the proxy adds no retry of its own, so a POST is
 * never sent twice. The one failure the proxy does route around is a
 * refused connection: the request provably never reached that upstream, so
 * it goes to another one, and the refusing upstream is skipped for a
 * back-off period (passive health).
 *
 * Bodies stream both ways: the downstream request body is the upstream
 * request body, and the upstream response body is the downstream response
 * body, so back-pressure crosses the proxy and nothing is buffered whole. A
 * body that came with `Content-Length` goes upstream with that length; one
 * that came chunked goes chunked. `Expect: 100-continue` is forwarded, and
 * the downstream body is first read — which is what makes keepwire's server
 * send its `100` — when the upstream has said `100` itself (or the
 * client's expect timeout has passed): a final answer instead (417, 401)
 * reaches the client with the body never sent. Every other 1xx the
 * upstream sends (103 Early Hints) is passed on as it arrives
 * (`passInterim`). A request to switch protocols (WebSocket), with or
 * without content, takes a dedicated connection (`proxy_upgrade.ts`),
 * counted as one of the upstream's tunnels until it closes.
 *
 * @module
 */

import type { ServeInfo } from "../connection/options.ts";
import { createClient } from "../client.ts";
import { ClientError, exchangeWithoutFetch, type KeepAliveClient } from "../client/client.ts";
import { type AbortSignalLike, normalizeMethod } from "../client/_prepare.ts";
import type { ExchangeResult } from "../client/_exchange.ts";
import type { ConnectOptions } from "../transport.ts";
import { joinedFieldValue } from "../codec/field_list.ts";
import {
  addForwardedField,
  appendToField,
  endToEndFieldList,
  endToEndFields,
  hasField,
  removeField,
  requestedAuthority,
  VIA_ENTRY,
} from "./proxy_fields.ts";
import { gatewayError, passInterim, passResponse } from "./proxy_response.ts";
import { UpstreamBalancer } from "./proxy_upstreams.ts";
import { positive, type ProxyHandler, type ProxyOptions } from "./proxy_options.ts";
import { asksForUpgrade, forwardUpgradeRequest, type UpgradeContext } from "./proxy_upgrade.ts";
import { splitTarget } from "./target.ts";
import { expectsContinue, smallLength, takeBody } from "./proxy_request_body.ts";
import { lightRequestFields, plainLightRequestUrl } from "../fetch/light_request.ts";
import { type ExchangeAbort, exchangeAbort } from "../connection/exchange_abort.ts";

export type { BalanceStrategy } from "./proxy_upstreams.ts";
export type { ForwardedStyle } from "./proxy_fields.ts";
export type { ProxyHandler, ProxyOptions, UpstreamSnapshot } from "./proxy_options.ts";

interface Upstream {
  readonly url: string;
  /** The origin as a URL, given to the client with each request's target. */
  readonly base: URL;
  readonly origin: string;
  /** The path prefix without a trailing slash ("" for none). */
  readonly prefix: string;
  readonly host: string;
  /** Where a dedicated (upgrade) connection goes. */
  readonly target: ConnectOptions;
  readonly client: KeepAliveClient;
  failures: number;
  /** Dedicated (upgrade) connections open now, and opened so far. */
  tunnels: number;
  tunnelsOpened: number;
}

/** A pooled request as it goes upstream: built once, whichever upstream takes it. */
interface Forwarding {
  readonly request: Request;
  readonly info: ServeInfo;
  readonly method: string;
  /** Origin-form path and query, before the upstream's prefix. */
  readonly target: string;
  /** End-to-end fields plus Via and Forwarded, flat. */
  readonly fields: string[];
  readonly body: ReadableStream<Uint8Array> | null;
  readonly downstreamHost: string;
  readonly expectContinue: boolean;
  /** The declared length of a body small enough to go as bytes when it came whole. */
  readonly wholeLength: number | undefined;
  readonly signal: AbortSignalLike | null;
}

const TIMEOUT_CODES = new Set(["headers-timeout", "body-timeout", "connect-timeout"]);

function parseUpstream(input: string | URL): { url: URL; prefix: string } {
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`upstream ${url.href}: only http: and https: are supported`);
  }
  const prefix = url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
  return { url, prefix };
}

function connectTarget(url: URL, tls: ConnectOptions["tls"]): ConnectOptions {
  const secure = url.protocol === "https:";
  return {
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
    ...(secure ? { tls } : {}),
  };
}

// The client writes these itself (Host from its argument, Expect from
// expectContinue); the rest of the hop-by-hop set goes by RFC 9110 §7.6.1.
const SKIPPED_REQUEST_FIELDS = ["host", "expect"];

/**
 * Creates a reverse proxy handler: each request goes to one of `upstreams`
 * over a pool of keep-alive connections, with the fields of an
 * intermediary (RFC 9110 §7.6: hop-by-hop fields removed both ways, `Via`
 * added, `Forwarded` set, `Host` kept), 502 when the upstream fails and 504
 * when it is too slow. Pass it to `serve()`; call `close()` after the
 * server's shutdown.
 *
 * @param options the upstreams and the pool settings; see {@linkcode ProxyOptions}
 * @returns the handler, with `upstreams()` figures and `close()`
 *
 * @example A proxy in front of an app server
 * ```ts
 * import { createProxyHandler, serve } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const app = await serve({ port: 0, hostname: "127.0.0.1" }, (request) =>
 *   new Response(`${request.headers.get("via")} ${request.headers.get("host")}`),
 * );
 * const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, proxy);
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await response.text(), `1.1 keepwire 127.0.0.1:${server.addr.port}`);
 * assert.equal(response.headers.get("via"), "1.1 keepwire");
 * await server.shutdown();
 * await proxy.close();
 * await app.shutdown();
 * ```
 */
export function createProxyHandler(options: ProxyOptions): ProxyHandler {
  if (options.upstreams.length === 0) throw new TypeError("upstreams: at least one is needed");
  const connections = positive("upstreamConnections", options.upstreamConnections, 32);
  const idleTimeout = positive("upstreamKeepAliveTimeout", options.upstreamKeepAliveTimeout, 4_000);
  const timeout = positive("upstreamTimeout", options.upstreamTimeout, 30_000);
  const forwarded = options.forwarded ?? "rfc7239";
  const changeHost = options.changeHost ?? false;
  const log = options.log ?? ((line: string) => console.error(line));
  const tls = {
    ...(options.upstreamCa === undefined ? {} : { ca: options.upstreamCa }),
    ...(options.upstreamInsecure === true ? { rejectUnauthorized: false } : {}),
  };
  const upstreams: Upstream[] = options.upstreams.map((input) => {
    const { url, prefix } = parseUpstream(input);
    return {
      url: url.href,
      base: new URL(url.origin),
      origin: url.origin,
      prefix,
      host: url.host,
      target: connectTarget(url, tls),
      failures: 0,
      tunnels: 0,
      tunnelsOpened: 0,
      client: createClient({
        maxConnectionsPerOrigin: connections,
        maxConnections: connections,
        idleTimeout,
        // The upstream knows its own idle timeout: its hint decides, and
        // idleTimeout covers upstreams that send none (issue 17).
        keepAliveHint: "sets",
        headersTimeout: timeout,
        bodyTimeout: timeout,
        connectTimeout: Math.min(10_000, timeout),
        ...tls,
        // Bytes pass through as the upstream coded them, and the downstream
        // client's own Accept-Encoding is what the upstream sees.
        decompress: false,
      }),
    };
  });
  const balancer = new UpstreamBalancer(upstreams.length, options.balance ?? "round-robin");
  const busy = (index: number): number => {
    const upstream = upstreams[index];
    const stats = upstream.client.stats;
    // A tunnel is a connection kept busy until it closes (as nginx's least_conn counts it).
    return stats.open - stats.idle + stats.queued + upstream.tunnels;
  };

  /**
   * An upstream exchange failed: the 502/504 to answer, or null when the
   * request may go to another upstream (`mayRetry`: first try, body unread).
   */
  function failed(error: unknown, index: number, mayRetry: boolean): Response | null {
    const upstream = upstreams[index];
    const code = error instanceof ClientError ? error.code : "error";
    if (code === "connect-failed" || code === "certificate-error") {
      const now = performance.now();
      if (code === "certificate-error" && balancer.health[index].downUntil <= now) {
        // Once per back-off period: a misconfigured CA is not fixed by
        // trying again, and a line per request would bury the reason.
        log(`keepwire proxy: upstream certificate refused (502): ${(error as Error).message}`);
      }
      balancer.refused(index, now);
      // Never connected: the request did not reach this upstream, so
      // another one may take it, if its body is still unread.
      if (mayRetry && upstreams.length > 1) return null;
    }
    upstream.failures++;
    return gatewayError(TIMEOUT_CODES.has(code) ? 504 : 502, `${upstream.origin}: ${code}`);
  }

  /**
   * Not an async function, and one `await` per request below it
   * ({@linkcode forwardPooled}): each async layer between the upstream's
   * response and the server costs a microtask turn and a promise. A throw
   * comes back as a rejection, as from an async function.
   */
  function forward(request: Request, info: ServeInfo): Promise<Response> {
    try {
      return forwardRequest(request, info);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function forwardRequest(request: Request, info: ServeInfo): Promise<Response> {
    // The fields as the server parsed them, while nothing has built the
    // request's Headers (keepwire's light request): no Headers per request.
    const flat = lightRequestFields(request);
    const downstreamHost = requestedAuthority(
      request.url,
      flat === null ? request.headers.get("host") : joinedFieldValue(flat, "host"),
    );
    const upgrade = flat === null
      ? request.headers.get("upgrade")
      : joinedFieldValue(flat, "upgrade");
    if (upgrade !== null && asksForUpgrade(request, info.httpVersion)) {
      return forwardUpgradeRequest(request, info, downstreamHost, upgradeContext);
    }
    const expectContinue = expectsContinue(
      flat === null ? request.headers.get("expect") : joinedFieldValue(flat, "expect"),
      info,
    );
    // Scheme, path and query as Request.url serializes them; a plain URL
    // is that already, with no URL to parse.
    const url = plainLightRequestUrl(request) ?? request.url;
    // One flat field list, built once: the client writes it as it is.
    // Host, Expect and the framing fields are the client's to write; a
    // Content-Length stays as the length of a streamed body.
    const fields = flat === null
      ? endToEndFieldList(request.headers, SKIPPED_REQUEST_FIELDS)
      : endToEndFields(flat, SKIPPED_REQUEST_FIELDS);
    appendToField(fields, "via", VIA_ENTRY);
    addForwardedField(fields, forwarded, {
      clientAddress: info.remoteAddr.hostname,
      // The connection's scheme, not the target's: a plain-HTTP client may
      // write an absolute-form `https://` target (RFC 9112 §3.2.2).
      protocol: info.secure === true ? "https" : "http",
      host: downstreamHost,
    });
    const body = request.method === "GET" || request.method === "HEAD" ? null : request.body;
    if (body === null) removeField(fields, "content-length");
    // A small body with its length declared goes as bytes when it came
    // whole (takeBody); one that waits for 100-continue stays unread until
    // the upstream asks for it.
    const wholeLength = body === null || expectContinue
      ? undefined
      : smallLength(joinedFieldValue(fields, "content-length"));
    // What fetch() adds when the caller sets none (the client did so here before).
    if (!hasField(fields, "accept")) fields.push("accept", "*/*");
    const { path, query } = splitTarget(url);
    return forwardPooled({
      request,
      info,
      method: normalizeMethod(request.method),
      target: query === "" ? path : `${path}?${query}`,
      fields,
      body,
      downstreamHost,
      expectContinue: expectContinue && body !== null,
      wholeLength,
      // The server exchange's own abort when the request is still the
      // server's own (light, untouched): the same fate as request.signal,
      // without an AbortController per request. A request a middleware
      // built brings its own signal, which must be obeyed.
      signal: flat === null
        ? request.signal
        : (info as { [exchangeAbort]?: ExchangeAbort })[exchangeAbort] ?? request.signal,
    });
  }

  /**
   * A request over an upstream's pool, as {@linkcode dispatch} runs one
   * (the same choice of upstream, the same failures), written out so that
   * the upstream's response reaches the server one microtask turn after
   * the client has it.
   */
  async function forwardPooled(forwarding: Forwarding): Promise<Response> {
    const { info } = forwarding;
    const body = forwarding.wholeLength === undefined
      ? forwarding.body
      : await takeBody(forwarding.body!, forwarding.wholeLength);
    let tried = -1;
    for (;;) {
      const index = balancer.pick(performance.now(), busy, tried);
      const upstream = upstreams[index];
      let result: ExchangeResult;
      try {
        result = await upstream.client[exchangeWithoutFetch](
          // `target` is the server's normalised one (Request.url), sent as
          // it is under the upstream's path prefix: no URL to parse per
          // request. The client left: stop the upstream exchange too (its
          // connection is closed, not drained) instead of fetching for no one.
          {
            url: upstream.base,
            target: upstream.prefix + forwarding.target,
            method: forwarding.method,
            headers: forwarding.fields,
            body,
            signal: forwarding.signal,
            redirect: "manual",
            onInterim: (interim) => passInterim(info, interim),
          },
          changeHost ? upstream.host : forwarding.downstreamHost,
          forwarding.expectContinue,
        );
        const status = result.head.status;
        if (status > 599 || status < 200) {
          if (result.body instanceof ReadableStream) void result.body.cancel().catch(() => {});
          throw status > 599
            ? new ClientError("protocol-error", `status ${status} cannot be a Fetch Response`)
            : new RangeError(`status ${status} cannot be a Fetch Response`);
        }
      } catch (error) {
        const unread = body instanceof ReadableStream ? !body.locked : true;
        const answer = failed(error, index, tried === -1 && unread);
        if (answer !== null) return answer;
        tried = index;
        continue;
      }
      balancer.answered(index);
      return passResponse(result, forwarding.request.method === "HEAD");
    }
  }

  /**
   * The way an upgrade request meets the upstreams (a pooled one goes the
   * same way, in {@linkcode forwardPooled}): pick
   * one, run `exchange` on it, and on failure answer by {@linkcode failed}
   * (502/504), or go on to another upstream when the request provably never
   * reached this one and its body is unread.
   */
  async function dispatch<T>(
    body: ReadableStream<Uint8Array> | null,
    downstreamHost: string,
    exchange: (upstream: Upstream, host: string) => Promise<T>,
    answer: (value: T) => Response | Promise<Response>,
  ): Promise<Response> {
    let tried = -1;
    for (;;) {
      const index = balancer.pick(performance.now(), busy, tried);
      const upstream = upstreams[index];
      let value: T;
      try {
        value = await exchange(upstream, changeHost ? upstream.host : downstreamHost);
      } catch (error) {
        const unread = body instanceof ReadableStream ? !body.locked : true;
        const answer = failed(error, index, tried === -1 && unread);
        if (answer !== null) return answer;
        tried = index;
        continue;
      }
      balancer.answered(index);
      return await answer(value);
    }
  }

  const upgradeContext: UpgradeContext = { forwarded, timeout, dispatch };

  const handler = ((request: Request, info: ServeInfo) => forward(request, info)) as ProxyHandler;
  handler.upstreams = () =>
    upstreams.map((upstream, index) => {
      const stats = upstream.client.stats;
      return {
        url: upstream.url,
        open: stats.open,
        idle: stats.idle,
        queued: stats.queued,
        requests: stats.requests,
        reusedRequests: stats.reusedRequests,
        reuseRatio: stats.requests === 0 ? 0 : stats.reusedRequests / stats.requests,
        connectionsOpened: stats.connectionsOpened,
        staleRetries: stats.retries,
        failures: upstream.failures,
        backingOff: balancer.health[index].downUntil > performance.now(),
        tunnels: upstream.tunnels,
        tunnelsOpened: upstream.tunnelsOpened,
        connections: upstream.client.connections(),
      };
    });
  handler.close = async () => {
    await Promise.all(upstreams.map((upstream) => upstream.client.close()));
  };
  return handler;
}
