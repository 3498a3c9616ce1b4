/**
 * Where a request's connection goes — straight to its origin, to a forward
 * proxy that takes the absolute URI (`http:`), or through a proxy's
 * `CONNECT` tunnel (`https:`) — and the pool key that keeps those apart: a
 * connection made through proxy A is never reused for proxy B, for other
 * proxy credentials, or for a direct request.
 *
 * @module
 */

import { CertificateError, type ConnectOptions, type TlsConnectOptions } from "../transport.ts";
import { ClientError } from "./errors.ts";
import {
  parseProxyUrl,
  PROXY_ENV_NAMES,
  type ProxyEndpoint,
  type ProxyEnvironment,
  proxyEnvironment,
  proxyForUrl,
} from "./proxy.ts";
import { proxyAuthRequired, TunnelHandshake } from "./_tunnel.ts";

export { proxyAuthRequired };

/** A `proxy` option read: no proxy, one proxy, or the environment's choice per URL. */
export type ProxySetting = ProxyEndpoint | ProxyEnvironment | null;

/** The connection a request needs. */
export interface Route {
  /** Requests share connections only when their keys are equal. */
  readonly key: string;
  /** The URL's origin (for messages). */
  readonly origin: string;
  /** The proxy, or null for a direct connection. */
  readonly proxy: ProxyEndpoint | null;
  /** The request-target is the absolute URI and `Proxy-Authorization` goes with each request. */
  readonly absoluteForm: boolean;
  /** Where to connect; through a proxy's tunnel when `tunnelTo` is set. */
  readonly target: ConnectOptions;
  /** The `host:port` to ask the proxy for with CONNECT, or null. */
  readonly tunnelTo: string | null;
}

/**
 * Reads a `proxy` option (client-wide or per request). Throws `TypeError`
 * naming `option` for a value of the wrong type, a URL that is not an
 * `http:` proxy, or (with `"env"`) an environment that cannot be read.
 */
export function readProxyOption(value: unknown, option: string): ProxySetting {
  if (value === undefined || value === false) return null;
  if (value === "env") return proxyEnvironment(readEnvironmentVariable);
  if (typeof value === "string" || value instanceof URL) return parseProxyUrl(value, option);
  throw new TypeError(
    `${option} must be an http: proxy URL (a string or URL), "env" or false; got ${
      value === null ? "null" : typeof value
    }`,
  );
}

// Every runtime has `process.env` (Deno 2 too). Deno throws NotCapable for a
// variable it was not allowed to read: say which flag lets it.
function readEnvironmentVariable(name: string): string | undefined {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } })
    .process;
  try {
    return process?.env?.[name];
  } catch (error) {
    throw new TypeError(
      `proxy: "env" reads ${PROXY_ENV_NAMES.join(", ")}, and reading ${name} was denied ` +
        `(${error instanceof Error ? error.message : String(error)}). On Deno, run with ` +
        `--allow-env=${PROXY_ENV_NAMES.join(",")}.`,
      { cause: error },
    );
  }
}

/** The proxy `setting` picks for `url`, or null to go direct. */
export function proxyFor(url: URL, setting: ProxySetting): ProxyEndpoint | null {
  if (setting === null) return null;
  return "noProxy" in setting ? proxyForUrl(url, setting) : setting;
}

/** The route of a request to `url`; `proxy` null for a direct connection. */
export function routeFor(
  url: URL,
  proxy: ProxyEndpoint | null,
  tls: TlsConnectOptions,
  socketPath: string | undefined,
): Route {
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === "https:";
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  // The origin includes the scheme: http: and https: to one host never
  // share a connection.
  const origin = url.origin;
  if (proxy === null) {
    return {
      key: origin,
      origin,
      proxy,
      absoluteForm: false,
      target: {
        hostname,
        port,
        ...(socketPath === undefined ? {} : { path: socketPath }),
        ...(secure ? { tls } : {}),
      },
      tunnelTo: null,
    };
  }
  // Credentials are part of the key: a connection (above all a tunnel)
  // opened with one user's credentials is not lent to another's. The key is
  // shown (client.connections(), the live page), so it names them by number.
  const via = ` via ${proxy.origin}${
    proxy.authorization === null ? "" : ` (credentials #${credentialsId(proxy.authorization)})`
  }`;
  if (!secure) {
    // One pool of connections to the proxy serves every http: origin.
    return {
      key: `http:${via}`,
      origin,
      proxy,
      absoluteForm: true,
      target: { hostname: proxy.hostname, port: proxy.port },
      tunnelTo: null,
    };
  }
  return {
    key: `${origin}${via}`,
    origin,
    proxy,
    absoluteForm: false,
    target: { hostname, port, tls },
    // RFC 9112 §3.2.3: authority-form, an IPv6 address in brackets.
    tunnelTo: `${url.hostname}:${port}`,
  };
}

// One number per distinct Proxy-Authorization value seen in this process:
// keys stay apart without carrying the secret.
const credentialsIds = new Map<string, number>();

function credentialsId(authorization: string): number {
  let id = credentialsIds.get(authorization);
  if (id === undefined) credentialsIds.set(authorization, id = credentialsIds.size + 1);
  return id;
}

/**
 * Proxy-Authorization is for the proxy (RFC 9110 §11.7.2). In absolute-form
 * the proxy URL's credentials replace one the caller set (a caller's own,
 * say a Bearer token, goes when the URL has none). Through a tunnel the
 * proxy sees only the CONNECT, so a caller's would reach the origin: it is
 * dropped.
 */
export function proxyHeaders(headers: string[], route: Route): string[] {
  if (route.proxy === null) return headers;
  const own = route.absoluteForm ? route.proxy.authorization : null;
  if (route.absoluteForm && own === null) return headers;
  const kept = headers.filter((_, i, all) => all[i - (i % 2)] !== "proxy-authorization");
  if (own !== null) kept.push("proxy-authorization", own);
  return kept;
}

/**
 * RFC 9112 §3.2.2: the absolute-form target, the URI without its fragment
 * (`target`: the origin-form part, when the caller has it apart from `url`).
 */
export function absoluteTarget(url: URL, target: string = url.pathname + url.search): string {
  return `${url.protocol}//${url.host}${target}`;
}

/** One connection attempt's options: a tunnel handshake is stateful, so each attempt has its own. */
export function connectAttempt(route: Route): {
  options: ConnectOptions;
  tunnel: TunnelHandshake | null;
} {
  if (route.tunnelTo === null || route.proxy === null) {
    return { options: route.target, tunnel: null };
  }
  const tunnel = new TunnelHandshake(route.proxy, route.tunnelTo);
  return { options: { ...route.target, tunnel }, tunnel };
}

/** Names what could not be reached: the origin, or the proxy on the way to it. */
export function describeTarget(route: Route): string {
  return route.proxy === null
    ? route.origin
    : `${route.origin} through proxy ${route.proxy.origin}`;
}

/** A failed connection attempt as the `ClientError` the caller sees. */
export function connectFailure(
  route: Route,
  tunnel: TunnelHandshake | null,
  error: unknown,
): ClientError {
  if (error instanceof ClientError) return error;
  if (error instanceof CertificateError) {
    return new ClientError("certificate-error", `${route.origin}: ${error.message}`, error.cause);
  }
  const { proxy } = route;
  if (proxy === null) {
    return new ClientError("connect-failed", `cannot connect to ${route.origin}`, error);
  }
  const reason = error instanceof Error ? `: ${error.message}` : "";
  // Until the proxy has answered, the failure is the proxy's.
  const message = tunnel?.answered
    ? `cannot connect to ${route.origin} through proxy ${proxy.origin}${reason}`
    : `cannot connect to proxy ${proxy.origin} (for ${route.origin})${reason}`;
  return new ClientError("connect-failed", message, error);
}
