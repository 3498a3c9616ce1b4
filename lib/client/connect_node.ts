/**
 * The Node client shim: a `node:net` socket as a {@linkcode ClientSocket}.
 * Node's stream already queues writes and emits `'drain'`, so this only
 * renames events.
 *
 * @module
 */

import { connect } from "node:net";
import type { ClientSocket, ClientSocketHandler, ConnectOptions } from "./socket.ts";

/** Opens a TCP connection with `node:net` (Nagle off: requests are small and latency-bound). */
export function connectNode(
  options: ConnectOptions,
  handler: ClientSocketHandler,
): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.hostname, port: options.port, noDelay: true });
    const failed = (error: unknown) => {
      socket.destroy();
      reject(error);
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      let lastError: unknown;
      socket.on("data", (chunk: Uint8Array) => {
        handler.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      socket.on("end", () => handler.onEnd());
      socket.on("drain", () => handler.onDrain());
      socket.on("error", (error: unknown) => {
        lastError = error;
      });
      socket.on("close", () => handler.onClose(lastError));
      resolve({
        write: (bytes) => !socket.destroyed && socket.write(bytes),
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        close: () => socket.destroy(),
        unref: () => socket.unref(),
        ref: () => socket.ref(),
      });
    });
  });
}
