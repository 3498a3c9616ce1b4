/**
 * Writing a Node socket straight through its handle while nothing is
 * queued, instead of through its Writable stream.
 *
 * `socket.write` runs Node's Writable machinery around the one call that
 * matters, the handle's `writeBuffer`: state bookkeeping, a write request
 * and its callback, and a `process.nextTick` per write to run the
 * after-write step. When the socket has nothing queued (the common case:
 * a response written whole, the previous one long gone), this module makes
 * the same `writeBuffer` call itself, as Node's `net` does internally.
 * Measured with the raw-socket "ceiling" server on Node 20 (bench/PROFILE.md,
 * "Issue 15, Node I/O, session 3"): about 1 µs less CPU per request.
 *
 * `writeBuffer` needs a real write request object (the kernel may take only
 * part of the bytes; libuv then keeps the rest and reports through it), and
 * Node exposes its class only through `process.binding("stream_wrap")`
 * (deprecated, DEP0111, but present on Node 20 to 24). So it is probed, not
 * assumed: without the class, or with a handle or stream state of another
 * shape (another Node, Deno's or Bun's `node:net`, a TLS socket), or with
 * `--pending-deprecation` (where asking would print a warning), every write
 * goes through `socket.write`.
 *
 * What stays Node's: a write with anything queued, in the stream or in
 * libuv, goes through `socket.write`, which libuv orders after the bytes it
 * holds; `end()` shuts the socket down after libuv's queue, as before.
 *
 * @module
 */

import type { Socket } from "node:net";
import process from "node:process";
import { getSystemErrorName } from "node:util";
import { detectRuntime } from "./detect.ts";

/** The part of a libuv stream handle (TCP or pipe) this module uses. */
export interface StreamHandle {
  writeBuffer(request: WriteRequest, bytes: Uint8Array): number;
  readonly writeQueueSize: number;
}

/**
 * Told once libuv has written the rest of a direct write it could not
 * finish at once (`status` below 0: it failed). One object per socket, so
 * a write request needs no closure.
 */
export interface DirectWriter {
  directWriteDone(status: number): void;
}

/** Node's write request, with the fields its completion reads. */
interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  bytes: number;
  /** Keeps the bytes alive while libuv still holds them. */
  buffer: Uint8Array | null;
  writer: DirectWriter | null;
}

/** The Writable state fields this module reads. */
interface WritableFacts {
  readonly length: number;
  readonly corked: number;
  readonly ending: boolean;
}

type SocketInternals = Socket & {
  encrypted?: boolean;
  _handle?: Partial<StreamHandle> | null;
  _writableState?: Partial<WritableFacts>;
};

/** `undefined` until first asked; `null` when unavailable. */
let writeRequestClass: (new () => WriteRequest) | null | undefined;

/**
 * `socket`'s handle, when this module may write through it: a plain (not
 * TLS) socket on Node with the handle and stream state it expects.
 * Otherwise `null`, and the socket is written with `socket.write`.
 */
export function directWriteHandle(socket: Socket): StreamHandle | null {
  const internals = socket as SocketInternals;
  if (internals.encrypted) return null;
  const handle = internals._handle;
  const state = internals._writableState;
  if (
    typeof handle?.writeBuffer !== "function" || typeof handle.writeQueueSize !== "number" ||
    typeof state?.length !== "number" || typeof state.corked !== "number" ||
    typeof state.ending !== "boolean"
  ) return null;
  return requestClass() === null ? null : handle as StreamHandle;
}

/**
 * Writes `bytes` through `handle` if nothing is queued before them and the
 * stream is still open for writing. Returns the number of bytes libuv still
 * holds (0: all written; `writer` is then not told), or -1 when it
 * did not write: the caller writes with `socket.write`, which also reports
 * a failed write the way Node always does.
 */
export function writeDirectly(
  socket: Socket,
  handle: StreamHandle,
  bytes: Uint8Array,
  writer: DirectWriter,
): number {
  const internals = socket as SocketInternals;
  const state = internals._writableState as WritableFacts;
  if (
    state.length !== 0 || state.corked !== 0 || state.ending || handle.writeQueueSize !== 0 ||
    internals._handle !== handle
  ) return -1;
  const request = new writeRequestClass!();
  request.handle = handle;
  request.oncomplete = completed;
  request.async = false;
  request.bytes = 0;
  request.buffer = bytes;
  request.writer = writer;
  if (handle.writeBuffer(request, bytes) !== 0) return -1;
  return handle.writeQueueSize;
}

function completed(this: WriteRequest, status: number): void {
  const writer = this.writer!;
  this.buffer = null;
  this.writer = null;
  writer.directWriteDone(status);
}

/** The error Node reports for a failed write, for a libuv status below 0. */
export function writeError(status: number): Error {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `Unknown system error ${status}`;
  }
  return Object.assign(new Error(`write ${code}`), { errno: status, code, syscall: "write" });
}

function requestClass(): (new () => WriteRequest) | null {
  if (writeRequestClass !== undefined) return writeRequestClass;
  writeRequestClass = null;
  if (detectRuntime() !== "node" || pendingDeprecation()) return null;
  try {
    const binding = (process as { binding?: (name: string) => unknown }).binding?.("stream_wrap");
    const found = (binding as { WriteWrap?: unknown } | undefined)?.WriteWrap;
    if (typeof found === "function") writeRequestClass = found as new () => WriteRequest;
  } catch {
    // Refused (a permission model, --throw-deprecation): Node's own path.
  }
  return writeRequestClass;
}

/** Whether Node would warn about `process.binding` (DEP0111 is runtime only then). */
function pendingDeprecation(): boolean {
  // Node accepts the flag with either separator: --pending_deprecation too.
  const flag = /--pending[-_]deprecation/;
  return process.execArgv.some((argument) => flag.test(argument)) ||
    flag.test(process.env.NODE_OPTIONS ?? "") || process.env.NODE_PENDING_DEPRECATION === "1";
}
