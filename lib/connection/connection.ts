/**
 * One persistent connection: parse requests as bytes arrive, hand each to
 * the handler, answer strictly in request order, and close by the rules of
 * RFC 9112 §9.
 *
 * It is its own {@linkcode ConnectionState} (`state.ts` explains the
 * model); this class moves it, between a {@linkcode RequestReader} (the
 * parser and its pump) and a {@linkcode ResponseQueue} (responses in order,
 * the reuse decision, one output batch). Its HTTP side — a head starts an
 * exchange in named steps, and the reader's and the queue's events — is its
 * base, {@linkcode ConnectionExchanges} (`connection_exchanges.ts`); this
 * file is the socket's side: its events, the timers, shutdown, going idle,
 * the lingering close, and the handoff to another protocol. Timers are not
 * per connection: the server sweeps every connection a few times a second
 * and calls {@linkcode Connection.tick}.
 *
 * Where later features hook in: `#abandon` is the one path by which
 * exchanges end without their response (the connection closed under them);
 * `upgraded` hands the connection to another protocol, taking the reader's
 * buffered bytes where `closePolitely` would close.
 *
 * @module
 */

import { clientGone, serverClosed } from "./exchange_outcome.ts";
import { type Exchange, LINGER_TIMEOUT } from "./exchange.ts";
import { causeOfSocketClose } from "./close_cause.ts";
import type { CloseCause } from "./observer.ts";
import type { Transport, TransportHandler } from "../transport.ts";
import type { UpgradeHandoff } from "./upgrade.ts";
import { UpgradedStreams } from "./upgraded_streams.ts";
import { ConnectionExchanges, type ConnectionHost } from "./connection_exchanges.ts";

export type { ConnectionHost };

/**
 * The lifecycle of one accepted socket. It is its own {@linkcode ConnectionState}
 * (the reader and the queue share it): one object less on every idle connection.
 * Its HTTP side — heads, exchanges, the reader's and the queue's events — is
 * {@linkcode ConnectionExchanges}, its base.
 */
export class Connection extends ConnectionExchanges implements TransportHandler {
  readonly openedAt: number;
  /** When the connection last became idle. */
  #idleSince: number;
  #lingerDeadline = 0;
  /** Set when this side closes the socket: the reason in-flight requests abort with. */
  #closedByServer: DOMException | null = null;
  /** Set once an upgrade is carried out: the connection's bytes are the new protocol's. */
  #upgraded: { handoff: UpgradeHandoff; streams: UpgradedStreams } | null = null;

  constructor(id: number, transport: Transport, host: ConnectionHost, now: number) {
    super(id, transport, host);
    this.openedAt = now;
    this.#idleSince = now;
  }

  /** `idle` between requests, `busy` in an exchange, `closing` once no further request will be read. */
  get state(): "idle" | "busy" | "closing" | "upgraded" {
    if (this.#upgraded !== null && this.lifecycle === "open") return "upgraded";
    if (this.lifecycle !== "open" || this.keepAlive === "off") return "closing";
    return this.#isIdle() ? "idle" : "busy";
  }

  /** Milliseconds since the connection went idle, or -1 when busy or closing. */
  idleFor(now: number): number {
    return this.state === "idle" ? now - this.#idleSince : -1;
  }

  // ---- socket events -------------------------------------------------------

  onData(chunk: Uint8Array): void {
    if (this.#upgraded !== null) return this.#upgraded.streams.push(chunk);
    // Lingering, or past the last request: discard what the peer still sends.
    if (this.lifecycle !== "open" || this.reading === "closed") return;
    // Whatever this read's requests are answered with at once leaves in one write.
    const output = this.queue.output;
    output.hold();
    try {
      this.reader.push(chunk);
    } finally {
      output.release();
    }
  }

  onEnd(): void {
    this.input = "ended";
    this.cause ??= "client_close";
    if (this.#upgraded !== null) {
      this.#upgraded.streams.end();
      if (this.lifecycle === "lingering") this.#destroy();
      return;
    }
    if (this.lifecycle === "lingering") return this.#destroy();
    if (this.lifecycle !== "open") return;
    // Deno.serve and Bun.serve treat the peer's FIN as the client leaving:
    // the requests in flight abort, and a body being streamed stops. A
    // client that only half-closed still gets what its handler answers.
    this.queueOrNull?.abortAll(clientGone());
    // Without a reader nothing is buffered: there is nothing to finish. Past
    // the last request, or after a malformed one, nothing more is parsed (and
    // the parser would throw its malformed request's error again).
    if (this.reading !== "closed") this.readerOrNull?.finish();
    // Nothing more can arrive: answer what was read, then close.
    this.disableKeepAlive();
    this.closeIfDone();
  }

  onDrain(): void {
    this.#upgraded?.streams.drained();
    this.queueOrNull?.output.drained();
  }

  onClose(error?: unknown): void {
    if (this.lifecycle === "closed") return;
    this.lifecycle = "closed";
    this.cause ??= causeOfSocketClose(error);
    this.closeReading();
    this.#abandon(
      error ?? new Error("connection closed"),
      this.#closedByServer ?? clientGone(error),
    );
    this.queueOrNull?.output.closed();
    this.#upgraded?.streams.closed(error);
    this.host.connectionClosed(this);
  }

  // ---- timers (called by the server's sweep) ---------------------------------

  /** Applies idle, headers, body, send and linger timeouts. */
  tick(now: number): void {
    const settings = this.host.settings;
    const lifecycle = this.lifecycle;
    if (lifecycle === "lingering" && now >= this.#lingerDeadline) this.#destroy();
    // An upgraded connection's timers are its new protocol's.
    if (lifecycle !== "open" || this.#upgraded !== null) return;
    // A peer that stops reading would hold responses in memory forever.
    const blockedSince = this.queueOrNull?.output.blockedSince ?? 0;
    if (blockedSince !== 0 && now - blockedSince >= settings.sendTimeout) {
      this.cause ??= "send_timeout";
      return this.#destroy();
    }
    if (this.state === "idle") {
      // RFC 9112 §9.8: close idle connections; never before the advertised timeout.
      if (now - this.#idleSince >= settings.keepAliveTimeout) {
        this.cause ??= "idle_timeout";
        this.closePolitely(false);
      } else this.#dropBusyParts();
      return;
    }
    const overdue = this.reader.overdue(now, settings);
    if (overdue !== null) this.failRequest(overdue);
  }

  /** Graceful shutdown: idle connections close now, busy ones after their in-flight responses. */
  shutdown(): void {
    if (this.lifecycle !== "open") return;
    this.cause ??= "shutdown";
    if (this.#upgraded !== null) return this.#upgraded.handoff.shutdown();
    const idle = this.#isIdle();
    this.disableKeepAlive();
    if (idle) this.closePolitely(false);
    else this.closeIfDone();
  }

  /** Closes at once, losing whatever is in flight (shutdown deadline, eviction). */
  destroy(cause: CloseCause = "error"): void {
    this.cause ??= cause;
    this.#destroy();
  }

  // ---- idle ------------------------------------------------------------------

  #isIdle(): boolean {
    return this.reading === "head" && (this.queueOrNull?.length ?? 0) === 0 &&
      this.writing === "idle" && (this.readerOrNull?.atRest ?? true);
  }

  /** Idle: the reader and the queue go, unless something is still in them. */
  #dropBusyParts(): void {
    if (this.readerOrNull?.holdsNothing === false || this.queueOrNull?.holdsNothing === false) {
      return;
    }
    this.readerOrNull = null;
    this.queueOrNull = null;
  }

  // ---- the handoff to another protocol ----------------------------------------

  /**
   * The `101` is written (RFC 9110 §7.8): HTTP ends here. No request is
   * parsed any more; the bytes already read past the upgrade request's head
   * go first to the new protocol, then everything that arrives; nothing
   * after it in the pipeline is dispatched.
   */
  upgraded(_exchange: Exchange, handoff: UpgradeHandoff): void {
    this.closeReading();
    this.disableKeepAlive();
    this.upgradeRequest = null;
    this.queue.abandon(new Error("the connection was upgraded"), serverClosed());
    const streams = new UpgradedStreams(
      this.transport,
      this.reader.takeBuffered(),
      () => this.#upgradeFinished(),
    );
    this.reader.failBody(new Error("the connection was upgraded"));
    this.#upgraded = { handoff, streams };
    this.reader.resumeInput();
    if (this.input === "ended") streams.end();
    handoff.accept(streams.duplex);
  }

  /**
   * The new protocol is done both ways and its FIN is on its way: linger
   * for the peer's FIN (a bounded time, then close), as after a last
   * HTTP response.
   */
  #upgradeFinished(): void {
    if (this.lifecycle !== "open") return;
    this.lifecycle = "lingering";
    this.#lingerDeadline = Date.now() + LINGER_TIMEOUT;
    if (this.input === "ended") this.#destroy();
  }

  // ---- between exchanges, and closing -------------------------------------------

  /** After a response: close if nothing more will come, else go idle or parse what the pipeline holds. */
  afterExchange(): void {
    if (this.lifecycle !== "open" || this.closeIfDone()) return;
    if (this.#isIdle()) {
      this.#idleSince = Date.now();
      this.host.onConnectionEvent?.({ type: "idle", id: this.id, time: this.#idleSince });
    }
    this.reader.pump();
    this.reader.releaseIfIdle();
  }

  /** Closes once reading is over and every response is written. Returns whether it did. */
  protected closeIfDone(): boolean {
    if (
      this.reading !== "closed" || (this.queueOrNull?.length ?? 0) !== 0 ||
      this.writing !== "idle"
    ) {
      return false;
    }
    this.closePolitely();
    return true;
  }

  /**
   * The exchanges in flight end without their response: the connection is
   * closing or gone. Their bodies error with `reason`; their signals abort
   * (and streamed responses are cancelled) with `abortReason`.
   */
  #abandon(reason: unknown, abortReason: DOMException): void {
    this.queueOrNull?.abandon(reason, abortReason);
    this.readerOrNull?.failBody(reason);
  }

  /**
   * Lingering close (RFC 9112 §9.6): half-close, keep reading and discarding
   * for a while, then close. Closing with unread input would make the kernel
   * send a reset, which can destroy the response before the client reads it.
   */
  protected closePolitely(linger = true): void {
    if (this.lifecycle !== "open") return;
    this.lifecycle = "lingering";
    this.closeReading();
    // After a response the peer may still be sending (a pipeline, a body):
    // linger. An idle close owes nothing unread, so the next sweep ends it.
    this.#lingerDeadline = Date.now() + (linger ? LINGER_TIMEOUT : 0);
    this.#abandon(new Error("connection closing"), serverClosed());
    this.queueOrNull?.output.flush();
    this.readerOrNull?.resumeInput();
    this.transport.end();
    if (this.input === "ended") this.#destroy();
  }

  #destroy(): void {
    if (this.lifecycle === "closed") return;
    this.#closedByServer = serverClosed();
    this.transport.close();
    this.onClose();
  }
}
