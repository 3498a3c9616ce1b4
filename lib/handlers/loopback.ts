/**
 * Whether a bound address is reachable only from this machine. The live
 * page and its metrics show every visitor's address, so `keepwire serve`
 * turns them on by default only on a loopback address.
 *
 * @module
 */

/**
 * True for `localhost` (RFC 6761 §6.3: it always resolves to loopback, and
 * so do names under `.localhost`), IPv4 127.0.0.0/8 (RFC 1122 §3.2.1.3),
 * IPv6 `::1` in any spelling (RFC 4291 §2.5.3) and IPv4-mapped
 * `::ffff:127.x.y.z`. Square brackets around an IPv6 address are allowed.
 * Everything else, `0.0.0.0` and `::` included (they bind every interface),
 * is not loopback.
 *
 * @example
 * ```ts
 * import { isLoopbackHostname } from "./loopback.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackHostname("127.0.0.1"), true);
 * assert.equal(isLoopbackHostname("[::1]"), true);
 * assert.equal(isLoopbackHostname("0.0.0.0"), false);
 * ```
 *
 * @param hostname the address or name the server binds
 * @returns whether only this machine can reach it
 */
export function isLoopbackHostname(hostname: string): boolean {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isLoopbackIpv4(host)) return true;
  if (!host.includes(":")) return false;
  const groups = expandIpv6(host);
  if (groups === null) return false;
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return true;
  // ::ffff:127.0.0.1, the IPv4-mapped form (RFC 4291 §2.5.5.2).
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff &&
    groups[6] >> 8 === 127;
}

function isLoopbackIpv4(host: string): boolean {
  const parts = host.split(".");
  if (parts.length !== 4) return false;
  if (!parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) return false;
  return Number(parts[0]) === 127;
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2), or null when it is not one. */
function expandIpv6(host: string): number[] | null {
  let text = host.split("%")[0]; // a zone index (fe80::1%eth0) names an interface, not the address
  const tail: number[] = [];
  const dotted = /(?:^|:)([0-9]{1,3}(?:\.[0-9]{1,3}){3})$/.exec(text);
  if (dotted !== null) {
    const bytes = dotted[1].split(".").map(Number);
    if (bytes.some((byte) => byte > 255)) return null;
    tail.push((bytes[0] << 8) | bytes[1], (bytes[2] << 8) | bytes[3]);
    text = text.slice(0, text.length - dotted[1].length);
    if (text.endsWith(":") && !text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string): string[] => part === "" ? [] : part.split(":");
  const head = groupsOf(halves[0]);
  const rest = halves.length === 2 ? groupsOf(halves[1]) : [];
  const want = 8 - tail.length;
  const written = head.length + rest.length;
  if (halves.length === 1 ? written !== want : written > want - 1) return null;
  if (![...head, ...rest].every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const zeros = new Array<number>(want - written).fill(0);
  return [...head, ...zeros, ...rest].map((g) => typeof g === "number" ? g : parseInt(g, 16))
    .concat(tail);
}
