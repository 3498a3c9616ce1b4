/**
 * What the serve() socket tests share: a server on a free port whose raw
 * clients are destroyed and which is shut down after each test, a handler
 * that names the connection and request, and a GET in raw bytes.
 */
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import { serve } from "../../lib/serve.ts";
import { RawClient } from "./raw_client.ts";

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `body` against a fresh server; `connect` opens raw clients that are destroyed afterwards. */
export async function withServer(
  options: ServeOptions,
  handler: Handler,
  body: (server: Server, connect: () => Promise<RawClient>) => Promise<void>,
): Promise<void> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", ...options }, handler);
  const clients: RawClient[] = [];
  const connect = async () => {
    const client = await RawClient.connect(server.addr.port);
    clients.push(client);
    return client;
  };
  try {
    await body(server, connect);
  } finally {
    for (const client of clients) client.destroy();
    await server.shutdown();
  }
}

/** Answers `hello CONNECTION/REQUEST-INDEX`. */
export const hello: Handler = (_request, info) =>
  new Response(`hello ${info.connection.id}/${info.connection.requestIndex}`);

/** A GET in raw bytes, with `extra` field lines. */
export const get = (path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
