/**
 * A `node:net` or `node:tls` socket (accepted or dialled) as a keepwire
 * {@linkcode Transport}.
 *
 * Node's stream already queues writes, signals backpressure and emits
 * `'drain'`, so this mostly renames events. The EOF behaviour is the
 * socket's own `allowHalfOpen`: a server socket has it (RFC 9112 §9.6: the
 * last response must still go out after the client's FIN), a client socket
 * does not, so Node ends it after `'end'`.
 *
 * Reading a plain (not TLS) socket goes through Node's `onread` mechanism
 * (./_node_reads.ts) instead of `'data'` events when this Node has it.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { readIntoSharedBuffer } from "./_node_reads.ts";

/** Where a socket's listeners find their transport (one property, not five closures). */
const TRANSPORT: unique symbol = Symbol("keepwire.transport");

type AttachedSocket = Socket & { [TRANSPORT]: NodeTransport };

/** One Node socket; `attach` wires its events to a handler. */
export class NodeTransport implements Transport {
  readonly remoteAddr: NetAddr;
  #socket: Socket;
  #handler: TransportHandler | null = null;
  #lastError: unknown = undefined;

  constructor(socket: Socket, unixPath?: string) {
    this.#socket = socket;
    this.remoteAddr = unixPath !== undefined
      ? { transport: "unix", hostname: "", port: 0, path: unixPath }
      : {
        transport: "tcp",
        hostname: socket.remoteAddress ?? "",
        port: socket.remotePort ?? 0,
      };
  }

  write(bytes: Uint8Array): boolean {
    // After destroy Node would report ERR_STREAM_DESTROYED through 'error';
    // the handler already got (or is about to get) onClose.
    if (this.#socket.destroyed) return false;
    return this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.end();
  }

  close(): void {
    this.#socket.destroy();
  }

  unref(): void {
    this.#socket.unref();
  }

  ref(): void {
    this.#socket.ref();
  }

  /**
   * Feed the socket's events into `handler`. The listeners are shared by
   * every socket and find their transport on the socket: five closures and
   * their context per connection were ~0.4 kB of heap on every idle socket.
   */
  attach(handler: TransportHandler): void {
    this.#handler = handler;
    const socket = this.#socket as AttachedSocket;
    socket[TRANSPORT] = this;
    readIntoSharedBuffer(socket, NodeTransport.#onRead);
    // Still listened to when the shared buffer is in use: Node then emits no
    // 'data', and if it ever did, the bytes would arrive here all the same.
    socket.on("data", NodeTransport.#onData);
    socket.on("end", NodeTransport.#onEnd);
    socket.on("drain", NodeTransport.#onDrain);
    socket.on("error", NodeTransport.#onError);
    // 'close' fires once, after 'error' when there was one; with allowHalfOpen
    // Node also emits it by itself once both directions have ended.
    socket.on("close", NodeTransport.#onClose);
  }

  static #onData(this: AttachedSocket, chunk: Uint8Array): void {
    // Node hands a Buffer, whose `slice` is a view, not a copy; a plain
    // Uint8Array view keeps `slice` meaning what the codec expects.
    this[TRANSPORT].#handler!.onData(
      new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
  }

  static #onRead(this: Socket, length: number, sharedBuffer: Uint8Array): void {
    // A copy: the shared buffer is refilled by the next read, and the
    // handler may keep the chunk. (Allocating these few bytes costs less
    // than the Buffer and stream work of a 'data' event.)
    (this as AttachedSocket)[TRANSPORT].#handler!.onData(sharedBuffer.slice(0, length));
  }

  static #onEnd(this: AttachedSocket): void {
    this[TRANSPORT].#handler!.onEnd();
  }

  static #onDrain(this: AttachedSocket): void {
    this[TRANSPORT].#handler!.onDrain();
  }

  static #onError(this: AttachedSocket, error: unknown): void {
    this[TRANSPORT].#lastError = error;
  }

  static #onClose(this: AttachedSocket): void {
    const transport = this[TRANSPORT];
    transport.#handler!.onClose(transport.#lastError);
  }
}
