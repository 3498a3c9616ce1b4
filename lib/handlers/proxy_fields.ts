/**
 * The header rules of an intermediary (RFC 9110 §7.6), as pure functions
 * over `Headers`: which fields stop at this hop, the `Via` it adds, and the
 * `Forwarded` (RFC 7239) or `X-Forwarded-*` fields that tell the upstream
 * who the client was.
 *
 * @module
 */

/**
 * How a proxy tells the upstream about the client: RFC 7239 `Forwarded`,
 * the de-facto `X-Forwarded-For`/`-Proto`/`-Host`, or nothing.
 *
 * @example
 * ```ts
 * import type { ForwardedStyle } from "@keepwire/keepwire";
 *
 * const forwarded: ForwardedStyle = "x-forwarded";
 * ```
 */
export type ForwardedStyle = "rfc7239" | "x-forwarded" | "none";

/** What the proxy knows about the downstream side of one request. */
export interface DownstreamFacts {
  /** The client's address (IPv4, IPv6 without brackets, or a socket path). */
  readonly clientAddress: string;
  /**
   * `http` or `https`: how the request reached the proxy — the listener's
   * TLS (`info.secure`), never the scheme of the target the client wrote.
   */
  readonly protocol: string;
  /**
   * The authority the client asked for: its `Host`, or the authority of an
   * absolute-form target, which wins over `Host` (RFC 9112 §3.2.2); see
   * {@linkcode requestedAuthority}.
   */
  readonly host: string;
}

/**
 * The authority a request asked for, from its absolute `url` and its `Host`
 * field: the client's own spelling of `Host` when it names the same authority
 * as the URL, else the URL's. keepwire's server builds `request.url` from an
 * absolute-form target when there is one (whose authority wins over `Host`,
 * RFC 9112 §3.2.2) and from `Host` otherwise, so a `Host` the URL disagrees
 * with was overridden by the target and must not be forwarded as the host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestedAuthority } from "./proxy_fields.ts";
 *
 * assert.equal(requestedAuthority("http://a.example:8080/x", "a.example:8080"), "a.example:8080");
 * // `GET http://b.example/ HTTP/1.1` with `Host: a.example`: the target wins.
 * assert.equal(requestedAuthority("http://b.example/", "a.example"), "b.example");
 * ```
 *
 * @param url the request's absolute URL
 * @param host the request's `Host` field, or null without one
 * @returns the authority to report and, unless told otherwise, to send upstream
 */
export function requestedAuthority(url: string, host: string | null): string {
  const start = url.indexOf("//") + 2;
  let end = url.indexOf("/", start);
  if (end === -1) end = url.length;
  if (host !== null && host.length === end - start && url.startsWith(host, start)) return host;
  const authority = url.slice(start, end);
  // The URL's host is lower-cased; the client's spelling of the same one is kept.
  if (host !== null && host.toLowerCase() === authority) return host;
  return authority;
}

/** The `Via` entry this proxy adds (RFC 9110 §7.6.3: received-protocol received-by). */
export const VIA_ENTRY = "1.1 keepwire";

// RFC 9110 §7.6.1: these are meaningful for one connection only. Proxy-*
// fields (Proxy-Authorization, Proxy-Connection) are for the proxy itself.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "te",
  "transfer-encoding",
  "upgrade",
  "trailer",
]);

/**
 * Copies `source` without the hop-by-hop fields: `Connection` and every
 * field it names, `Keep-Alive`, `TE`, `Transfer-Encoding`, `Upgrade`,
 * `Trailer` and `Proxy-*` (RFC 9110 §7.6.1). `Host` is left to the caller.
 *
 * @example
 * ```ts
 * import { withoutHopByHop } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = withoutHopByHop(
 *   new Headers({ connection: "close, x-secret", "x-secret": "1", "keep-alive": "timeout=5", a: "b" }),
 * );
 * assert.deepEqual([...headers], [["a", "b"]]);
 * ```
 *
 * @param source the fields as received
 * @returns a new `Headers` with only the end-to-end fields
 */
export function withoutHopByHop(source: Headers): Headers {
  const named = new Set<string>();
  const connection = source.get("connection");
  if (connection !== null) {
    for (const token of connection.split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "") named.add(name);
    }
  }
  const result = new Headers();
  for (const [name, value] of source) {
    if (HOP_BY_HOP.has(name) || named.has(name) || name.startsWith("proxy-")) continue;
    if (name === "set-cookie") continue; // appended one by one below
    result.append(name, value);
  }
  for (const cookie of source.getSetCookie?.() ?? []) {
    if (!named.has("set-cookie")) result.append("set-cookie", cookie);
  }
  return result;
}

/**
 * Appends this proxy's entry to `Via` (RFC 9110 §7.6.3), keeping earlier hops.
 *
 * @example
 * ```ts
 * import { addVia } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ via: "1.0 fred" });
 * addVia(headers);
 * assert.equal(headers.get("via"), "1.0 fred, 1.1 keepwire");
 * ```
 *
 * @param headers the fields to change in place
 */
export function addVia(headers: Headers): void {
  const via = headers.get("via");
  headers.set("via", via === null || via === "" ? VIA_ENTRY : `${via}, ${VIA_ENTRY}`);
}

/** RFC 7239 §6: an IPv6 node is bracketed, and anything but a token is quoted. */
function forwardedNode(address: string): string {
  const node = address.includes(":") ? `[${address}]` : address;
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(node) ? node : quoteValue(node);
}

function quoteValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function token(value: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value) ? value : quoteValue(value);
}

/**
 * Adds `Forwarded` (RFC 7239 §4: `for`, `proto`, `host`; appended to an
 * earlier proxy's) or `X-Forwarded-For` (appended), `-Proto` and `-Host`,
 * or nothing, as `style` says.
 *
 * @example
 * ```ts
 * import { addForwarded } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers();
 * addForwarded(headers, "rfc7239", { clientAddress: "::1", protocol: "http", host: "example.com" });
 * assert.equal(headers.get("forwarded"), 'for="[::1]";proto=http;host=example.com');
 * ```
 *
 * @param headers the request fields to change in place
 * @param style which fields to write
 * @param facts the client's address, protocol and Host
 */
export function addForwarded(
  headers: Headers,
  style: ForwardedStyle,
  facts: DownstreamFacts,
): void {
  if (style === "none") return;
  if (style === "rfc7239") {
    const element = `for=${forwardedNode(facts.clientAddress)};proto=${token(facts.protocol)}` +
      (facts.host === "" ? "" : `;host=${token(facts.host)}`);
    const earlier = headers.get("forwarded");
    headers.set(
      "forwarded",
      earlier === null || earlier === "" ? element : `${earlier}, ${element}`,
    );
    return;
  }
  const earlier = headers.get("x-forwarded-for");
  headers.set(
    "x-forwarded-for",
    earlier === null || earlier === "" ? facts.clientAddress : `${earlier}, ${facts.clientAddress}`,
  );
  headers.set("x-forwarded-proto", facts.protocol);
  if (facts.host !== "") headers.set("x-forwarded-host", facts.host);
}

// ---- Flat field lists ([name, value, …], names lower-case) -----------------
// The proxy's per-request path: a list is built once and handed to the
// client and to the response as it is, instead of a `Headers` per step.

function connectionNamed(named: Set<string>, value: string): void {
  for (const token of value.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "") named.add(name);
  }
}

function isHopByHop(name: string, named: Set<string> | null): boolean {
  return HOP_BY_HOP.has(name) || (named !== null && named.has(name)) ||
    name.startsWith("proxy-");
}

/**
 * {@linkcode withoutHopByHop} to a flat list: the end-to-end fields of
 * `source` as `[name, value, …]`, in `Headers` order, without the names in
 * `skip` (fields the caller writes itself).
 *
 * @example
 * ```ts
 * import { endToEndFieldList } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = endToEndFieldList(
 *   new Headers({ connection: "x-secret", "x-secret": "1", host: "h", a: "b" }),
 *   ["host"],
 * );
 * assert.deepEqual(fields, ["a", "b"]);
 * ```
 *
 * @param source the fields as received
 * @param skip lower-case names left out as well
 * @returns a new flat list with only the end-to-end fields
 */
export function endToEndFieldList(source: Headers, skip: readonly string[] = []): string[] {
  const connection = source.get("connection");
  let named: Set<string> | null = null;
  if (connection !== null) connectionNamed(named = new Set(), connection);
  const result: string[] = [];
  for (const [name, value] of source) {
    if (isHopByHop(name, named) || skip.includes(name)) continue;
    if (name === "set-cookie") continue; // appended one by one below
    result.push(name, value);
  }
  if (named === null || !named.has("set-cookie")) {
    for (const cookie of source.getSetCookie?.() ?? []) result.push("set-cookie", cookie);
  }
  return result;
}

/**
 * The end-to-end fields of a flat list as received (`[name, value, …]`, any
 * case), names lower-cased, in arrival order, without the names in `skip`;
 * see {@linkcode withoutHopByHop}. Lines of one field stay separate lines
 * (RFC 9110 §5.3: the same field as one line joined by commas), as they came.
 *
 * @example
 * ```ts
 * import { endToEndFields } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = endToEndFields(["Connection", "close", "Keep-Alive", "timeout=5", "A", "b"]);
 * assert.deepEqual(fields, ["a", "b"]);
 * assert.deepEqual(endToEndFields(["Host", "h", "A", "b"], ["host"]), ["a", "b"]);
 * ```
 *
 * @param fields the fields as received
 * @param skip lower-case names left out as well (fields the caller writes itself)
 * @returns a new flat list with only the end-to-end fields
 */
export function endToEndFields(fields: readonly string[], skip: readonly string[] = []): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i].length === 10 && fields[i].toLowerCase() === "connection") {
      connectionNamed(named ??= new Set(), fields[i + 1]);
    }
  }
  const result: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i].toLowerCase();
    if (!isHopByHop(name, named) && !skip.includes(name)) result.push(name, fields[i + 1]);
  }
  return result;
}

/**
 * Appends `entry` to the field `name` of a flat list (lower-case names), as
 * `Headers.set(name, earlier + ", " + entry)` would: every earlier line of
 * it joined into one, or `entry` alone.
 *
 * @example
 * ```ts
 * import { appendToField, VIA_ENTRY } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = ["via", "1.0 fred", "a", "b"];
 * appendToField(fields, "via", VIA_ENTRY);
 * assert.deepEqual(fields, ["a", "b", "via", "1.0 fred, 1.1 keepwire"]);
 * ```
 *
 * @param fields the flat list to change in place
 * @param name the lower-case field name
 * @param entry the value to add
 */
export function appendToField(fields: string[], name: string, entry: string): void {
  let earlier: string | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== name) continue;
    earlier = earlier === null ? fields[i + 1] : `${earlier}, ${fields[i + 1]}`;
    fields.splice(i, 2);
    i -= 2;
  }
  fields.push(name, earlier === null || earlier === "" ? entry : `${earlier}, ${entry}`);
}

/** Sets the field `name` of a flat list to `value`, replacing every earlier line of it. */
function setField(fields: string[], name: string, value: string): void {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === name) {
      fields.splice(i, 2);
      i -= 2;
    }
  }
  fields.push(name, value);
}

/**
 * {@linkcode addForwarded} on a flat list (lower-case names).
 *
 * @example
 * ```ts
 * import { addForwardedField } from "./proxy_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const fields: string[] = [];
 * addForwardedField(fields, "rfc7239", { clientAddress: "::1", protocol: "http", host: "example.com" });
 * assert.deepEqual(fields, ["forwarded", 'for="[::1]";proto=http;host=example.com']);
 * ```
 *
 * @param fields the request fields to change in place
 * @param style which fields to write
 * @param facts the client's address, protocol and Host
 */
export function addForwardedField(
  fields: string[],
  style: ForwardedStyle,
  facts: DownstreamFacts,
): void {
  if (style === "none") return;
  if (style === "rfc7239") {
    appendToField(fields, "forwarded", forwardedElement(facts));
    return;
  }
  appendToField(fields, "x-forwarded-for", facts.clientAddress);
  setField(fields, "x-forwarded-proto", facts.protocol);
  if (facts.host !== "") setField(fields, "x-forwarded-host", facts.host);
}

// The facts of consecutive requests are mostly the same (one client, one
// Host): the last element is kept rather than checked and quoted again.
let lastFacts: DownstreamFacts = { clientAddress: "", protocol: "", host: "" };
let lastElement = "";

/** The RFC 7239 §4 element `for=…;proto=…;host=…` for `facts`. */
function forwardedElement(facts: DownstreamFacts): string {
  if (
    facts.clientAddress !== lastFacts.clientAddress || facts.protocol !== lastFacts.protocol ||
    facts.host !== lastFacts.host || lastElement === ""
  ) {
    lastElement = `for=${forwardedNode(facts.clientAddress)};proto=${token(facts.protocol)}` +
      (facts.host === "" ? "" : `;host=${token(facts.host)}`);
    lastFacts = { ...facts };
  }
  return lastElement;
}

/** Whether a flat list (lower-case names) has the field `name`. */
export function hasField(fields: readonly string[], name: string): boolean {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return true;
  return false;
}

/** Removes every line of the field `name` from a flat list (lower-case names). */
export function removeField(fields: string[], name: string): void {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === name) {
      fields.splice(i, 2);
      i -= 2;
    }
  }
}
