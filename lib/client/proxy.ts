/**
 * Forward proxies for the client, sans-IO: a proxy URL read into what the
 * wire needs, the `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` conventions
 * read into one decision per request URL, and nothing else. Connecting,
 * `CONNECT` and TLS live in the client and the runtime files.
 *
 * The environment is read only when the user asks (`proxy: "env"`), as
 * undici's `EnvHttpProxyAgent` and Node 24's `NODE_USE_ENV_PROXY` do:
 * reading it unasked would route traffic by whatever a parent process left
 * there. The conventions (there is no standard) follow curl and undici:
 *
 * - `http_proxy` before `HTTP_PROXY`, `https_proxy` before `HTTPS_PROXY`
 *   (lower case first, as curl); an empty value is unset. An `https:` URL
 *   with no HTTPS proxy uses the HTTP one (undici); an `http:` URL never
 *   uses the HTTPS one.
 * - A proxy written without a scheme (`proxy:3128`) is `http://proxy:3128`
 *   (curl, Go). Only `http:` proxies are supported.
 * - `NO_PROXY` / `no_proxy` is a list split on commas and spaces: `*`
 *   matches every host; a name matches itself and every subdomain
 *   (`example.com` matches `api.example.com`, not `badexample.com`); a
 *   leading `.` or `*.` is dropped (curl); `name:port` matches only that
 *   port; an IP address (IPv6 with or without brackets) matches only
 *   itself. Names are compared without case.
 *
 * @module
 */

/**
 * A forward proxy as the client uses it.
 *
 * @example
 * ```ts
 * import { parseProxyUrl } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const proxy = parseProxyUrl("http://me:secret@proxy.example:3128");
 * assert.equal(proxy.origin, "http://proxy.example:3128");
 * assert.equal(proxy.authorization, `Basic ${btoa("me:secret")}`);
 * ```
 */
export interface ProxyEndpoint {
  /** `http://host:port`, without credentials: names the proxy in errors. */
  readonly origin: string;
  /** Host name or IP address to connect to (an IPv6 address without brackets). */
  readonly hostname: string;
  /** TCP port (80 when the URL gives none). */
  readonly port: number;
  /** `Basic …` made from the URL's credentials (RFC 9110 §11.7.2, RFC 7617), or null. */
  readonly authorization: string | null;
}

/**
 * What `proxy: "env"` read: the proxy for each scheme and the exceptions.
 *
 * @example
 * ```ts
 * import { proxyEnvironment, proxyForUrl } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const env: Record<string, string> = { HTTP_PROXY: "http://proxy:3128", NO_PROXY: "localhost" };
 * const environment = proxyEnvironment((name) => env[name]);
 * assert.equal(proxyForUrl(new URL("https://example.com/"), environment)?.port, 3128);
 * assert.equal(proxyForUrl(new URL("http://localhost:8080/"), environment), null);
 * ```
 */
export interface ProxyEnvironment {
  /** The proxy for `http:` URLs, from `http_proxy` / `HTTP_PROXY`. */
  readonly http: ProxyEndpoint | null;
  /** The proxy for `https:` URLs, from `https_proxy` / `HTTPS_PROXY`, else the HTTP one. */
  readonly https: ProxyEndpoint | null;
  /** Hosts reached directly, from `no_proxy` / `NO_PROXY`. */
  readonly noProxy: NoProxyList;
}

/**
 * The environment variables `proxy: "env"` reads, lower case first in each
 * pair. On Deno, grant them with `--allow-env=` and this list.
 *
 * @example
 * ```ts
 * import { PROXY_ENV_NAMES } from "@keepwire/keepwire";
 *
 * console.log(`deno run --allow-net --allow-env=${PROXY_ENV_NAMES.join(",")} app.ts`);
 * ```
 */
export const PROXY_ENV_NAMES: readonly string[] = [
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  "no_proxy",
  "NO_PROXY",
];

const encoder = new TextEncoder();

/**
 * Reads a proxy URL. Throws `TypeError` naming `option` unless it is an
 * `http:` URL with a host; a path, query or fragment is ignored.
 *
 * @param value the proxy URL, e.g. `"http://user:pass@proxy:3128"`
 * @param option the option or variable named in the error
 * @returns where to connect, and the `Proxy-Authorization` to send
 *
 * @example
 * ```ts
 * import { parseProxyUrl } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseProxyUrl("http://[::1]:8888").hostname, "::1");
 * assert.throws(() => parseProxyUrl("socks5://proxy:1080"), TypeError);
 * ```
 */
export function parseProxyUrl(value: string | URL, option = "proxy"): ProxyEndpoint {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new TypeError(
      `${option} must be a proxy URL such as "http://proxy.example:3128", got ${
        JSON.stringify(String(value))
      }`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:") {
    throw new TypeError(
      `${option}: only http: proxies are supported (https: targets go through a CONNECT tunnel ` +
        `to an http: proxy), got ${url.protocol}`,
    );
  }
  if (url.hostname === "") throw new TypeError(`${option}: the proxy URL has no host`);
  const port = url.port === "" ? 80 : Number(url.port);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let authorization: string | null = null;
  if (url.username !== "" || url.password !== "") {
    // RFC 7617 §2.1: user-id ":" password, UTF-8 (§2.1 charset), base64.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    let binary = "";
    for (const byte of encoder.encode(credentials)) binary += String.fromCharCode(byte);
    authorization = `Basic ${btoa(binary)}`;
  }
  return { origin: `http://${url.hostname}:${port}`, hostname, port, authorization };
}

/**
 * Reads the proxy variables through `read` (which returns `undefined` for
 * an unset one). Throws `TypeError` naming the variable when one holds
 * something that is not a proxy URL.
 *
 * @param read looks one variable up, e.g. `(name) => process.env[name]`
 * @returns the proxies and exceptions, to pass to {@linkcode proxyForUrl}
 *
 * @example
 * ```ts
 * import { proxyEnvironment } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const environment = proxyEnvironment((name) => (name === "https_proxy" ? "proxy:3128" : undefined));
 * assert.equal(environment.http, null);
 * assert.equal(environment.https?.origin, "http://proxy:3128");
 * ```
 */
export function proxyEnvironment(read: (name: string) => string | undefined): ProxyEnvironment {
  const variable = (lower: string, upper: string) => {
    const lowerValue = read(lower);
    if (lowerValue !== undefined && lowerValue.trim() !== "") return [lower, lowerValue.trim()];
    const upperValue = read(upper);
    if (upperValue !== undefined && upperValue.trim() !== "") return [upper, upperValue.trim()];
    return undefined;
  };
  const endpoint = (found: string[] | undefined) => {
    if (found === undefined) return null;
    const [name, value] = found;
    return parseProxyUrl(value.includes("://") ? value : `http://${value}`, name);
  };
  const http = endpoint(variable("http_proxy", "HTTP_PROXY"));
  const https = endpoint(variable("https_proxy", "HTTPS_PROXY")) ?? http;
  const noProxy = new NoProxyList(variable("no_proxy", "NO_PROXY")?.[1] ?? "");
  return { http, https, noProxy };
}

/**
 * The proxy a request to `url` goes through under `environment`, or null
 * for a direct connection (no proxy for its scheme, or `NO_PROXY` names it).
 *
 * @param url the request URL
 * @param environment from {@linkcode proxyEnvironment}
 * @returns the proxy, or null
 *
 * @example
 * ```ts
 * import { proxyEnvironment, proxyForUrl } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const environment = proxyEnvironment((name) => (name === "HTTP_PROXY" ? "http://p:3128" : undefined));
 * assert.equal(proxyForUrl(new URL("http://example.com/"), environment)?.origin, "http://p:3128");
 * ```
 */
export function proxyForUrl(url: URL, environment: ProxyEnvironment): ProxyEndpoint | null {
  const proxy = url.protocol === "https:" ? environment.https : environment.http;
  if (proxy === null || environment.noProxy.matches(url)) return null;
  return proxy;
}

interface NoProxyEntry {
  /** Lower case; an IPv6 address without brackets. */
  readonly host: string;
  /** True for an IP address, which matches only itself. */
  readonly exact: boolean;
  /** The only port matched, or null for any. */
  readonly port: number | null;
}

/**
 * A `NO_PROXY` list: which hosts are reached directly (see the module
 * documentation for the rules).
 *
 * @example
 * ```ts
 * import { NoProxyList } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const list = new NoProxyList("localhost, .internal.example, 10.0.0.1, example.org:8443");
 * assert.ok(list.matches(new URL("http://localhost:3000/")));
 * assert.ok(list.matches(new URL("https://api.internal.example/")));
 * assert.ok(list.matches(new URL("https://example.org:8443/")));
 * assert.ok(!list.matches(new URL("https://example.org/")));
 * ```
 */
export class NoProxyList {
  /** True when the list holds `*`: nothing goes through the proxy. */
  readonly all: boolean;
  readonly #entries: readonly NoProxyEntry[];

  /**
   * Reads a `NO_PROXY` value.
   *
   * @param value the list, entries split on commas and white space
   */
  constructor(value: string) {
    const entries: NoProxyEntry[] = [];
    let all = false;
    for (const raw of value.split(/[\s,]+/)) {
      if (raw === "") continue;
      if (raw === "*") {
        all = true;
        continue;
      }
      const entry = parseEntry(raw.toLowerCase());
      if (entry !== null) entries.push(entry);
    }
    this.all = all;
    this.#entries = entries;
  }

  /** True when a request to `url` must not go through the proxy. */
  matches(url: URL): boolean {
    if (this.all) return true;
    const bracketed = url.hostname.startsWith("[");
    const host = (bracketed ? url.hostname.slice(1, -1) : url.hostname).replace(/\.$/, "");
    const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    const isAddress = bracketed || IPV4.test(host);
    for (const entry of this.#entries) {
      if (entry.port !== null && entry.port !== port) continue;
      if (host === entry.host) return true;
      // A name covers its subdomains; the dot keeps example.com from
      // matching badexample.com. An address has no subdomains.
      if (!entry.exact && !isAddress && host.endsWith(`.${entry.host}`)) return true;
    }
    return false;
  }
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function parseEntry(text: string): NoProxyEntry | null {
  let host = text;
  let port: number | null = null;
  if (host.startsWith("[")) {
    // [v6] or [v6]:port
    const close = host.indexOf("]");
    if (close === -1) return null;
    const rest = host.slice(close + 1);
    host = host.slice(1, close);
    if (rest !== "") {
      if (!/^:\d+$/.test(rest)) return null;
      port = Number(rest.slice(1));
    }
    return { host, exact: true, port };
  }
  const colons = host.split(":").length - 1;
  if (colons > 1) return { host, exact: true, port: null }; // a bare IPv6 address
  if (colons === 1) {
    const at = host.indexOf(":");
    const portText = host.slice(at + 1);
    if (!/^\d+$/.test(portText)) return null;
    port = Number(portText);
    host = host.slice(0, at);
  }
  // curl: a leading dot (or "*.") is dropped; the name still covers its subdomains.
  host = host.replace(/^\*?\./, "").replace(/\.$/, "");
  if (host === "") return null;
  return { host, exact: IPV4.test(host), port };
}
