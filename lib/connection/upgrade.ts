/**
 * The seam between a handler that accepts an upgrade and the connection
 * that carries it out (RFC 9110 §7.8). Fetch cannot build a `101` Response
 * (`new Response(null, { status: 101 })` throws), so the handler returns an
 * ordinary Response marked here; the connection writes the `101` head with
 * the marked fields, stops HTTP, and hands its bytes to the new protocol.
 *
 * @module
 */

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
