/**
 * keepwire on Node: `node:net` and `node:tls` servers and sockets (TCP, TLS
 * and Unix) as keepwire {@linkcode Transport}s, and `serve` /
 * `createClient` bound to them.
 *
 * @module
 */

import {
  connect as connectTcp,
  createServer as createTcpServer,
  isIP,
  type Socket,
} from "node:net";
import { connect as connectTls, createServer as createTlsServer } from "node:tls";
import type {
  ConnectFunction,
  ConnectOptions,
  Listener,
  ListenFunction,
  ListenOptions,
  NetAddr,
  TlsConnectOptions,
  Transport,
  TransportHandler,
  TunnelOptions,
} from "../transport.ts";
import type { KeepAliveClient } from "../client/client.ts";
import type { ClientOptions } from "../client/options.ts";
import { bindCreateClient, bindServe, type ServeFunction } from "../entry.ts";
import { WRITE_HIGH_WATER_MARK } from "./_byte_queue.ts";
import { NodeTransport } from "./_node_transport.ts";
import { ALPN_PROTOCOLS, classifyTlsError, prepareUnixPath } from "./_sockets.ts";
// Re-exported so this entry point documents the types its exports use.
export type * from "../transport.ts";
export type * from "../connection/options.ts";
export type * from "../client/options.ts";
export type { HttpVersion } from "../codec/events.ts";
export type { KeepAliveClient } from "../client/client.ts";
export type { ServeFunction } from "../entry.ts";

function toNetAddr(address: string | { address: string; port: number } | null): NetAddr {
  if (address === null) return { transport: "tcp", hostname: "", port: 0 };
  if (typeof address === "string") {
    return { transport: "unix", hostname: "", port: 0, path: address };
  }
  return { transport: "tcp", hostname: address.address, port: address.port };
}

/**
 * Bind a listener with `node:net` (TCP, or a Unix socket with `path`) or
 * `node:tls` (with `tls`) and hand each accepted socket to `onConnection` as
 * a {@linkcode Transport} — over TLS once its handshake is done.
 *
 * `reusePort` is passed on to `server.listen`: Node before 22.12/23.1 has no
 * SO_REUSEPORT and ignores the unknown option (there, several processes share
 * a port through `node:cluster`); newer Node honours it.
 *
 * @example Echo server on a free port
 * ```ts
 * import { listenNode } from "@keepwire/keepwire/node";
 *
 * const listener = await listenNode({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
 *   onData: (chunk) => void transport.write(chunk),
 *   onEnd: () => transport.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * console.log(`listening on ${listener.addr.port}`);
 * await listener.close();
 * ```
 */
export const listenNode: ListenFunction = async (
  options: ListenOptions,
  onConnection: (transport: Transport) => TransportHandler,
): Promise<Listener> => {
  const unixPath = options.path === undefined ? undefined : "";
  const accept = (socket: Socket) => {
    const transport = new NodeTransport(socket, unixPath);
    transport.attach(onConnection(transport));
  };
  const socketOptions = {
    noDelay: true,
    allowHalfOpen: true,
    highWaterMark: WRITE_HIGH_WATER_MARK,
  };
  const { tls } = options;
  const server = tls === undefined ? createTcpServer(socketOptions, accept) : createTlsServer({
    ...socketOptions,
    cert: tls.cert,
    key: tls.key,
    ALPNProtocols: ALPN_PROTOCOLS,
    // Node's default is 120 s; the server passes its headers timeout.
    ...(options.handshakeTimeout ? { handshakeTimeout: options.handshakeTimeout } : {}),
  }, accept);
  if (tls !== undefined) {
    // A failed handshake (refused ALPN, bad certificate, timeout, reset) is
    // reported here and never reaches `accept`. Node leaves the socket open
    // after a handshake timeout (checked on Node 20), so it is destroyed here.
    server.on("tlsClientError", (error: unknown, socket: Socket) => {
      socket.destroy();
      options.onHandshakeError?.(classifyTlsError(error));
    });
  }
  if (options.path !== undefined) await prepareUnixPath(options.path);
  const listenOptions: { port?: number; host?: string; path?: string; reusePort?: boolean } =
    options.path !== undefined
      ? { path: options.path }
      : { port: options.port, host: options.hostname };
  if (options.reusePort && options.path === undefined) listenOptions.reusePort = true;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenOptions, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    addr: toNetAddr(server.address()),
    secure: tls !== undefined, // node:tls speaks TLS over a Unix socket too
    // server.close's callback waits for every open connection to end; the
    // contract only asks for the listening socket, which Node closes at
    // once (removing a Unix socket's file), so resolve without waiting.
    close: () => {
      if (server.listening) server.close();
      return Promise.resolve();
    },
  };
};

/**
 * Open a connection with `node:net` (TCP, or a Unix socket with `path`) or
 * `node:tls` (with `tls`), resolving once it is established and its TLS
 * handshake done. Nagle is off: requests are small and latency-bound. With
 * `tunnel`, the TCP connection goes to the proxy, and TLS starts inside the
 * tunnel once it is open (`tls.connect({ socket })`).
 *
 * @example One raw request
 * ```ts
 * import { connectNode, serve } from "@keepwire/keepwire/node";
 * import assert from "node:assert/strict";
 *
 * const server = await serve({ port: 0, hostname: "127.0.0.1" }, () => new Response("hi"));
 * let text = "";
 * const closed = Promise.withResolvers<void>();
 * const transport = await connectNode({ hostname: "127.0.0.1", port: server.addr.port }, {
 *   onData: (chunk) => void (text += new TextDecoder().decode(chunk)),
 *   onEnd: () => {},
 *   onDrain: () => {},
 *   onClose: () => closed.resolve(),
 * });
 * transport.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
 * await closed.promise;
 * assert.ok(text.endsWith("\r\n\r\nhi"));
 * await server.shutdown();
 * ```
 */
export const connectNode: ConnectFunction = async (
  options: ConnectOptions,
  handler: TransportHandler,
): Promise<Transport> => {
  const { tls, tunnel, signal } = options;
  signal?.throwIfAborted();
  if (tunnel !== undefined) {
    if (tls === undefined) throw new TypeError("ConnectOptions.tunnel needs tls");
    const raw = await openTunnel(tunnel, signal);
    const socket = connectTls({ socket: raw, ...tlsOptions(options.hostname, tls) });
    // The TLS socket owns the raw one from here; make sure closing it frees both.
    socket.once("close", () => raw.destroy());
    return await established(socket, "secureConnect", true, handler, undefined, signal);
  }
  const socket = options.path !== undefined
    ? connectTcp({ path: options.path })
    : tls === undefined
    ? connectTcp({ host: options.hostname, port: options.port, noDelay: true })
    : connectTls({
      host: options.hostname,
      port: options.port,
      ...tlsOptions(options.hostname, tls),
    }).setNoDelay(true);
  const secure = tls !== undefined && options.path === undefined;
  return await established(
    socket,
    secure ? "secureConnect" : "connect",
    tls !== undefined,
    handler,
    options.path,
    signal,
  );
};

/** `node:tls` client options: SNI and the certificate checks for `hostname`. */
function tlsOptions(hostname: string, tls: TlsConnectOptions) {
  return {
    // RFC 6066 §3: SNI carries host names, never IP literals.
    ...(isIP(hostname) ? {} : { servername: hostname }),
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
    ALPNProtocols: ALPN_PROTOCOLS,
  };
}

/**
 * Resolves with the transport once `socket` emits `ready` (connect or TLS
 * handshake); an abort of `signal` before that destroys the socket.
 */
function established(
  socket: Socket,
  ready: "connect" | "secureConnect",
  tls: boolean,
  handler: TransportHandler,
  unixPath: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => {
      signal?.removeEventListener("abort", abandoned);
      socket.destroy();
      reject(tls ? classifyTlsError(error) : error);
    };
    const abandoned = () => failed(signal?.reason);
    signal?.addEventListener("abort", abandoned, { once: true });
    socket.once("error", failed);
    socket.once(ready, () => {
      signal?.removeEventListener("abort", abandoned);
      socket.off("error", failed);
      const transport = new NodeTransport(socket, unixPath);
      transport.attach(handler);
      resolve(transport);
    });
  });
}

/**
 * Dials the proxy, writes the CONNECT request and reads the answer until
 * `tunnel.onResponse` says the tunnel is open; resolves with the raw
 * socket, paused, for TLS to take over.
 */
function openTunnel(tunnel: TunnelOptions, signal: AbortSignal | undefined): Promise<Socket> {
  const raw = connectTcp({ host: tunnel.hostname, port: tunnel.port, noDelay: true });
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      raw.off("data", onData).off("error", done).off("end", closedEarly).off("close", closedEarly);
      signal?.removeEventListener("abort", abandoned);
      if (error === undefined) {
        raw.pause();
        // Failures reach the TLS socket on top; an unheard 'error' here would throw.
        raw.on("error", () => {});
        resolve(raw);
      } else {
        raw.destroy();
        reject(error);
      }
    };
    const closedEarly = () =>
      done(new Error("the proxy closed the connection before the tunnel opened"));
    const onData = (chunk: Uint8Array) => {
      let open: boolean;
      try {
        open = tunnel.onResponse(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (error) {
        done(error);
        return;
      }
      if (open) done();
    };
    const abandoned = () => done(signal?.reason);
    raw.once("connect", () => raw.write(tunnel.request));
    raw.on("data", onData).once("error", done).once("end", closedEarly).once("close", closedEarly);
    signal?.addEventListener("abort", abandoned, { once: true });
  });
}

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenNode}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
 * @example On Node
 * ```ts ignore
 * import { serve } from "@keepwire/keepwire/node";
 *
 * const server = await serve({ port: 8080, keepAliveTimeout: 10_000 }, () => new Response("Hello from Node"));
 * await server.finished;
 * ```
 */
export const serve: ServeFunction = bindServe(listenNode, true);

/**
 * Creates a keep-alive client that connects with {@linkcode connectNode}: the
 * same as `createClient` from the package root, minus the runtime detection.
 *
 * @example On Node
 * ```ts ignore
 * import { createClient } from "@keepwire/keepwire/node";
 *
 * const client = createClient();
 * console.log((await client.fetch("https://example.com/")).status);
 * await client.close();
 * ```
 */
export const createClient: (options?: ClientOptions) => KeepAliveClient = bindCreateClient(
  connectNode,
  true,
);
