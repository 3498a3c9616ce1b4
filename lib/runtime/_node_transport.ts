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
 * A plain (not TLS) socket is read through Node's `onread` mechanism
 * (./_node_reads.ts) instead of `'data'` events, and written through its
 * handle while nothing is queued (./_node_writes.ts), when this Node allows.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { NetAddr, Transport, TransportHandler } from "../transport.ts";
import { WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
import { readIntoSharedBuffer } from "./_node_reads.ts";
import {
  directWriteHandle,
  type DirectWriter,
  type StreamHandle,
  writeDirectly,
  writeError,
} from "./_node_writes.ts";

/** Where a socket's listeners find their transport (one property, not five closures). */
const TRANSPORT: unique symbol = Symbol("keepwire.transport");

type AttachedSocket = Socket & { [TRANSPORT]: NodeTransport };

const EMPTY = new Uint8Array(0);

/** One Node socket; `attach` wires its events to a handler. */
export class NodeTransport implements Transport, DirectWriter {
  readonly remoteAddr: NetAddr;
  #socket: Socket;
  #handler: TransportHandler | null = null;
  #lastError: unknown = undefined;
  /** Set by `attach` when writes may go straight to the handle. */
  #directHandle: StreamHandle | null = null;
  /** A direct write returned `false`: `onDrain` is owed once it is out. */
  #owesDrain = false;

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
    const socket = this.#socket;
    if (socket.destroyed) return false;
    const handle = this.#directHandle;
    if (handle !== null) {
      const held = writeDirectly(socket, handle, bytes, this);
      if (held === 0) return true;
      if (held > 0) {
        // libuv holds the rest and writes it before anything written after.
        if (held < WRITE_HIGH_WATER_MARK) return true;
        this.#owesDrain = true;
        return false;
      }
    }
    return socket.write(bytes);
  }

  /** libuv finished (or failed) a direct write it had to hold. */
  directWriteDone(status: number): void {
    const socket = this.#socket;
    // Destroying cancels held writes (ECANCELED): nothing to report then.
    if (socket.destroyed) return;
    // As Node does for a failed write: 'error', then 'close' with it.
    if (status < 0) {
      socket.destroy(writeError(status));
      return;
    }
    if (!this.#owesDrain) return;
    this.#owesDrain = false;
    // Writes made meanwhile went through socket.write, after this one; the
    // drain is owed once they are out too.
    // After end() no write may follow (Node would destroy the socket with
    // ERR_STREAM_WRITE_AFTER_END): the FIN already waits for those bytes.
    if (socket.writableLength === 0 || socket.writableEnded) this.#handler!.onDrain();
    else socket.write(EMPTY, () => socket.destroyed || this.#handler!.onDrain());
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
    this.#directHandle = directWriteHandle(socket);
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
