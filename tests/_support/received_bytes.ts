/**
 * The receiving half of the test clients (`RawClient` over a socket,
 * `MemoryClient` in memory): everything received is buffered, and each read
 * waits for what it needs, failing after a timeout instead of hanging the
 * test run.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How long a read waits before failing the test. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

/** What the buffer asks its client about the connection. */
export interface StreamState {
  /** True once no more bytes can arrive (FIN or close): `readToEnd` may finish. */
  atEnd(): boolean;
  /** True once a read still waiting can never be satisfied: it fails at once. */
  gone(): boolean;
}

type Waiter = () => boolean;

/** Bytes received and not yet read, with awaitable reads. */
export class ReceivedBytes {
  // Flattened only when a read needs them (an 8 MiB transfer must not be
  // re-copied on every chunk).
  #chunks: Uint8Array[] = [];
  #length = 0;
  #waiters = new Set<Waiter>();
  readonly #owner: string;
  readonly #state: StreamState;

  /** `owner` names the client in timeout messages. */
  constructor(owner: string, state: StreamState) {
    this.#owner = owner;
    this.#state = state;
  }

  /** Bytes received and not yet consumed by a read. */
  get length(): number {
    return this.#length;
  }

  /** Adds a received chunk (kept as given: copy it first if its buffer is reused). */
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
    this.wake();
  }

  /** Lets waiting reads look again (after data, FIN or close). */
  wake(): void {
    for (const waiter of this.#waiters) if (waiter()) this.#waiters.delete(waiter);
  }

  /** Waits for exactly `count` more bytes and consumes them. */
  readBytes(count: number, timeoutMs: number): Promise<Uint8Array> {
    return this.#until(`${count} bytes`, timeoutMs, () => {
      if (this.#length < count) return undefined;
      return this.#take(count);
    });
  }

  /** Waits until `marker` has arrived; consumes and returns the text through it. */
  readUntil(marker: string, timeoutMs: number): Promise<string> {
    return this.#until(JSON.stringify(marker), timeoutMs, () => {
      const text = decoder.decode(this.#flatten());
      const at = text.indexOf(marker);
      if (at === -1) return undefined;
      const through = text.slice(0, at + marker.length);
      this.#take(encoder.encode(through).byteLength);
      return through;
    });
  }

  /** Waits for the end of the stream and consumes everything before it. */
  readToEnd(timeoutMs: number): Promise<Uint8Array> {
    return this.#until("end of stream", timeoutMs, () => {
      if (!this.#state.atEnd()) return undefined;
      return this.#take(this.#length);
    });
  }

  #flatten(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const joined = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#chunks = this.#length === 0 ? [] : [joined];
    return joined;
  }

  #take(count: number): Uint8Array {
    const all = this.#flatten();
    const taken = all.slice(0, count);
    const rest = all.subarray(count);
    this.#chunks = rest.byteLength === 0 ? [] : [rest];
    this.#length = rest.byteLength;
    return taken;
  }

  #until<T>(what: string, timeoutMs: number, attempt: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${this.#owner}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter = () => {
        const result = attempt();
        if (result !== undefined) {
          clearTimeout(timer);
          resolve(result);
          return true;
        }
        if (this.#state.gone()) {
          clearTimeout(timer);
          reject(new Error(`${this.#owner}: connection gone while waiting for ${what}`));
          return true;
        }
        return false;
      };
      if (!waiter()) this.#waiters.add(waiter);
    });
  }
}
