/**
 * keepwire on Deno: `Deno.listen` / `Deno.listenTls` and `Deno.connect` /
 * `Deno.connectTls` (TCP, TLS and Unix sockets) as keepwire
 * {@linkcode Transport}s, and `serve` / `createClient` bound to them.
 *
 * @module
 */

import type {
  ConnectFunction,
  ConnectOptions,
  Listener,
  ListenFunction,
  ListenOptions,
  Transport,
  TransportHandler,
  TunnelOptions,
} from "../transport.ts";
import type { KeepAliveClient } from "../client/client.ts";
import type { ClientOptions } from "../client/options.ts";
import { bindCreateClient, bindServe, type ServeFunction } from "../entry.ts";
import { type DenoAddr, type DenoConn, DenoTransport, toNetAddr } from "./_deno_transport.ts";
import {
  ALPN_PROTOCOLS,
  caList,
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

// What the runtime-neutral layers need of Deno, set before anything here runs.
installHooksFor("deno");

interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoNamespace {
  listen(
    options:
      | { port: number; hostname: string; reusePort?: boolean; transport: "tcp" }
      | { path: string; transport: "unix" },
  ): DenoListener;
  listenTls(options: {
    port: number;
    hostname: string;
    reusePort?: boolean;
    cert: string;
    key: string;
    alpnProtocols: string[];
  }): DenoListener;
  connect(
    options: { hostname: string; port: number; transport: "tcp" } | {
      path: string;
      transport: "unix";
    },
  ): Promise<DenoConn>;
  connectTls(options: {
    hostname: string;
    port: number;
    caCerts?: string[];
    alpnProtocols: string[];
  }): Promise<DenoConn>;
  startTls(conn: DenoConn, options: {
    hostname: string;
    caCerts?: string[];
    alpnProtocols: string[];
  }): Promise<DenoConn>;
}

function deno(): DenoNamespace {
  const namespace = (globalThis as { Deno?: DenoNamespace }).Deno;
  if (namespace === undefined) throw new Error("keepwire: the Deno binding needs the Deno runtime");
  return namespace;
}

function bind(options: ListenOptions): DenoListener {
  if (options.path !== undefined) return deno().listen({ path: options.path, transport: "unix" });
  const address = {
    port: options.port,
    hostname: options.hostname,
    ...(options.reusePort ? { reusePort: true } : {}),
  };
  if (options.tls === undefined) return deno().listen({ ...address, transport: "tcp" });
  return deno().listenTls({ ...address, ...options.tls, alpnProtocols: ALPN_PROTOCOLS });
}

/** The TLS handshake, bounded by `handshakeTimeout`; false (and reported once) when it failed. */
async function handshake(conn: DenoConn, options: ListenOptions): Promise<boolean> {
  let timedOut = false;
  const cancel = handshakeDeadline(options.handshakeTimeout, () => {
    timedOut = true;
    conn.close(); // fails the handshake in flight
  });
  try {
    await conn.handshake?.();
    return true;
  } catch (error) {
    options.onHandshakeError?.(
      timedOut ? handshakeTimeoutError(options.handshakeTimeout!) : classifyTlsError(error),
    );
    if (!timedOut) {
      try {
        conn.close();
      } catch {
        // Already released by the runtime.
      }
    }
    return false;
  } finally {
    cancel();
  }
}

/**
 * Bind a listener with `Deno.listen` (TCP or, with `path`, a Unix socket) or
 * `Deno.listenTls` (with `tls`; not with `path`, a `TypeError`) and hand each accepted connection to
 * `onConnection` as a {@linkcode Transport} — over TLS once its handshake is
 * done.
 *
 * @example Echo server on a free port (runs under Deno)
 * ```ts
 * import { listenDeno } from "@keepwire/keepwire/deno";
 *
 * if ("Deno" in globalThis) {
 *   const listener = await listenDeno({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
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
export const listenDeno: ListenFunction = async (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  if (options.path !== undefined && options.tls !== undefined) {
    // Deno.listenTls binds TCP only: the Unix socket would serve plain HTTP
    // under a server that was asked for TLS.
    throw new TypeError("keepwire on Deno: tls is not available with path (a Unix socket)");
  }
  if (options.path !== undefined) await prepareUnixPath(options.path);
  const denoListener = bind(options);
  const start = (conn: DenoConn) => {
    const transport = new DenoTransport(conn, "accepted");
    transport.handler = onConnection(transport);
    void transport.readLoop();
  };
  let closing = false;
  const acceptLoop = (async () => {
    while (!closing) {
      let conn: DenoConn;
      try {
        conn = await denoListener.accept();
      } catch (error) {
        if (closing || (error as Error | undefined)?.name === "BadResource") return;
        // A transient accept failure (EMFILE): back off briefly instead of
        // spinning or giving up the listener.
        await new Promise((wake) => setTimeout(wake, 10));
        continue;
      }
      try {
        conn.setNoDelay?.(true);
      } catch {
        // The peer may already be gone, or a Unix socket: the first read tells.
      }
      if (options.tls === undefined) start(conn);
      // Handshakes run side by side; one done after close() is still handed
      // up, and a server that is shutting down refuses it.
      else void handshake(conn, options).then((done) => done && start(conn));
    }
  })();
  return {
    addr: toNetAddr(denoListener.addr),
    secure: options.tls !== undefined,
    close: async () => {
      if (closing) return acceptLoop;
      closing = true;
      denoListener.close();
      if (options.path !== undefined) removeUnixPath(options.path);
      await acceptLoop;
    },
  };
};

/**
 * Open a connection with `Deno.connect` (TCP or Unix) or `Deno.connectTls`,
 * resolving once it is established (and its TLS handshake done).
 *
 * `Deno.connectTls` cannot skip certificate verification, so the test-only
 * `rejectUnauthorized: false` goes through Deno's `node:tls` instead. With
 * `tunnel`, the TCP connection goes to the proxy, and `Deno.startTls`
 * begins TLS inside the tunnel once it is open.
 *
 * @example One raw request (runs under Deno)
 * ```ts
 * import { connectDeno, serve } from "@keepwire/keepwire/deno";
 *
 * if ("Deno" in globalThis) {
 *   const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 *   let text = "";
 *   const transport = await connectDeno({ hostname: "127.0.0.1", port: server.addr.port }, {
 *     onData: (chunk) => void (text += new TextDecoder().decode(chunk)),
 *     onEnd: () => {},
 *     onDrain: () => {},
 *     onClose: () => {},
 *   });
 *   transport.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
 *   await server.shutdown();
 * }
 * ```
 */
export const connectDeno: ConnectFunction = async (
  options: ConnectOptions,
  handler: TransportHandler,
): Promise<Transport> => {
  const { tls, signal } = options;
  if (tls?.rejectUnauthorized === false && options.path === undefined) {
    return (await import("./node.ts")).connectNode(options, handler);
  }
  signal?.throwIfAborted();
  let conn: DenoConn;
  if (options.tunnel !== undefined) {
    if (tls === undefined) throw new TypeError("ConnectOptions.tunnel needs tls");
    const raw = await openTunnel(options.tunnel, signal);
    try {
      conn = await deno().startTls(raw, {
        hostname: options.hostname,
        caCerts: caList(tls.ca),
        alpnProtocols: ALPN_PROTOCOLS,
      });
    } catch (error) {
      closeQuietly(raw);
      throw classifyTlsError(error);
    }
    await finishHandshake(conn, signal);
  } else if (options.path !== undefined) {
    conn = await deno().connect({ path: options.path, transport: "unix" });
  } else if (tls === undefined) {
    conn = await deno().connect({
      hostname: options.hostname,
      port: options.port,
      transport: "tcp",
    });
    conn.setNoDelay?.(true);
  } else {
    try {
      // Deno checks the certificate against `hostname`, which is also the SNI.
      conn = await deno().connectTls({
        hostname: options.hostname,
        port: options.port,
        caCerts: caList(tls.ca),
        alpnProtocols: ALPN_PROTOCOLS,
      });
    } catch (error) {
      throw classifyTlsError(error);
    }
    await finishHandshake(conn, signal);
  }
  const transport = new DenoTransport(conn, "dialled");
  transport.handler = handler;
  void transport.readLoop();
  return transport;
};

/**
 * Dials the proxy, writes the CONNECT request and reads the answer until
 * `tunnel.onResponse` says the tunnel is open. No read is left in flight:
 * `Deno.startTls` needs the connection to itself.
 */
async function openTunnel(
  tunnel: TunnelOptions,
  signal: AbortSignal | undefined,
): Promise<DenoConn> {
  const raw = await deno().connect({
    hostname: tunnel.hostname,
    port: tunnel.port,
    transport: "tcp",
  });
  // Closing the connection fails the read or write in flight.
  const abandoned = () => closeQuietly(raw);
  signal?.addEventListener("abort", abandoned, { once: true });
  try {
    signal?.throwIfAborted();
    raw.setNoDelay?.(true);
    for (let at = 0; at < tunnel.request.byteLength;) {
      at += await raw.write(tunnel.request.subarray(at));
    }
    const buffer = new Uint8Array(4096);
    for (;;) {
      const count = await raw.read(buffer);
      signal?.throwIfAborted();
      if (count === null) {
        throw new Error("the proxy closed the connection before the tunnel opened");
      }
      if (tunnel.onResponse(buffer.slice(0, count))) return raw;
    }
  } catch (error) {
    closeQuietly(raw);
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", abandoned);
  }
}

/**
 * Awaits the TLS handshake; an abort of `signal` closes the connection,
 * which fails a handshake the peer never answers.
 */
async function finishHandshake(conn: DenoConn, signal: AbortSignal | undefined): Promise<void> {
  const abandoned = () => closeQuietly(conn);
  signal?.addEventListener("abort", abandoned, { once: true });
  try {
    await conn.handshake?.();
    signal?.throwIfAborted();
  } catch (error) {
    closeQuietly(conn);
    throw signal?.aborted ? signal.reason : classifyTlsError(error);
  } finally {
    signal?.removeEventListener("abort", abandoned);
  }
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // Already closed (startTls takes the connection over, even when it fails).
  }
}

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenDeno}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @example On Deno
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/deno";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Deno"));
 * await server.finished;
 * ```
 */
export const serve: ServeFunction = bindServe(listenDeno, false);

/**
 * Creates a keep-alive client that connects with {@linkcode connectDeno}: the
 * same as `createClient` from the package root, minus the runtime detection.
 *
 * @example On Deno
 * ```ts ignore
 * import { createClient } from "@keepwire/keepwire/deno";
 *
 * const client = createClient();
 * console.log((await client.fetch("https://example.com/")).status);
 * await client.close();
 * ```
 */
export const createClient: (options?: ClientOptions) => KeepAliveClient = bindCreateClient(
  connectDeno,
  false,
);
