/**
 * The seam between the client and a runtime's sockets: one outgoing TCP
 * connection as the client sees it, and how each runtime opens one. The
 * shims (`connect_node.ts`, `connect_deno.ts`, `connect_bun.ts`) only move
 * bytes and report backpressure; every HTTP rule lives above them.
 *
 * @module
 */

import { detectRuntime } from "../runtime/detect.ts";

/**
 * One connected client socket.
 *
 * Contract for shims: `write` never drops bytes (it queues what the socket
 * cannot take and returns `false` over its high-water mark, then calls
 * `onDrain`); `pause`/`resume` stop and restart reading; `close` releases
 * the socket now; `onClose` fires exactly once, whichever side closed.
 *
 * @example A socket that logs what the client writes
 * ```ts
 * import type { ClientSocket } from "@keepwire/keepwire";
 *
 * const logged = (inner: ClientSocket): ClientSocket => ({
 *   write: (bytes) => (console.log(`wrote ${bytes.length} bytes`), inner.write(bytes)),
 *   pause: () => inner.pause(),
 *   resume: () => inner.resume(),
 *   close: () => inner.close(),
 * });
 * ```
 */
export interface ClientSocket {
  /** Queue bytes for the server; `false` means "wait for onDrain". */
  write(bytes: Uint8Array): boolean;
  /** Stop reading (TCP backpressure reaches the server). */
  pause(): void;
  /** Resume reading. */
  resume(): void;
  /** Close now; queued bytes may be lost. */
  close(): void;
  /** Let the process exit while this socket is open (an idle pooled connection). */
  unref?(): void;
  /** Undo `unref` (the connection carries a request again). */
  ref?(): void;
}

/**
 * What a shim calls as socket events happen. Implemented by the client connection.
 *
 * @example A handler that collects what arrives
 * ```ts
 * import type { ClientSocketHandler } from "@keepwire/keepwire";
 *
 * const received: Uint8Array[] = [];
 * const handler: ClientSocketHandler = {
 *   onData: (chunk) => void received.push(chunk),
 *   onEnd: () => {},
 *   onDrain: () => {},
 *   onClose: (error) => error && console.error(error),
 * };
 * ```
 */
export interface ClientSocketHandler {
  /** Bytes arrived; the chunk is the handler's to keep. */
  onData(chunk: Uint8Array): void;
  /** The server sent FIN. */
  onEnd(): void;
  /** The write queue drained after `write` returned `false`. */
  onDrain(): void;
  /** The socket is gone (fires once); `error` is set on a reset or other failure. */
  onClose(error?: unknown): void;
}

/**
 * Where to connect.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "@keepwire/keepwire";
 *
 * const options: ConnectOptions = { hostname: "127.0.0.1", port: 8080 };
 * ```
 */
export interface ConnectOptions {
  /** Host name or IP address. */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * A runtime binding: open a TCP connection and feed its events into
 * `handler`. Rejects when the connection cannot be established. The
 * client picks the running runtime's; pass one as `connect` in
 * {@linkcode ClientOptions} to wrap it (to count or delay connections).
 *
 * @example Counting the connections a client opens
 * ```ts ignore
 * import { createClient, type ConnectFunction } from "@keepwire/keepwire";
 * import { connectNode } from "./connect_node.ts";
 *
 * let opened = 0;
 * const connect: ConnectFunction = (options, handler) => {
 *   opened++;
 *   return connectNode(options, handler);
 * };
 * const client = createClient({ connect });
 * ```
 */
export type ConnectFunction = (
  options: ConnectOptions,
  handler: ClientSocketHandler,
) => Promise<ClientSocket>;

/** Loads the connect shim of the running runtime (dynamic, so no bundle evaluates another runtime's globals). */
export async function connectForRuntime(): Promise<ConnectFunction> {
  switch (detectRuntime()) {
    case "deno":
      return (await import("./connect_deno.ts")).connectDeno;
    case "bun":
      return (await import("./connect_bun.ts")).connectBun;
    case "node":
      return (await import("./connect_node.ts")).connectNode;
  }
}
