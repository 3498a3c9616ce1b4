/**
 * What the forward-proxy tests share: an origin that answers with what it
 * received, the recording proxy, clients, a closed port and a server that
 * never answers — each closed by {@linkcode closeAll} after the test.
 */
import { createServer, type Socket } from "node:net";
import { createClient } from "../../lib/client.ts";
import type { KeepAliveClient } from "../../lib/client/client.ts";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { type ForwardProxy, startForwardProxy } from "../_support/forward_proxy.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";
export { closedPort } from "../_support/closed_port.ts";

const open: { close(): Promise<void> }[] = [];
const clients: KeepAliveClient[] = [];

/** Has {@linkcode closeAll} close `thing` after the test. */
export function closeAfterTest(thing: { close(): Promise<void> }): void {
  open.push(thing);
}

/** Closes every client, server and proxy the test made (run it after each test). */
export async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(open.splice(0).map((thing) => thing.close()));
}

/** A keepwire server that answers with what it received: method, URL, Host. */
export async function origin(tls = false): Promise<Server> {
  const server = await serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      ...(tls ? { tls: { cert: TEST_CERT, key: TEST_KEY } } : {}),
    },
    async (request, info) => {
      const body = request.body === null ? "" : ` body=${await request.text()}`;
      return new Response(
        `${request.method} ${request.url} host=${request.headers.get("host")} ` +
          `proxy-auth=${request.headers.get("proxy-authorization")} ` +
          `on=${info.connection.id}${body}`,
      );
    },
  );
  open.push({ close: () => server.shutdown() });
  return server;
}

/** A recording forward proxy (tests/_support/forward_proxy.ts), closed after the test. */
export async function proxy(
  options: Parameters<typeof startForwardProxy>[0] = {},
): Promise<ForwardProxy> {
  const started = await startForwardProxy(options);
  open.push(started);
  return started;
}

/** A client, closed after the test. */
export function client(options: Parameters<typeof createClient>[0] = {}): KeepAliveClient {
  const created = createClient(options);
  clients.push(created);
  return created;
}

/** A TCP server that accepts, reads and never answers; says when every socket it took has closed. */
export async function silentServer(): Promise<
  { port: number; readonly accepted: number; allClosed(): Promise<boolean> }
> {
  const sockets: Socket[] = [];
  let closedCount = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("close", () => void closedCount++);
    socket.on("error", () => {});
    socket.resume(); // reads (and drops) what comes, so the client's FIN is seen
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push({
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  });
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return sockets.length;
    },
    async allClosed() {
      const deadline = Date.now() + 3_000;
      while (closedCount < sockets.length && Date.now() < deadline) {
        await new Promise((wake) => setTimeout(wake, 10));
      }
      return closedCount === sockets.length;
    },
  };
}
