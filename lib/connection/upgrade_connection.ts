/**
 * A raw hand-off for any protocol (RFC 9110 §7.8): the handler accepts an
 * upgrade and gets the connection as a byte stream pair.
 *
 * @module
 */

import { UpgradeRefusedError } from "../codec/upgrade_refused.ts";
import {
  requestsUpgrade,
  type UpgradedDuplex,
  upgradeFactsOf,
  upgradeResponse,
} from "./upgrade.ts";

/**
 * The outcome of {@linkcode upgradeConnection}.
 *
 * @example
 * ```ts
 * import { type ConnectionUpgrade, upgradeConnection } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const upgrade: ConnectionUpgrade = upgradeConnection(new Request("http://localhost/", {
 *   headers: { connection: "upgrade", upgrade: "my-protocol" },
 * }));
 * assert.equal(upgrade.response.headers.get("upgrade"), null); // the 101's fields are keepwire's
 * ```
 */
export interface ConnectionUpgrade {
  /** Return this from the handler: keepwire writes it as `101 Switching Protocols`. */
  readonly response: Response;
  /**
   * The connection, once the `101` is written: `readable` starts with the
   * bytes that arrived after the request's head; closing `writable`
   * half-closes the socket. Stays pending if the connection closes first.
   */
  readonly connection: Promise<{
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
  }>;
}

/** The tokens of an `Upgrade` field (RFC 9110 §7.8: `protocol-name ["/" protocol-version]`). */
function offeredProtocols(value: string | null): string[] {
  if (value === null) return [];
  return value.split(",").map((token) => token.trim()).filter((token) => token !== "");
}

/**
 * Accepts an upgrade to any protocol on keepwire's server: return
 * `response` from the handler, and own `connection` from then on (keepwire
 * writes the `101` with `Upgrade: <protocol>` and `Connection: upgrade`,
 * parses nothing more, and stops its timers for that connection).
 * `protocol` defaults to the request's first `Upgrade` token, and must be
 * one the client offered (RFC 9110 §7.8). Any method may upgrade.
 *
 * Throws {@linkcode UpgradeRefusedError} (left uncaught, keepwire's server
 * answers it as it says): 426 with `Upgrade: <protocol>` when the request
 * does not offer `protocol` or is HTTP/1.0 (whose Upgrade a server MUST
 * ignore, §7.8); 400 when it asks for no upgrade at all (and no `protocol`
 * is named), or has content (keepwire does not read content in HTTP before
 * switching). `shutdown()` does not know the protocol's way of closing: the
 * connection is destroyed when its timeout ends. For WebSocket use
 * `upgradeWebSocket`.
 *
 * @example
 * ```ts
 * import { serve, upgradeConnection } from "@keepwire/keepwire";
 *
 * const server = await serve({ port: 0, onListen() {} }, (request) => {
 *   const { response, connection } = upgradeConnection(request, { protocol: "echo" });
 *   // Echo every byte back until the peer closes.
 *   connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
 *   return response;
 * });
 * await server.shutdown();
 * ```
 */
export function upgradeConnection(
  request: Request,
  options: { protocol?: string } = {},
): ConnectionUpgrade {
  const offered = offeredProtocols(request.headers.get("upgrade"));
  const asked = offered.length > 0 && requestsUpgrade(request.headers.get("connection") ?? "");
  const protocol = options.protocol ?? offered[0];
  const required = (code: string, message: string) =>
    new UpgradeRefusedError(426, code, message, [["Upgrade", protocol], ["Connection", "upgrade"]]);
  if (protocol === undefined) {
    throw new UpgradeRefusedError(
      400,
      "no-upgrade-requested",
      "the request asks for no upgrade (Connection: upgrade + Upgrade)",
    );
  }
  if (!asked) throw required("no-upgrade-requested", `this resource needs Upgrade: ${protocol}`);
  const facts = upgradeFactsOf(request);
  if (facts?.httpVersion === "1.0") {
    throw required("http-version", "an upgrade needs HTTP/1.1 (RFC 9110 §7.8)");
  }
  // RFC 9110 §7.8: "A server MUST NOT switch to a protocol that was not
  // indicated by the client". Protocol names compare case-insensitively.
  const name = protocol.toLowerCase();
  if (!offered.some((token) => token.toLowerCase() === name)) {
    throw required("not-offered", `the client did not offer ${protocol}`);
  }
  if (facts?.hasContent) {
    throw new UpgradeRefusedError(
      400,
      "request-content",
      "keepwire does not switch protocols after request content",
    );
  }
  let accept!: (duplex: UpgradedDuplex) => void;
  const connection = new Promise<UpgradedDuplex>((resolve) => accept = resolve);
  const response = upgradeResponse({
    headers: [["Upgrade", protocol], ["Connection", "upgrade"]],
    accept,
    shutdown() {},
  });
  return { response, connection };
}
