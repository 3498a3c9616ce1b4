/**
 * An in-memory connection for WebSocket tests: a {@linkcode KeepwireWebSocket}
 * on one end, a raw peer on the other that writes bytes and reads frames
 * with the codec's reader. No sockets; the same cases can later drive a
 * real server over TCP by replacing this peer.
 *
 * @module
 */

import { FrameReader } from "../../lib/codec/websocket/frame_reader.ts";
import type { FrameEvent } from "../../lib/codec/websocket/frame_events.ts";
import { WebSocketError } from "../../lib/codec/websocket/errors.ts";
import type { ByteDuplex } from "../../lib/websocket/websocket.ts";

/** A frame as the peer saw it: data frames whole, payload as bytes. */
export type PeerFrame =
  | { type: "frame"; kind: string; fin: boolean; compressed: boolean; payload: Uint8Array }
  | { type: "ping" | "pong"; payload: Uint8Array }
  | { type: "close"; code: number; reason: string };

/** The raw end of an in-memory connection. */
export class RawPeer {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #frames: FrameReader;
  readonly #queue: (PeerFrame | "eof" | { error: WebSocketError })[] = [];
  #waiters: (() => void)[] = [];
  #current: { kind: string; fin: boolean; compressed: boolean; parts: Uint8Array[] } | null = null;
  /** Resolves when the socket's side of the connection has ended. */
  readonly ended: Promise<void>;

  constructor(duplex: ByteDuplex, role: "server" | "client" = "client", maxMessageSize?: number) {
    this.#writer = duplex.writable.getWriter();
    this.#reader = duplex.readable.getReader();
    this.#frames = new FrameReader({ role, compression: true, maxMessageSize });
    this.ended = this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#frames.push(value);
        for (let event = this.#frames.next(); event !== null; event = this.#frames.next()) {
          this.#record(event);
        }
      }
    } catch (error) {
      if (error instanceof WebSocketError) this.#push({ error });
    }
    this.#push("eof");
  }

  #record(event: FrameEvent): void {
    if (event.type === "frame") {
      this.#current = { kind: event.kind, fin: event.fin, compressed: event.compressed, parts: [] };
    } else if (event.type === "data") {
      this.#current!.parts.push(event.bytes.slice());
    } else if (event.type === "frame-end") {
      const { kind, fin, compressed, parts } = this.#current!;
      const payload = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let at = 0;
      for (const part of parts) {
        payload.set(part, at);
        at += part.length;
      }
      this.#push({ type: "frame", kind, fin, compressed, payload });
    } else {
      this.#push(event);
    }
  }

  #push(item: PeerFrame | "eof" | { error: WebSocketError }): void {
    this.#queue.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Writes raw bytes to the socket. */
  async send(bytes: Uint8Array): Promise<void> {
    await this.#writer.write(bytes);
  }

  /** Ends the peer's side (a FIN). */
  async end(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** The next frame the socket sent, `"eof"` when its side ended, within `timeout` ms. */
  async next(timeout = 2000): Promise<PeerFrame | "eof"> {
    const deadline = Date.now() + timeout;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no frame from the socket in time");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    const item = this.#queue.shift()!;
    if (typeof item === "object" && "error" in item) throw item.error;
    return item;
  }

  /** Every frame until the socket's side ends. */
  async rest(timeout = 2000): Promise<PeerFrame[]> {
    const frames: PeerFrame[] = [];
    for (let item = await this.next(timeout); item !== "eof"; item = await this.next(timeout)) {
      frames.push(item);
    }
    return frames;
  }
}

/** Two byte streams joined both ways: `[socketSide, peerSide]`. */
export function duplexPair(): [ByteDuplex, ByteDuplex] {
  const toSocket = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: toSocket.readable, writable: toPeer.writable },
    { readable: toPeer.readable, writable: toSocket.writable },
  ];
}
