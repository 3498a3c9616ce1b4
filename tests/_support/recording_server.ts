/**
 * A listener on the running runtime's shim (via `listenForRuntime`) that
 * records every transport event per connection, so socket tests can assert
 * on what the shim reported.
 *
 * @module
 */

import type { Listener, Transport, TransportHandler } from "../../lib/transport.ts";
import { listenForRuntime } from "../../lib/runtime/detect.ts";
import { DEFAULT_READ_TIMEOUT_MS, waitFor } from "./raw_client.ts";

const decoder = new TextDecoder();

/** Everything one accepted connection reported. */
export class RecordedConnection {
  /** Chunks in arrival order. */
  readonly chunks: Uint8Array[] = [];
  /** How many times onEnd fired. */
  ends = 0;
  /** How many times onDrain fired. */
  drains = 0;
  /** The argument of every onClose call. */
  readonly closes: unknown[] = [];
  /** Every chunk passed to onData, concatenated, as text. */
  get text(): string {
    return this.chunks.map((chunk) => decoder.decode(chunk)).join("");
  }
  /** Total bytes received. */
  get byteCount(): number {
    return this.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  }
  constructor(readonly transport: Transport) {}
}

/** What a test may add on top of the recording (e.g. echo, reply, close). */
export type Behaviour = Partial<
  {
    [K in keyof TransportHandler]: (
      connection: RecordedConnection,
      ...args: Parameters<TransportHandler[K]>
    ) => void;
  }
>;

/** A running recording server. */
export interface RecordingServer {
  readonly listener: Listener;
  readonly port: number;
  readonly connections: RecordedConnection[];
  /** Wait until the `index`-th (0-based) connection has been accepted. */
  connection(index?: number): Promise<RecordedConnection>;
  /** Stop listening and close every connection still open. */
  close(): Promise<void>;
}

/** Echo every chunk back: the default behaviour. */
export const echo: Behaviour = {
  onData: (connection, chunk) => void connection.transport.write(chunk),
};

/** Start a recording server on 127.0.0.1 and a free port. */
export async function startRecordingServer(behaviour: Behaviour = echo): Promise<RecordingServer> {
  const listen = await listenForRuntime();
  const connections: RecordedConnection[] = [];
  const listener = await listen({ port: 0, hostname: "127.0.0.1" }, (transport) => {
    const connection = new RecordedConnection(transport);
    connections.push(connection);
    return {
      onData(chunk) {
        connection.chunks.push(chunk);
        behaviour.onData?.(connection, chunk);
      },
      onEnd() {
        connection.ends++;
        behaviour.onEnd?.(connection);
      },
      onDrain() {
        connection.drains++;
        behaviour.onDrain?.(connection);
      },
      onClose(error) {
        connection.closes.push(error);
        behaviour.onClose?.(connection, error);
      },
    };
  });
  return {
    listener,
    port: listener.addr.port,
    connections,
    async connection(index = 0) {
      await waitFor(
        () => connections.length > index,
        `connection #${index}`,
        DEFAULT_READ_TIMEOUT_MS,
      );
      return connections[index];
    },
    async close() {
      await listener.close();
      for (const connection of connections) {
        if (connection.closes.length === 0) connection.transport.close();
      }
    },
  };
}
