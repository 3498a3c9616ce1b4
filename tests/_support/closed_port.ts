/**
 * A local port nothing listens on, for tests that need a refused dial.
 *
 * The port is bound once (to see it is free) and released, so a server that
 * binds port 0 later could be given it: the kernel picks such ports from its
 * ephemeral range (32768–60999 on Linux). Taking the port from below that
 * range means no test server started meanwhile lands on it, and a dial to it
 * is refused rather than answered by somebody else's server.
 */
import { createServer } from "node:net";

const LOWEST = 20_000;
const SPAN = 12_000;

/** A port on 127.0.0.1 with nothing listening: dialing it is refused. */
export async function closedPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * SPAN);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  throw new Error("closedPort: no free port found below the ephemeral range");
}
