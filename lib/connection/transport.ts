/**
 * The seam between the connection layer and a runtime's sockets.
 *
 * A runtime shim (`lib/runtime/deno.ts`, `bun.ts`, `node.ts`) turns one
 * accepted socket into a {@linkcode Transport} and feeds socket events into
 * the {@linkcode TransportHandler} the connection layer gives it. Everything
 * that can be got wrong about HTTP lives above this line, tested once; a shim
 * only moves bytes and reports backpressure.
 *
 * @module
 */

/**
 * A TCP peer's address (the same shape as Fetch-style servers report).
 *
 * @example
 * ```ts
 * import type { NetAddr } from "@keepwire/keepwire";
 *
 * const label = (addr: NetAddr) => `${addr.hostname}:${addr.port}`;
 * ```
 */
export interface NetAddr {
  /** Always TCP for keepwire. */
  readonly transport: "tcp";
  /** IP address of the peer (or the bound address for a listener). */
  readonly hostname: string;
  /** Port number. */
  readonly port: number;
}

/**
 * One accepted TCP connection, as the connection layer sees it.
 *
 * Contract for shims:
 * - `write` never drops bytes: it queues what the socket cannot take and
 *   returns `false` once the queue holds more than the shim's high-water mark;
 *   the handler's `onDrain` fires once the queue is flushed.
 * - `pause` stops delivering `onData` (and stops reading from the socket, so
 *   TCP backpressure reaches the peer); `resume` starts again.
 * - `end` sends FIN after all queued bytes; reading continues (half-close), so
 *   a lingering close can drain the peer's last bytes.
 * - `close` releases the socket now; queued bytes may be lost. `onClose` fires
 *   exactly once, whichever side closed.
 *
 * @example
 * ```ts
 * import type { Transport } from "@keepwire/keepwire";
 *
 * // Write with backpressure: stop producing when write() says the queue is full.
 * const send = (transport: Transport, bytes: Uint8Array) => {
 *   if (!transport.write(bytes)) transport.pause();
 * };
 * ```
 */
export interface Transport {
  /** Address of the peer. */
  readonly remoteAddr: NetAddr;
  /** Queue bytes for the peer; `false` means "over the high-water mark, wait for onDrain". */
  write(bytes: Uint8Array): boolean;
  /** Stop reading. */
  pause(): void;
  /** Resume reading. */
  resume(): void;
  /** Half-close: FIN after queued bytes are written. */
  end(): void;
  /** Close now. */
  close(): void;
}

/**
 * What a shim calls as socket events happen. Implemented by the connection layer.
 *
 * @example
 * ```ts
 * import type { Transport, TransportHandler } from "@keepwire/keepwire";
 *
 * // Echo every byte back and close when the peer does.
 * const echo = (transport: Transport): TransportHandler => ({
 *   onData: (chunk) => void transport.write(chunk),
 *   onEnd: () => transport.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * });
 * ```
 */
export interface TransportHandler {
  /** Bytes arrived. The chunk is the handler's to keep (shims never reuse it). */
  onData(chunk: Uint8Array): void;
  /** The peer sent FIN (no more data will arrive). */
  onEnd(): void;
  /** The write queue has been flushed after `write` returned `false`. */
  onDrain(): void;
  /** The socket is gone (fires once). `error` is set when it closed on an error (e.g. reset). */
  onClose(error?: unknown): void;
}

/**
 * Options every shim's listener accepts.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@keepwire/keepwire";
 *
 * const options: ListenOptions = { port: 8080, hostname: "0.0.0.0", reusePort: true };
 * ```
 */
export interface ListenOptions {
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** Address to bind. */
  hostname: string;
  /** Let several processes bind the same port (SO_REUSEPORT) where the runtime supports it. */
  reusePort?: boolean;
}

/**
 * A bound, accepting socket.
 *
 * @example
 * ```ts
 * import type { Listener } from "@keepwire/keepwire";
 *
 * const stop = async (listener: Listener) => {
 *   console.log(`closing port ${listener.addr.port}`);
 *   await listener.close();
 * };
 * ```
 */
export interface Listener {
  /** The address actually bound (with the real port when 0 was asked). */
  readonly addr: NetAddr;
  /** Stop accepting new connections; open ones are untouched. Resolves when the listening socket is closed. */
  close(): Promise<void>;
}

/**
 * A runtime binding: bind a listener and hand each accepted socket to
 * `onConnection`, which returns the handler for that socket's events.
 *
 * @example
 * ```ts
 * import type { Listener, ListenFunction, Transport, TransportHandler } from "@keepwire/keepwire";
 *
 * // An in-memory binding (as tests use): it "accepts" one connection whose
 * // bytes are kept, so a connection layer can be driven without sockets.
 * const written: Uint8Array[] = [];
 * let connection: TransportHandler | undefined;
 * const listenInMemory: ListenFunction = (options, onConnection) => {
 *   const addr = { transport: "tcp" as const, hostname: options.hostname, port: options.port };
 *   const transport: Transport = {
 *     remoteAddr: addr,
 *     write: (bytes) => written.push(bytes) > 0,
 *     pause() {},
 *     resume() {},
 *     end() {},
 *     close: () => connection?.onClose(),
 *   };
 *   connection = onConnection(transport);
 *   return Promise.resolve({ addr, close: () => Promise.resolve() });
 * };
 * const listener: Listener = await listenInMemory({ port: 8080, hostname: "127.0.0.1" }, (transport) => ({
 *   onData: (chunk) => void transport.write(chunk),
 *   onEnd: () => {},
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * connection?.onData(new TextEncoder().encode("ping"));
 * if (new TextDecoder().decode(written[0]) !== "ping") throw new Error("not echoed");
 * await listener.close();
 * ```
 */
export type ListenFunction = (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
) => Promise<Listener>;
