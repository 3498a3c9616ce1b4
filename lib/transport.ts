/**
 * The one seam between keepwire and a runtime's sockets, for both ends: the
 * server's accepted sockets and the client's dialled ones.
 *
 * A runtime file (`lib/runtime/deno.ts`, `bun.ts`, `node.ts`) turns a socket
 * into a {@linkcode Transport} and feeds its events into the
 * {@linkcode TransportHandler} that the connection layer (server) or the
 * client connection gives it. Everything that can be got wrong about HTTP
 * lives above this line, tested once; a runtime file only moves bytes and
 * reports backpressure. TCP, TLS and Unix domain sockets all look the same
 * from here: TLS is a {@linkcode ListenOptions}/{@linkcode ConnectOptions}
 * field, and its handshake is over before a transport is handed up.
 *
 * It lives beside `lib/connection/` and `lib/client/` rather than in either,
 * because both import it and neither may import the other's sockets.
 *
 * @module
 */

/**
 * A socket's address, as Fetch-style servers report it. A Unix domain socket
 * has `transport: "unix"` and its file in `path` (`hostname` is `""` and
 * `port` 0 there), so code written for TCP keeps working on either.
 *
 * @example
 * ```ts
 * import type { NetAddr } from "@keepwire/keepwire";
 *
 * const label = (addr: NetAddr) =>
 *   addr.transport === "unix" ? `unix:${addr.path}` : `${addr.hostname}:${addr.port}`;
 * ```
 */
export interface NetAddr {
  /** `"tcp"` (TLS included) or `"unix"`. */
  readonly transport: "tcp" | "unix";
  /** IP address of the peer (or the bound address for a listener); `""` on a Unix socket. */
  readonly hostname: string;
  /** Port number; 0 on a Unix socket. */
  readonly port: number;
  /** The socket file of a Unix domain socket (absent for TCP; may be `""` for a peer). */
  readonly path?: string;
}

/**
 * One open socket — accepted by a listener or dialled by the client — as the
 * layers above see it.
 *
 * Contract for runtime files:
 * - `write` never drops bytes: it queues what the socket cannot take and
 *   returns `false` once the queue holds more than the high-water mark
 *   (64 KiB); the handler's `onDrain` fires once the queue is flushed.
 * - `pause` stops delivering `onData` (and stops reading from the socket, so
 *   TCP backpressure reaches the peer); `resume` starts again.
 * - The peer's FIN is `onEnd`. What follows is the one difference between
 *   the ends: an accepted socket stays writable (half-open, so the server can
 *   still send the last response and close politely, RFC 9112 §9.6); a
 *   dialled socket closes once `onEnd` has run (a client has nothing to say
 *   to a server that has finished).
 * - `end` sends FIN after all queued bytes; reading continues (half-close), so
 *   a lingering close can drain the peer's last bytes.
 * - `close` releases the socket now; queued bytes may be lost. `onClose` fires
 *   exactly once, whichever side closed, never from inside `close()` itself.
 * - `unref` lets the process exit while the socket is open (an idle pooled
 *   connection); `ref` undoes it.
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
  /** Let the process exit while this socket is open. */
  unref?(): void;
  /** Undo `unref`. */
  ref?(): void;
}

/**
 * What a runtime file calls as socket events happen. Implemented by the
 * server's connection and by the client's.
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
  /** Bytes arrived. The chunk is the handler's to keep (runtime files never reuse it). */
  onData(chunk: Uint8Array): void;
  /** The peer sent FIN (no more data will arrive). */
  onEnd(): void;
  /** The write queue has been flushed after `write` returned `false`. */
  onDrain(): void;
  /** The socket is gone (fires once). `error` is set when it closed on an error (e.g. reset). */
  onClose(error?: unknown): void;
}

/**
 * A certificate and its private key, PEM-encoded, for a TLS listener.
 *
 * @example
 * ```ts
 * import type { TlsCertificate } from "@keepwire/keepwire";
 *
 * const tls: TlsCertificate = {
 *   cert: "-----BEGIN CERTIFICATE-----\n…",
 *   key: "-----BEGIN PRIVATE KEY-----\n…",
 * };
 * ```
 */
export interface TlsCertificate {
  /** The certificate chain, PEM (leaf first). */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/**
 * Options every runtime's listener accepts.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@keepwire/keepwire";
 *
 * const options: ListenOptions = { port: 8080, hostname: "0.0.0.0", reusePort: true };
 * ```
 */
export interface ListenOptions {
  /** Port to bind; 0 picks a free one. Ignored with `path`. */
  port: number;
  /** Address to bind. Ignored with `path`. */
  hostname: string;
  /** Let several processes bind the same port (SO_REUSEPORT) where the runtime supports it. */
  reusePort?: boolean;
  /**
   * Listen on this Unix domain socket file instead of TCP. A socket file left
   * behind by a dead server is replaced; one that something still listens
   * on is an `EADDRINUSE` error. The file is removed when the listener closes.
   */
  path?: string;
  /** Speak TLS with this certificate (ALPN offers `http/1.1` only). */
  tls?: TlsCertificate;
  /**
   * With `tls`: a handshake not complete within this many ms is cut (the
   * server passes its headers timeout). 0 or absent: no limit.
   */
  handshakeTimeout?: number;
  /**
   * With `tls`: called once per failed or timed-out handshake, instead of
   * throwing; the socket is closed and never handed to `onConnection`.
   */
  onHandshakeError?: (error: unknown) => void;
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
  /**
   * Whether the connections it accepts are TLS. The server takes a request's
   * scheme (`https:` or `http:`) and handlers' `info.secure` from it, never
   * from what the client wrote. When absent (a binding of your own that
   * predates it), the server takes it to be whether `tls` was passed.
   */
  readonly secure?: boolean;
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

/**
 * How the client verifies a TLS server. The name sent as SNI and checked
 * against the certificate is always the `hostname` dialled (Deno cannot
 * send another), except that an IP address is never sent as SNI (RFC 6066
 * §3) and is checked against the certificate's IP entries.
 *
 * @example
 * ```ts
 * import type { TlsConnectOptions } from "@keepwire/keepwire";
 *
 * const privateCa: TlsConnectOptions = { ca: "-----BEGIN CERTIFICATE-----\n…" };
 * ```
 */
export interface TlsConnectOptions {
  /** Extra trusted root certificates, PEM (a private CA); the system's roots stay trusted. */
  readonly ca?: string | readonly string[];
  /** `false` accepts any certificate: for tests only, never in production (default `true`). */
  readonly rejectUnauthorized?: boolean;
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
  /** Connect to this Unix domain socket file instead of `hostname:port`. */
  readonly path?: string;
  /** Speak TLS (ALPN offers `http/1.1`); the handshake is over when the promise resolves. */
  readonly tls?: TlsConnectOptions;
  /**
   * Reach `hostname:port` through a tunnel (an HTTP proxy's `CONNECT`),
   * then speak TLS inside it: `tls` is required with it, and its SNI and
   * certificate checks are for `hostname`, not for the proxy.
   */
  readonly tunnel?: TunnelOptions;
  /**
   * Aborted when the caller gives up (its connect timeout) before the
   * connection is established: the runtime file closes what it has opened
   * (a tunnel still waiting for the proxy, a TLS handshake the peer never
   * answers) and rejects with the reason, so a silent peer holds no socket.
   * On Deno a TLS stream closed mid-handshake keeps its TCP socket until the
   * peer sends or leaves, and a TCP connect in flight runs to the system's
   * own timeout: the promise still rejects at once.
   */
  readonly signal?: AbortSignal;
}

/**
 * How a runtime file opens a tunnel before TLS (RFC 9110 §9.3.6): dial the
 * proxy at `hostname:port` over TCP, write `request`, and hand every chunk
 * read to `onResponse` until it returns `true` (the tunnel is open, and no
 * byte may be read from the raw socket after that: the next ones belong to
 * TLS). `onResponse` throws when the proxy refuses; the runtime file then
 * closes the socket and rejects with that error as it is. The client writes
 * and reads the HTTP here; the runtime file only moves the bytes.
 *
 * @example A tunnel whose proxy answers `200` (what the client builds)
 * ```ts
 * import type { TunnelOptions } from "@keepwire/keepwire";
 *
 * const tunnel: TunnelOptions = {
 *   hostname: "proxy.example",
 *   port: 3128,
 *   request: new TextEncoder().encode(
 *     "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
 *   ),
 *   onResponse: (chunk) => new TextDecoder().decode(chunk).startsWith("HTTP/1.1 200"),
 * };
 * ```
 */
export interface TunnelOptions {
  /** The proxy's host name or IP address. */
  readonly hostname: string;
  /** The proxy's TCP port. */
  readonly port: number;
  /** The bytes to write once connected: the `CONNECT` request. */
  readonly request: Uint8Array;
  /** Reads the proxy's answer, chunk by chunk: `true` once the tunnel is open; throws when refused. */
  readonly onResponse: (chunk: Uint8Array) => boolean;
}

/**
 * A runtime binding: open a connection and feed its events into `handler`.
 * Rejects when the connection cannot be established (a refused certificate
 * rejects with a {@linkcode CertificateError}). The client picks the running
 * runtime's; pass one as `connect` in `ClientOptions` to wrap it (to count
 * or delay connections).
 *
 * @example Counting the connections a client opens
 * ```ts
 * import { connectForRuntime, createClient, type ConnectFunction } from "@keepwire/keepwire";
 *
 * let opened = 0;
 * const connect: ConnectFunction = async (options, handler) => {
 *   opened++;
 *   return (await connectForRuntime())(options, handler);
 * };
 * const client = createClient({ connect });
 * await client.close();
 * ```
 */
export type ConnectFunction = (
  options: ConnectOptions,
  handler: TransportHandler,
) => Promise<Transport>;

/**
 * A TLS peer's certificate was refused (unknown issuer, expired, wrong
 * name…). Runtime files reject `connect` with it so the client can tell a
 * certificate problem, which no retry fixes, from a network failure.
 *
 * @example
 * ```ts
 * import { CertificateError } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const error = new CertificateError("self-signed certificate", new Error("DEPTH_ZERO_SELF_SIGNED_CERT"));
 * assert.equal(error.name, "CertificateError");
 * ```
 */
export class CertificateError extends Error {
  /**
   * Creates the error.
   *
   * @param message what the runtime said
   * @param cause the runtime's own error
   */
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CertificateError";
  }
}

/**
 * The client's name for a {@linkcode Transport}, from before both ends
 * shared one seam.
 *
 * @deprecated Use {@linkcode Transport}.
 *
 * @example
 * ```ts
 * import type { ClientSocket, Transport } from "@keepwire/keepwire";
 *
 * const same = (socket: ClientSocket): Transport => socket;
 * ```
 */
export type ClientSocket = Transport;

/**
 * The client's name for a {@linkcode TransportHandler}, from before both
 * ends shared one seam.
 *
 * @deprecated Use {@linkcode TransportHandler}.
 *
 * @example
 * ```ts
 * import type { ClientSocketHandler, TransportHandler } from "@keepwire/keepwire";
 *
 * const same = (handler: ClientSocketHandler): TransportHandler => handler;
 * ```
 */
export type ClientSocketHandler = TransportHandler;
