/**
 * Reading a Node socket into one buffer shared by every socket, instead of
 * through its Readable stream.
 *
 * By default each read of a `node:net` socket allocates a 64 KiB buffer,
 * wraps what was read in a new Buffer, pushes it through the Readable
 * machinery and emits `'data'`. Node also offers `onread` (documented for
 * `net.Socket` and `net.connect`): the socket reads into a buffer the user
 * gives and calls a callback with the byte count, with no stream work and no
 * allocation. A server's accepted sockets cannot be given the option, but
 * Node stores it in three symbol-keyed fields of every socket (`kBuffer`,
 * `kBufferCb`, `kBufferGen`) and reads them on each read, and the handle
 * takes the buffer with `useUserBuffer`: filling those fields on a socket
 * that exists is what the constructor does with the option. Measured on
 * Node 20 with the raw-socket "ceiling" server (bench/PROFILE.md, "Issue 15,
 * Node I/O, session 3"): about 1.5–2.5 µs less CPU per request.
 *
 * All of that is Node's inside, so it is probed, not assumed: the three
 * fields must be there, unset, each under exactly one symbol of that name,
 * and the handle must have `useUserBuffer`; otherwise (another Node, Deno's
 * or Bun's `node:net`) the socket keeps its `'data'` events. TLS sockets
 * always do: their reads are the decrypted records of the TLS layer.
 *
 * The buffer is refilled by the next read of any socket, so the callback
 * must copy what it keeps before it returns (the transport copies each
 * read: `TransportHandler.onData` promises a chunk the handler may keep).
 *
 * @module
 */

import type { Socket } from "node:net";
import { detectRuntime } from "./detect.ts";

/** As large as the buffer Node allocates per read by default. */
const SHARED_BUFFER_BYTES = 65_536;

/** Where Node keeps a socket's `onread` option. */
interface OnreadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/** `undefined` until the first socket is probed; `null` when unavailable. */
let fields: OnreadFields | null | undefined;
/** Every read fills it; the callback copies what it read before returning. */
let sharedBuffer: Uint8Array | undefined;

type SocketInternals = Socket & {
  encrypted?: boolean;
  _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null;
} & Record<symbol, unknown>;

/**
 * What Node calls after each read: `length` bytes are at the start of
 * `buffer`, which is shared and refilled by the next read (of any socket).
 * Node calls it as a method of the socket.
 */
export type SharedBufferRead = (this: Socket, length: number, buffer: Uint8Array) => void;

/**
 * Makes `socket` read into the shared buffer and call `onRead` after each
 * read (one function for every socket: no closure per connection). Returns
 * `false`, changing nothing, where that is not possible: the socket then
 * emits `'data'` as usual.
 */
export function readIntoSharedBuffer(socket: Socket, onRead: SharedBufferRead): boolean {
  const internals = socket as SocketInternals;
  if (internals.encrypted || socket.destroyed) return false;
  const handle = internals._handle;
  if (typeof handle?.useUserBuffer !== "function") return false;
  if (fields === undefined) fields = probe(internals);
  if (fields === null) return false;
  if (
    internals[fields.buffer] !== null || internals[fields.callback] !== null ||
    internals[fields.generator] !== null
  ) return false;
  sharedBuffer ??= new Uint8Array(SHARED_BUFFER_BYTES);
  handle.useUserBuffer(sharedBuffer);
  internals[fields.buffer] = sharedBuffer;
  internals[fields.callback] = onRead;
  return true;
}

/** The symbols of Node's `onread` fields on `socket`, or `null`. */
function probe(socket: SocketInternals): OnreadFields | null {
  if (detectRuntime() !== "node") return null;
  const symbols = Object.getOwnPropertySymbols(socket);
  const named = (name: string): symbol | undefined => {
    const found = symbols.filter((symbol) => symbol.description === name);
    return found.length === 1 ? found[0] : undefined;
  };
  const buffer = named("kBuffer");
  const callback = named("kBufferCb");
  const generator = named("kBufferGen");
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  return { buffer, callback, generator };
}
