/**
 * The runtime's own `WebSocket` client (Node 22+'s undici, Deno's, Bun's)
 * as the socket tests drive it: connect to `/ws` on a local port, await
 * the next message, await the close.
 */

/** The global `WebSocket`, or undefined where the runtime has none (Node 20). */
export const NativeWebSocket: typeof WebSocket | undefined =
  (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;

/** Why a suite of native-client tests is skipped here, or false. */
export const skipWithoutNativeWebSocket: string | false = NativeWebSocket === undefined
  ? "no global WebSocket (Node 20)"
  : false;

/** Opens `ws://127.0.0.1:PORT/ws` (binary as ArrayBuffer) and resolves once it is open. */
export function openNative(port: number, protocols?: string[]): Promise<WebSocket> {
  const client = new NativeWebSocket!(`ws://127.0.0.1:${port}/ws`, protocols);
  client.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    client.onopen = () => resolve(client);
    client.onerror = () => reject(new Error("the native client failed to connect"));
  });
}

/** The data of the next message `client` receives. */
export function nextMessage(client: WebSocket): Promise<unknown> {
  return new Promise((resolve) =>
    client.addEventListener("message", (event) => resolve((event as MessageEvent).data), {
      once: true,
    })
  );
}

/** What `client`'s close event says, when it comes. */
export function closed(
  client: WebSocket,
): Promise<{ code: number; reason: string; wasClean: boolean }> {
  return new Promise((resolve) =>
    client.addEventListener("close", (event) => {
      const { code, reason, wasClean } = event as CloseEvent;
      resolve({ code, reason, wasClean });
    }, { once: true })
  );
}
