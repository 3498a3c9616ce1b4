/**
 * keepwire on Bun: `Bun.listen` and `Bun.connect` (TCP, TLS and Unix
 * sockets) as keepwire {@linkcode Transport}s, and `serve` / `createClient`
 * bound to them.
 *
 * @module
 */

import type {
  ConnectFunction,
  ConnectOptions,
  Listener,
  ListenFunction,
  ListenOptions,
  TlsConnectOptions,
  Transport,
  TransportHandler,
  TunnelOptions,
} from "../transport.ts";
import type { KeepAliveClient } from "../client/client.ts";
import type { ClientOptions } from "../client/options.ts";
import { bindCreateClient, bindServe, type ServeFunction } from "../entry.ts";
import {
  type BunSocket,
  type BunSocketHandlers,
  bunSocketHandlers,
  BunTransport,
} from "./_bun_transport.ts";
import {
  ALPN_PROTOCOLS,
  classifyTlsError,
  handshakeDeadline,
  handshakeTimeoutError,
  prepareUnixPath,
  removeUnixPath,
} from "./_sockets.ts";
import { installHooksFor } from "./_hooks.ts";
// Re-exported so this entry point documents the types its exports use.
export type * from "../transport.ts";
export type * from "../connection/options.ts";
export type * from "../client/options.ts";
export type { HttpVersion } from "../codec/events.ts";
export type { KeepAliveClient } from "../client/client.ts";
export type { ServeFunction } from "../entry.ts";

// What the runtime-neutral layers need of Bun, set before anything here runs.
installHooksFor("bun");

interface BunTlsOptions {
  cert?: string;
  key?: string;
  ca?: string | string[];
  serverName?: string;
  rejectUnauthorized?: boolean;
  /** Bun wants the ALPN wire format (length-prefixed names), not a list. */
  ALPNProtocols: string;
}
type BunAddress = { hostname: string; port: number } | { unix: string };
interface BunTcpListener {
  readonly hostname?: string;
  readonly port?: number;
  stop(closeActiveConnections?: boolean): void;
}
interface BunNamespace {
  listen(
    options: BunAddress & {
      reusePort?: boolean;
      allowHalfOpen?: boolean;
      tls?: BunTlsOptions;
      socket: BunSocketHandlers;
    },
  ): BunTcpListener;
  connect(
    options: BunAddress & { data: BunTransport; tls?: BunTlsOptions; socket: BunSocketHandlers },
  ): Promise<BunSocket>;
  connect(
    options: BunAddress & { data: undefined; socket: BunRawHandlers },
  ): Promise<BunRawSocket>;
}

/** The members of a raw (pre-TLS) Bun socket that a tunnel uses. */
interface BunRawSocket {
  write(bytes: Uint8Array): number;
  flush?(): void;
  end(): void;
  setNoDelay?(noDelay?: boolean): boolean;
  /** Starts TLS on this connection (Bun 1.1+): returns the raw and the TLS socket. */
  upgradeTLS(options: {
    data: BunTransport;
    tls: BunTlsOptions;
    socket: BunSocketHandlers;
  }): [BunRawSocket, BunSocket];
}
type BunRawHandlers = {
  [Name in keyof BunSocketHandlers]: (socket: BunRawSocket, ...rest: never[]) => void;
};

function bun(): BunNamespace {
  const namespace = (globalThis as { Bun?: BunNamespace }).Bun;
  if (namespace === undefined) throw new Error("keepwire: the Bun binding needs the Bun runtime");
  return namespace;
}

const ALPN_WIRE = ALPN_PROTOCOLS.map((name) => String.fromCharCode(name.length) + name).join("");

function address(options: { hostname: string; port: number; path?: string }): BunAddress {
  return options.path !== undefined
    ? { unix: options.path }
    : { hostname: options.hostname, port: options.port };
}

/**
 * Bind a listener with `Bun.listen` (TCP, TLS with `tls`, a Unix socket with
 * `path`) and hand each accepted socket to `onConnection` as a
 * {@linkcode Transport} — over TLS once its handshake is done.
 *
 * @example Echo server on a free port (runs under Bun)
 * ```ts
 * import { listenBun } from "@keepwire/keepwire/bun";
 *
 * if ("Bun" in globalThis) {
 *   const listener = await listenBun({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
 *     onData: (chunk) => void transport.write(chunk),
 *     onEnd: () => transport.end(),
 *     onDrain: () => {},
 *     onClose: () => {},
 *   }));
 *   console.log(`listening on ${listener.addr.port}`);
 *   await listener.close();
 * }
 * ```
 */
export const listenBun: ListenFunction = async (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  if (options.path !== undefined) await prepareUnixPath(options.path);
  const open = (socket: BunSocket) => {
    const transport = new BunTransport("accepted");
    socket.data = transport;
    transport.attach(socket, options.path === undefined ? undefined : "");
    if (options.tls === undefined) {
      transport.handler = onConnection(transport);
      return;
    }
    const cancel = handshakeDeadline(options.handshakeTimeout, () => {
      const settle = transport.onHandshake;
      transport.onHandshake = undefined; // settled once: Bun may still report the failure
      settle?.(handshakeTimeoutError(options.handshakeTimeout!));
    });
    transport.onHandshake = (error) => {
      cancel();
      if (error === undefined) {
        transport.handler = onConnection(transport);
        return;
      }
      options.onHandshakeError?.(classifyTlsError(error));
      transport.closed = true; // nobody above knows it: no onClose to report
      socket.end();
    };
  };
  const server = bun().listen({
    ...address(options),
    // Without it Bun closes the socket on the peer's FIN, before the last
    // response can be written.
    allowHalfOpen: true,
    ...(options.reusePort ? { reusePort: true } : {}),
    ...(options.tls === undefined ? {} : { tls: { ...options.tls, ALPNProtocols: ALPN_WIRE } }),
    socket: bunSocketHandlers(open),
  });
  let stopped = false;
  return {
    secure: options.tls !== undefined, // Bun.listen speaks TLS over a Unix socket too
    addr: options.path !== undefined
      ? { transport: "unix", hostname: "", port: 0, path: options.path }
      : { transport: "tcp", hostname: server.hostname ?? "", port: server.port ?? 0 },
    close: () => {
      if (!stopped) {
        stopped = true;
        // false: stop accepting but leave open connections alone.
        server.stop(false);
        if (options.path !== undefined) removeUnixPath(options.path);
      }
      return Promise.resolve();
    },
  };
};

/**
 * Open a connection with `Bun.connect` (TCP, TLS with `tls`, a Unix socket
 * with `path`), resolving once it is established and its TLS handshake done.
 * With `tunnel`, the TCP connection goes to the proxy, and
 * `socket.upgradeTLS` begins TLS inside the tunnel once it is open.
 *
 * @example One raw request (runs under Bun)
 * ```ts
 * import { connectBun, serve } from "@keepwire/keepwire/bun";
 *
 * if ("Bun" in globalThis) {
 *   const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 *   const transport = await connectBun({ hostname: "127.0.0.1", port: server.addr.port }, {
 *     onData: (chunk) => console.log(new TextDecoder().decode(chunk)),
 *     onEnd: () => {},
 *     onDrain: () => {},
 *     onClose: () => {},
 *   });
 *   transport.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
 *   await server.shutdown();
 * }
 * ```
 */
export const connectBun: ConnectFunction = async (
  options: ConnectOptions,
  handler: TransportHandler,
): Promise<Transport> => {
  const transport = new BunTransport("dialled");
  transport.handler = handler;
  const { tls, signal } = options;
  signal?.throwIfAborted();
  let handshake: Promise<void> | undefined;
  let failHandshake: ((error: unknown) => void) | undefined;
  if (tls !== undefined) {
    handshake = new Promise((resolve, reject) => {
      failHandshake = reject;
      transport.onHandshake = (error) => (error === undefined ? resolve() : reject(error));
    });
  }
  const handlers = bunSocketHandlers((socket) => socket.data.attach(socket, options.path));
  let socket: BunSocket | BunRawSocket;
  if (options.tunnel !== undefined) {
    if (tls === undefined) throw new TypeError("ConnectOptions.tunnel needs tls");
    const raw = await openTunnel(options.tunnel, signal);
    socket = raw;
    try {
      socket = raw.upgradeTLS({
        data: transport,
        tls: tlsOptions(options.hostname, tls),
        socket: handlers,
      })[1];
    } catch (error) {
      raw.end();
      throw classifyTlsError(error);
    }
  } else {
    socket = await bun().connect({
      ...address(options),
      data: transport,
      ...(tls === undefined ? {} : { tls: tlsOptions(options.hostname, tls) }),
      socket: handlers,
    });
  }
  // Given up (the caller's connect timeout): a handshake the peer never
  // answers fails now, and the socket is closed below.
  const abandoned = () => failHandshake?.(signal?.reason);
  signal?.addEventListener("abort", abandoned, { once: true });
  try {
    await handshake;
    signal?.throwIfAborted();
  } catch (error) {
    transport.onHandshake = undefined;
    transport.closed = true; // never handed up: no onClose to report
    socket.end();
    throw signal?.aborted ? signal.reason : classifyTlsError(error);
  } finally {
    signal?.removeEventListener("abort", abandoned);
  }
  return transport;
};

/** Bun's TLS client options: SNI and the certificate checks for `hostname`. */
function tlsOptions(hostname: string, tls: TlsConnectOptions): BunTlsOptions {
  return {
    serverName: hostname,
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
    ALPNProtocols: ALPN_WIRE,
  };
}

/**
 * Dials the proxy, writes the CONNECT request and reads the answer until
 * `tunnel.onResponse` says the tunnel is open; resolves with the raw
 * socket for `upgradeTLS`. Once open, the raw socket's callbacks ignore
 * everything: Bun keeps calling them with the encrypted bytes.
 */
async function openTunnel(
  tunnel: TunnelOptions,
  signal: AbortSignal | undefined,
): Promise<BunRawSocket> {
  let resolveOpened!: (socket: BunRawSocket) => void;
  let rejectOpened!: (error: unknown) => void;
  const opened = new Promise<BunRawSocket>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  let waiting = true;
  let lastError: unknown;
  const settle = (socket: BunRawSocket, error?: unknown) => {
    if (!waiting) return;
    waiting = false;
    if (error === undefined) resolveOpened(socket);
    else {
      socket.end();
      rejectOpened(error);
    }
  };
  const closedEarly = (socket: BunRawSocket, error?: unknown) =>
    settle(
      socket,
      error ?? lastError ?? new Error("the proxy closed the connection before the tunnel opened"),
    );
  const raw = await bun().connect({
    hostname: tunnel.hostname,
    port: tunnel.port,
    data: undefined,
    socket: {
      open() {},
      handshake() {},
      drain() {},
      data(socket, chunk: Uint8Array) {
        if (!waiting) return;
        try {
          if (tunnel.onResponse(chunk)) settle(socket);
        } catch (error) {
          settle(socket, error);
        }
      },
      end: (socket) => closedEarly(socket),
      error(_socket, error: unknown) {
        lastError = error;
      },
      close: (socket, error?: unknown) => closedEarly(socket, error),
    },
  });
  raw.setNoDelay?.(true);
  const abandoned = () => settle(raw, signal?.reason);
  if (signal?.aborted) abandoned();
  signal?.addEventListener("abort", abandoned, { once: true });
  const forget = () => signal?.removeEventListener("abort", abandoned);
  opened.then(forget, forget);
  // A CONNECT head is far below a fresh socket's send buffer; Bun reports
  // what it took, and anything less is a socket already failing.
  if (raw.write(tunnel.request) !== tunnel.request.byteLength) {
    settle(raw, new Error("could not write the CONNECT request to the proxy"));
  }
  raw.flush?.();
  return await opened;
}

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenBun}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @example On Bun
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/bun";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Bun"));
 * await server.finished;
 * ```
 */
export const serve: ServeFunction = bindServe(listenBun, false);

/**
 * Creates a keep-alive client that connects with {@linkcode connectBun}: the
 * same as `createClient` from the package root, minus the runtime detection.
 *
 * @example On Bun
 * ```ts ignore
 * import { createClient } from "@keepwire/keepwire/bun";
 *
 * const client = createClient();
 * console.log((await client.fetch("https://example.com/")).status);
 * await client.close();
 * ```
 */
export const createClient: (options?: ClientOptions) => KeepAliveClient = bindCreateClient(
  connectBun,
  false,
);
