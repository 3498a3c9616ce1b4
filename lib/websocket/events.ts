/**
 * The events a {@linkcode KeepwireWebSocket} fires: the runtime's own
 * `MessageEvent` and `CloseEvent` where it has them (Node 20 and 22 lack a
 * global `CloseEvent`; a minimal class with the same fields stands in).
 *
 * @module
 */

/**
 * What a `CloseEvent` carries (WHATWG HTML §9.3.5): the close code and reason
 * received, and whether the closing handshake completed.
 *
 * @example
 * ```ts
 * import { createCloseEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const event = createCloseEvent({ code: 1000, reason: "done", wasClean: true });
 * assert.equal(event.type, "close");
 * assert.equal(event.code, 1000);
 * assert.equal(event.wasClean, true);
 * ```
 */
export interface CloseEventLike extends Event {
  /** The close code (1005 none was given, 1006 no Close frame arrived). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** True when both Close frames passed before the connection closed. */
  readonly wasClean: boolean;
}

interface CloseEventInitLike {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The stand-in for runtimes without a global CloseEvent. */
class FallbackCloseEvent extends Event implements CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: CloseEventInitLike = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.wasClean = init.wasClean ?? false;
  }
}

type CloseEventConstructor = new (type: string, init?: CloseEventInitLike) => CloseEventLike;

const CloseEventClass: CloseEventConstructor =
  (globalThis as { CloseEvent?: CloseEventConstructor }).CloseEvent ?? FallbackCloseEvent;

/**
 * A `close` event: the runtime's `CloseEvent` when it has one, else an
 * `Event` with the same `code`, `reason` and `wasClean`.
 *
 * @example
 * ```ts
 * import { createCloseEvent } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const event = createCloseEvent({ code: 1006, reason: "", wasClean: false });
 * assert.ok(event instanceof Event);
 * assert.equal(event.code, 1006);
 * ```
 */
export function createCloseEvent(
  init: { code: number; reason: string; wasClean: boolean },
): CloseEventLike {
  return new CloseEventClass("close", init);
}
