/**
 * A raw hand-off for any protocol (RFC 9110 §7.8): the handler accepts an
 * upgrade and gets the connection as a byte stream pair.
 *
 * @module
 */

import { requestsUpgrade, type UpgradedDuplex, upgradeResponse } from "./upgrade.ts";

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

/**
 * Accepts an upgrade to any protocol on keepwire's server: return
 * `response` from the handler, and own `connection` from then on (keepwire
 * writes the `101` with `Upgrade: <protocol>` and `Connection: upgrade`,
 * parses nothing more, and stops its timers for that connection).
 * `protocol` defaults to the request's first `Upgrade` token. Throws
 * `TypeError` when the request asks for no upgrade. `shutdown()` does not
 * know the protocol's way of closing: the connection is destroyed when its
 * timeout ends. For WebSocket use `upgradeWebSocket`.
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
  const offered = request.headers.get("upgrade");
  if (offered === null || !requestsUpgrade(request.headers.get("connection") ?? "")) {
    throw new TypeError("the request does not ask for an upgrade (Connection: upgrade + Upgrade)");
  }
  const protocol = options.protocol ?? offered.split(",")[0].trim();
  let accept!: (duplex: UpgradedDuplex) => void;
  const connection = new Promise<UpgradedDuplex>((resolve) => accept = resolve);
  const response = upgradeResponse({
    headers: [["Upgrade", protocol], ["Connection", "upgrade"]],
    accept,
    shutdown() {},
  });
  return { response, connection };
}
