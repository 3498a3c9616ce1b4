/**
 * A raw upstream for the proxy's tests: node:net, every byte recorded, every
 * answer written by the test (so interim responses, odd framing and held
 * answers are in its hands), behind a keepwire proxy and front server.
 */

import { createServer as createNetServer, type Socket } from "node:net";
import { serve } from "../../lib/serve.ts";
import { createProxyHandler, type ProxyOptions } from "../../lib/handlers/proxy.ts";
import { RawClient } from "../_support/raw_client.ts";
export { closedPort } from "../_support/closed_port.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };

/**
 * An upstream on node:net that records the raw bytes of each connection and
 * answers through `respond`, called after every chunk with everything the
 * connection has sent since its last answer: a string is written as the
 * answer (and the record starts again), null waits for more.
 */
export class RawUpstream {
  readonly requests: string[] = [];
  readonly sockets: Socket[] = [];
  received = "";
  #server = createNetServer((socket) => {
    this.sockets.push(socket);
    socket.on("error", () => {});
    let pending = "";
    socket.on("data", (chunk) => {
      const text = chunk.toString("latin1");
      pending += text;
      this.received += text;
      const answer = this.respond(pending, socket);
      if (answer !== null) {
        this.requests.push(pending);
        pending = "";
        socket.write(answer);
      }
    });
  });
  constructor(public respond: (pending: string, socket: Socket) => string | null) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return (this.#server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

export async function withRawUpstream(
  upstream: RawUpstream,
  options: Partial<ProxyOptions>,
  run: (client: RawClient) => Promise<void>,
): Promise<void> {
  const port = await upstream.listen();
  const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${port}`], ...options });
  const front = await serve(LOCAL, proxy);
  const client = await RawClient.connect(front.addr.port);
  try {
    await run(client);
  } finally {
    client.destroy();
    await front.shutdown();
    await proxy.close();
    await upstream.close();
  }
}

export const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** The request's head (lower-cased) and the body bytes after it, as text. */
export function split(request: string): { head: string; body: string } {
  const end = request.indexOf("\r\n\r\n");
  return { head: request.slice(0, end).toLowerCase(), body: request.slice(end + 4) };
}
