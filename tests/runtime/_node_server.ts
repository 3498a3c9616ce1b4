/** A node:net server's setup and teardown, shared by the Node I/O tests. */
import type { Server, Socket } from "node:net";

/** Listens on an ephemeral port of 127.0.0.1; resolves with the port. */
export function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port))
  );
}

/** Destroys `sockets` and closes `server`. */
export function closed(server: Server, sockets: Socket[]): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
