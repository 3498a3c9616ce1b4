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
  Transport,
  TransportHandler,
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
 * handshake done. Nagle is off: requests are small and latency-bound.
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
export const connectNode: ConnectFunction = (
  options: ConnectOptions,
  handler: TransportHandler,
): Promise<Transport> => {
  const { tls } = options;
  const socket = options.path !== undefined
    ? connectTcp({ path: options.path })
    : tls === undefined
    ? connectTcp({ host: options.hostname, port: options.port, noDelay: true })
    : connectTls({
      host: options.hostname,
      port: options.port,
      // RFC 6066 §3: SNI carries host names, never IP literals.
      ...(isIP(options.hostname) ? {} : { servername: options.hostname }),
      ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
      ALPNProtocols: ALPN_PROTOCOLS,
    }).setNoDelay(true);
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => {
      socket.destroy();
      reject(tls === undefined ? error : classifyTlsError(error));
    };
    socket.once("error", failed);
    socket.once(
      tls === undefined || options.path !== undefined ? "connect" : "secureConnect",
      () => {
        socket.off("error", failed);
        const transport = new NodeTransport(socket, options.path);
        transport.attach(handler);
        resolve(transport);
      },
    );
  });
};

/**
 * Starts a keep-alive HTTP/1.x server bound with {@linkcode listenNode}: the
 * same as `serve` from the package root, minus the runtime detection.
 *
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
