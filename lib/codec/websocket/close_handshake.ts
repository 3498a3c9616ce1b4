/**
 * The closing handshake (RFC 6455 §5.5.1, §7), sans-IO.
 *
 * Theory of operation: each end sends one Close frame and receives one.
 * The end that sends first waits for the answer (`closing`); the end that
 * receives first answers at once with the code it received (§5.5.1: "the
 * endpoint typically echos the status code it received") and both are
 * then `closed`. Once an end has sent its Close it sends no more data
 * frames (§5.5.1). When both Close frames have passed, the server closes
 * the TCP connection first (§7.1.1) and the client waits for that.
 *
 * @module
 */

import { CLOSE_ABNORMAL, type CloseInfo } from "./close.ts";

/**
 * The state of a connection's closing handshake.
 *
 * @example The peer closes first; the reply echoes its code
 * ```ts
 * import { CloseHandshake } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const handshake = new CloseHandshake();
 * assert.deepEqual(handshake.receive({ code: 1001, reason: "bye" }), { code: 1001, reason: "" });
 * assert.equal(handshake.state, "closed");
 * assert.equal(handshake.initiator, "remote");
 * assert.deepEqual(handshake.result, { code: 1001, reason: "bye", wasClean: true });
 * ```
 *
 * @example This end closes first
 * ```ts
 * import { CloseHandshake } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const handshake = new CloseHandshake();
 * assert.equal(handshake.send({ code: 1000, reason: "" }), true);
 * assert.equal(handshake.canSendData, false);
 * assert.equal(handshake.state, "closing");
 * assert.equal(handshake.send({ code: 1000, reason: "" }), false); // already sent
 * assert.equal(handshake.receive({ code: 1000, reason: "" }), null); // nothing to answer
 * assert.equal(handshake.state, "closed");
 * ```
 */
export class CloseHandshake {
  #sent: CloseInfo | null = null;
  #received: CloseInfo | null = null;
  #initiator: "local" | "remote" | null = null;

  /** `"open"` before any Close, `"closing"` while one end's Close awaits the other, `"closed"` after both. */
  get state(): "open" | "closing" | "closed" {
    if (this.#sent !== null && this.#received !== null) return "closed";
    return this.#sent === null && this.#received === null ? "open" : "closing";
  }

  /** Which end sent the first Close, or null while open. */
  get initiator(): "local" | "remote" | null {
    return this.#initiator;
  }

  /** The Close this end sent, or null. */
  get sent(): CloseInfo | null {
    return this.#sent;
  }

  /** The Close the peer sent, or null. */
  get received(): CloseInfo | null {
    return this.#received;
  }

  /** False once this end has sent its Close: no data frame may follow it (§5.5.1). */
  get canSendData(): boolean {
    return this.#sent === null;
  }

  /**
   * This end wants to close with `info`. Returns true when a Close frame
   * with it is to be sent now; false when one was already sent (a second
   * Close is never sent).
   */
  send(info: CloseInfo): boolean {
    if (this.#sent !== null) return false;
    this.#sent = info;
    this.#initiator ??= "local";
    return true;
  }

  /**
   * The peer's Close arrived. Returns the Close to answer with (its code
   * echoed, §5.5.1; an empty Close when it carried none, since 1005 is
   * never sent) or null when this end has already sent one.
   */
  receive(info: CloseInfo): CloseInfo | null {
    if (this.#received !== null) return null;
    this.#received = info;
    this.#initiator ??= "remote";
    if (this.#sent !== null) return null;
    const reply = { code: info.code, reason: "" };
    this.#sent = reply;
    return reply;
  }

  /**
   * What to report when the connection is gone (the `close` event, RFC
   * 6455 §7.1.5, §7.1.6): the code and reason of the Close received, and
   * whether both Close frames passed; 1006 and not clean when no Close
   * arrived.
   */
  get result(): { code: number; reason: string; wasClean: boolean } {
    const received = this.#received;
    if (received === null) return { code: CLOSE_ABNORMAL, reason: "", wasClean: false };
    return { code: received.code, reason: received.reason, wasClean: this.#sent !== null };
  }
}
