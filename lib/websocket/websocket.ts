/**
 * A WebSocket object (the WHATWG `WebSocket` interface) over any pair of
 * byte streams, so it needs neither a runtime nor keepwire's connection
 * layer: the connection hands it the bytes after the `101`.
 *
 * Theory of operation: one read loop pulls chunks from `readable`, pushes
 * them into a sans-IO {@linkcode MessageReader} and dispatches what comes
 * out; every frame this end sends goes through one {@linkcode FrameSender}
 * (`_sender.ts`) to `writable`. The close handshake is a {@linkcode CloseHandshake}; the
 * only timers are the close timeout and the optional idle ping.
 * `bufferedAmount` counts application bytes handed to `send()` whose frames
 * the writable has not yet accepted, so a slow peer shows there.
 *
 * @module
 */

import { CLOSE_ABNORMAL, CLOSE_NO_STATUS, isValidCloseCode } from "../codec/websocket/close.ts";
import { CloseHandshake } from "../codec/websocket/close_handshake.ts";
import { WebSocketError } from "../codec/websocket/errors.ts";
import { Opcode } from "../codec/websocket/frame_events.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "../codec/websocket/limits.ts";
import { MessageReader } from "../codec/websocket/message_reader.ts";
import { createCloseEvent } from "./events.ts";
import type { ByteDuplex, KeepwireWebSocketOptions } from "./options.ts";
import { PerMessageDeflate } from "./deflate.ts";
import { FrameSender } from "./_sender.ts";
import { inflateMessage, messageData } from "./_message_data.ts";

export type { ByteDuplex, KeepwireWebSocketOptions } from "./options.ts";

/** Where the on* attributes keep their handler. */
type Handler = ((event: Event) => unknown) | null;

const encoder = new TextEncoder();

function domException(message: string, name: string): Error {
  return new DOMException(message, name);
}

/**
 * A standard `WebSocket`-like object over a {@linkcode ByteDuplex}: `onopen`,
 * `onmessage`, `onclose`, `onerror` (and `addEventListener`), `send()`,
 * `close()`, `readyState`, `bufferedAmount`, `binaryType`, `protocol`,
 * `extensions`. Pings are answered automatically.
 *
 * It is created `CONNECTING`; {@linkcode attach} gives it the connection's
 * byte streams (after the `101` was written) and opens it. A handler can
 * therefore set `onmessage` before the connection is handed over.
 *
 * @example Echo over an in-memory connection
 * ```ts
 * import { encodeFrame, FrameReader, KeepwireWebSocket } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const toServer = new TransformStream<Uint8Array, Uint8Array>();
 * const toClient = new TransformStream<Uint8Array, Uint8Array>();
 * const socket = new KeepwireWebSocket();
 * socket.onmessage = (event) => socket.send(`echo: ${event.data}`);
 * socket.attach({ readable: toServer.readable, writable: toClient.writable });
 *
 * const client = toServer.writable.getWriter();
 * const mask = new Uint8Array([1, 2, 3, 4]);
 * await client.write(encodeFrame({ opcode: 0x1, payload: new TextEncoder().encode("hi"), mask }));
 *
 * const reader = new FrameReader({ role: "client" });
 * const incoming = toClient.readable.getReader();
 * let text = "";
 * while (text === "") {
 *   reader.push((await incoming.read()).value!);
 *   for (let event = reader.next(); event !== null; event = reader.next()) {
 *     if (event.type === "data") text += new TextDecoder().decode(event.bytes);
 *   }
 * }
 * assert.equal(text, "echo: hi");
 * socket.close();
 * await client.close();
 * ```
 */
export class KeepwireWebSocket extends EventTarget {
  /** The connection is not yet handed over. */
  static readonly CONNECTING = 0;
  /** Messages flow. */
  static readonly OPEN = 1;
  /** A Close has been sent or received. */
  static readonly CLOSING = 2;
  /** The connection is closed. */
  static readonly CLOSED = 3;
  /** As the static. */
  readonly CONNECTING = 0;
  /** As the static. */
  readonly OPEN = 1;
  /** As the static. */
  readonly CLOSING = 2;
  /** As the static. */
  readonly CLOSED = 3;

  /** The URL given in the options, or `""`. */
  readonly url: string;
  /** The subprotocol in use, or `""`. */
  readonly protocol: string;
  /** The extensions in use (the `Sec-WebSocket-Extensions` answer), or `""`. */
  readonly extensions: string;

  #binaryType: "blob" | "arraybuffer" = "blob";
  #readyState = 0;
  #handlers = new Map<string, Handler>();

  #role: "server" | "client";
  #maxMessageSize: number;
  #idlePingInterval: number;
  #closeTimeout: number;
  #deflate: PerMessageDeflate | null;
  #sender: FrameSender;
  #handshake = new CloseHandshake();
  #reader: MessageReader;
  #input: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #pendingClose: { code: number; reason: string } | null = null;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #heard = false;
  #pingOutstanding = false;
  #failed: unknown = undefined;

  /**
   * Creates a socket that waits, `CONNECTING`, for {@linkcode attach}.
   *
   * @param options the role, negotiated protocol and extensions, limits and timers
   */
  constructor(options: KeepwireWebSocketOptions = {}) {
    super();
    this.#role = options.role ?? "server";
    this.url = options.url ?? "";
    this.protocol = options.protocol ?? "";
    this.extensions = options.deflate?.response ?? "";
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#idlePingInterval = options.idlePingInterval ?? 0;
    this.#closeTimeout = options.closeTimeout ?? 5000;
    this.#deflate = options.deflate ? new PerMessageDeflate(options.deflate, this.#role) : null;
    this.#sender = new FrameSender(this.#role, this.#deflate, {
      fail: (code, error) => this.#fail(code, error),
      broken: () => this.#finish(),
    });
    this.#reader = new MessageReader({
      role: this.#role,
      maxMessageSize: this.#maxMessageSize,
      compression: this.#deflate !== null,
    });
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): number {
    return this.#readyState;
  }

  /** Bytes of data passed to `send()` not yet accepted by the connection. */
  get bufferedAmount(): number {
    return this.#sender.bufferedAmount;
  }

  /** How binary messages are delivered: `"blob"` (the default, as WHATWG) or `"arraybuffer"`. */
  get binaryType(): "blob" | "arraybuffer" {
    return this.#binaryType;
  }
  set binaryType(value: "blob" | "arraybuffer") {
    if (value === "blob" || value === "arraybuffer") this.#binaryType = value;
  }

  /** Handler of `open` events. */
  get onopen(): ((event: Event) => unknown) | null {
    return this.#handlers.get("open") ?? null;
  }
  set onopen(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("open", handler);
  }
  /** Handler of `message` events (`MessageEvent`, `data` a string, `Blob` or `ArrayBuffer`). */
  get onmessage(): ((event: Event) => unknown) | null {
    return this.#handlers.get("message") ?? null;
  }
  set onmessage(handler: ((event: MessageEvent) => unknown) | null) {
    this.#setHandler("message", handler as ((event: Event) => unknown) | null);
  }
  /** Handler of `close` events (`code`, `reason`, `wasClean`). */
  get onclose(): ((event: Event) => unknown) | null {
    return this.#handlers.get("close") ?? null;
  }
  set onclose(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("close", handler);
  }
  /** Handler of `error` events (the connection failed; a `close` follows). */
  get onerror(): ((event: Event) => unknown) | null {
    return this.#handlers.get("error") ?? null;
  }
  set onerror(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("error", handler);
  }

  #setHandler(type: string, handler: Handler): void {
    // As an IDL event handler: one listener, added when first set, that
    // calls whatever the attribute holds when the event fires.
    if (!this.#handlers.has(type)) {
      this.addEventListener(type, (event) => this.#handlers.get(type)?.call(this, event));
    }
    this.#handlers.set(type, typeof handler === "function" ? handler : null);
  }

  /**
   * Hands the socket its connection and opens it: fires `open`, then reads.
   * Called once, by whoever wrote the `101` (for keepwire's server, the
   * connection layer), with the bytes already read past the handshake at
   * the start of `duplex.readable`.
   */
  attach(duplex: ByteDuplex): void {
    if (this.#input !== null || this.#readyState === 3) {
      throw domException("the socket is already attached", "InvalidStateError");
    }
    this.#input = duplex.readable.getReader();
    this.#sender.attach(duplex.writable.getWriter());
    this.#readyState = 1;
    this.dispatchEvent(new Event("open"));
    if (this.#pendingClose !== null) this.close(this.#pendingClose.code, this.#pendingClose.reason);
    if (this.#idlePingInterval > 0 && this.#readyState === 1) this.#startIdlePing();
    void this.#readLoop();
  }

  /**
   * Sends a message: a string as text, anything else as binary. Throws
   * `InvalidStateError` while `CONNECTING`; after `close()` the data is
   * counted in `bufferedAmount` and dropped, as WHATWG says.
   */
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.#readyState === 0) {
      throw domException("the socket is not open yet", "InvalidStateError");
    }
    if (typeof data === "string") {
      const bytes = encoder.encode(data);
      this.#sendMessage(Opcode.Text, bytes.length, () => bytes);
    } else if (data instanceof ArrayBuffer) {
      const bytes = new Uint8Array(data.slice(0));
      this.#sendMessage(Opcode.Binary, bytes.length, () => bytes);
    } else if (ArrayBuffer.isView(data)) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      this.#sendMessage(Opcode.Binary, bytes.length, () => bytes);
    } else if (data instanceof Blob) {
      this.#sendMessage(
        Opcode.Binary,
        data.size,
        async () => new Uint8Array(await data.arrayBuffer()),
      );
    } else {
      throw new TypeError("send() takes a string, ArrayBuffer, ArrayBufferView or Blob");
    }
  }

  /**
   * Starts the closing handshake with `code` and `reason` (at most 123
   * UTF-8 bytes). With neither, the Close carries no code (the peer sees
   * 1005); a reason alone goes with 1000, as WHATWG says. Unlike a
   * browser's `WebSocket`, which allows only 1000 and 3000–4999, a server
   * may also send 1001–1003 and 1007–1014 (1001 going away, 1008 policy
   * violation, 1011 internal error…); others throw `InvalidAccessError`.
   * `close` fires when the peer has answered and the connection is
   * closed, or after `closeTimeout`.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !isValidCloseCode(code)) {
      throw domException(`close code ${code} may not be sent`, "InvalidAccessError");
    }
    if (reason !== undefined && encoder.encode(reason).length > 123) {
      throw domException("a close reason is at most 123 UTF-8 bytes", "SyntaxError");
    }
    if (this.#readyState >= 2) return;
    // WHATWG: a reason without a code closes with 1000.
    const info = code === undefined && !reason
      ? { code: CLOSE_NO_STATUS, reason: "" }
      : { code: code ?? 1000, reason: reason ?? "" };
    if (this.#readyState === 0) {
      this.#pendingClose = info;
      return;
    }
    this.#readyState = 2;
    if (this.#handshake.send(info)) this.#sender.close(info);
    this.#closeTimer = setTimeout(() => this.#finish(), this.#closeTimeout);
  }

  #sendMessage(
    opcode: number,
    size: number,
    payload: () => Uint8Array | Promise<Uint8Array>,
  ): void {
    if (this.#readyState !== 1 || !this.#handshake.canSendData) this.#sender.drop(size);
    else this.#sender.message(opcode, size, payload);
  }

  async #readLoop(): Promise<void> {
    const input = this.#input!;
    try {
      for (;;) {
        const { value, done } = await input.read();
        if (done) break;
        this.#heard = true;
        this.#reader.push(value);
        for (let event = this.#reader.next(); event !== null; event = this.#reader.next()) {
          if (event.type === "message") {
            const data = event.compressed
              ? inflateMessage(this.#deflate!, event, this.#maxMessageSize)
              : event.data;
            this.#deliver(event.kind, data);
          } else if (event.type === "ping") {
            if (this.#readyState === 1) this.#sender.pong(event.payload);
          } else if (event.type === "pong") {
            this.#pingOutstanding = false;
          } else if (event.type === "close") {
            this.#onPeerClose(event);
          }
          if (this.#readyState === 3) return;
        }
      }
    } catch (error) {
      if (error instanceof WebSocketError) return this.#fail(error.closeCode, error);
    }
    // EOF (or a broken stream): without both Close frames this is abnormal (§7.1.5).
    this.#finish();
  }

  #deliver(kind: "text" | "binary", data: Uint8Array): void {
    // WHATWG: messages that arrive after close() was called are dropped.
    if (this.#readyState !== 1) return;
    const value = messageData(kind, data, this.#binaryType);
    this.dispatchEvent(new MessageEvent("message", { data: value, origin: this.url }));
  }

  #onPeerClose(info: { code: number; reason: string }): void {
    const reply = this.#handshake.receive(info);
    if (this.#readyState === 1) this.#readyState = 2;
    if (reply !== null) this.#sender.close(reply);
    // §7.1.1: the server closes the TCP connection first; a client waits
    // for that (bounded by closeTimeout), then closes its side.
    if (this.#role === "server") this.#finish(true);
    else {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = setTimeout(() => this.#finish(), this.#closeTimeout);
    }
  }

  /** Fails the connection (§7.1.7): a Close with `code` if none was sent, then closed. */
  #fail(code: number, error: unknown): void {
    // A Close with this code, unless one was sent; then closed at once.
    if (this.#readyState === 3) return;
    if (this.#handshake.send({ code, reason: "" })) this.#sender.close({ code, reason: "" }, true);
    this.#failed = error;
    this.#finish();
  }

  #startIdlePing(): void {
    this.#pingTimer = setInterval(() => {
      if (this.#heard) {
        this.#heard = false;
        this.#pingOutstanding = false;
      } else if (this.#pingOutstanding) {
        this.#finish(); // a whole interval without a byte after a ping: the peer is gone
      } else if (this.#readyState === 1) {
        this.#pingOutstanding = true;
        this.#sender.ping();
      }
    }, this.#idlePingInterval);
  }

  /**
   * Closes the connection (once) and fires `error` if it failed, then
   * `close`. With `flush` (a completed closing handshake) the messages
   * and Close already queued go out first; otherwise they are dropped.
   */
  #finish(flush = false): void {
    if (this.#readyState === 3) return;
    this.#readyState = 3;
    clearTimeout(this.#closeTimer);
    clearInterval(this.#pingTimer);
    const queue = this.#sender.queue;
    if (flush && queue !== null) queue.then(() => this.#closeTransport());
    else this.#closeTransport();
    const result = this.#failed === undefined
      ? this.#handshake.result
      : { code: CLOSE_ABNORMAL, reason: "", wasClean: false };
    if (this.#failed !== undefined) {
      const event = new Event("error");
      (event as Event & { error?: unknown }).error = this.#failed;
      this.dispatchEvent(event);
    }
    this.dispatchEvent(createCloseEvent(result));
  }

  #closeTransport(): void {
    if (!this.#sender.end()) return;
    this.#input?.cancel().catch(() => {});
  }
}
