/**
 * Helpers for the hardening suites: a server whose handler records every
 * call per client port, and ways to deliver bytes so that the server really
 * reads them in separate pieces.
 *
 * @module
 */

import { serve } from "../../lib/serve.ts";
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import { RawClient } from "../_support/raw_client.ts";

/** Bytes of a Latin-1 string, one per char. */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const isDeno = "Deno" in globalThis;

/**
 * One turn of the event loop long enough for the server (in this same
 * process) to read what was just written. Measured: Node and Bun read
 * between two `setImmediate`s; Deno only between timers.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => (isDeno ? setTimeout(resolve, 0) : setImmediate(resolve)));
}

/** How a test delivers its bytes. */
export type Delivery = "whole" | "byte by byte" | "split at terminators";

/** Every delivery, in the order tests run them. */
export const DELIVERIES: readonly Delivery[] = ["whole", "byte by byte", "split at terminators"];

/**
 * Cuts `bytes` into the pieces of a delivery. Byte by byte sends one byte
 * per write, except that a run of over 64 identical bytes (padding that
 * pushes a limit) goes in one write, so a 4 KiB run does not take seconds.
 * Split at terminators cuts between every CR and the byte after it, and
 * at `boundaries` (e.g. where the canary starts).
 */
export function piecesOf(
  bytes: Uint8Array,
  delivery: Delivery,
  boundaries: readonly number[] = [],
): Uint8Array[] {
  if (delivery === "whole") return [bytes];
  const cuts = new Set<number>(boundaries);
  if (delivery === "split at terminators") {
    for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 0x0d) cuts.add(i);
  } else {
    // Runs of one repeated byte: every byte its own piece, unless the run is padding.
    let start = 0;
    while (start < bytes.length) {
      let end = start + 1;
      while (end < bytes.length && bytes[end] === bytes[start]) end++;
      cuts.add(start).add(end);
      if (end - start <= 64) { for (let i = start + 1; i < end; i++) cuts.add(i); }
      start = end;
    }
  }
  const sorted = [...cuts].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/**
 * Writes each piece as its own segment, letting the server read in between.
 * Stops quietly once the server has closed (writes after its FIN fail):
 * returns how many bytes were written.
 */
export async function sendPieces(
  client: RawClient,
  pieces: readonly Uint8Array[],
): Promise<number> {
  client.setNoDelay();
  let sent = 0;
  for (const [index, piece] of pieces.entries()) {
    try {
      await client.write(piece);
    } catch {
      return sent;
    }
    sent += piece.byteLength;
    if (index < pieces.length - 1) await nextTurn();
  }
  return sent;
}

/** A handler call as recorded on arrival. */
export interface RecordedCall {
  readonly method: string;
  readonly path: string;
}

/** A server on 127.0.0.1 whose handler calls are recorded by the client's port. */
export interface RecordingServe {
  readonly server: Server;
  /** Calls that arrived from the client on `port`, in order. */
  callsFrom(port: number): RecordedCall[];
  /** Opens a client (closed by {@linkcode RecordingServe.close}). */
  connect(): Promise<RawClient>;
  /** Destroys the clients, then shuts the server down. */
  close(): Promise<void>;
}

/**
 * Starts `serve()` with `handler` wrapped so each call is recorded on arrival,
 * before the handler runs: a call that never should have happened is seen
 * even if its handler fails.
 */
export async function startRecording(
  options: ServeOptions,
  handler: Handler,
): Promise<RecordingServe> {
  const calls = new Map<number, RecordedCall[]>();
  const server = await serve({ port: 0, hostname: "127.0.0.1", ...options }, (request, info) => {
    const port = info.remoteAddr.port;
    if (!calls.has(port)) calls.set(port, []);
    calls.get(port)!.push({ method: request.method, path: new URL(request.url).pathname });
    return handler(request, info);
  });
  const clients: RawClient[] = [];
  return {
    server,
    callsFrom: (port) => calls.get(port) ?? [],
    async connect() {
      const client = await RawClient.connect(server.addr.port);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await server.shutdown();
    },
  };
}
