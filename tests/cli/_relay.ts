// A TCP relay for the browser WebSocket tests: it forwards bytes unchanged between the browser
// and the server, counts them each way per connection, and (when the bytes are not encrypted)
// reads the head of every frame the browser sends after the HTTP handshake, so a test can see
// how Chromium framed its messages on the wire. Independent of keepwire's own frame reader:
// it looks at the first bytes of each frame and skips the payload (RFC 6455 §5.2).
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";

/** The head of one frame as sent. */
export interface FrameHead {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
}

/** One relayed connection. */
export interface RelayedConnection {
  /** Bytes from the browser to the server. */
  up: number;
  /** Bytes from the server to the browser. */
  down: number;
  /** The browser's frames, in order (empty when the bytes are TLS). */
  frames: FrameHead[];
}

/** Reads frame heads out of the browser's bytes, after the handshake's `\r\n\r\n`. */
class FrameHeadReader {
  #pending = new Uint8Array(0);
  #inHead = true;
  #skip = 0;
  constructor(readonly frames: FrameHead[]) {}

  push(chunk: Uint8Array): void {
    const data = new Uint8Array(this.#pending.length + chunk.length);
    data.set(this.#pending);
    data.set(chunk, this.#pending.length);
    let at = 0;
    if (this.#inHead) {
      const end = new TextDecoder("latin1").decode(data).indexOf("\r\n\r\n");
      if (end === -1) {
        this.#pending = data;
        return;
      }
      this.#inHead = false;
      at = end + 4;
    }
    for (;;) {
      const skipped = Math.min(this.#skip, data.length - at);
      this.#skip -= skipped;
      at += skipped;
      if (this.#skip > 0 || data.length - at < 2) break;
      const [first, second] = [data[at], data[at + 1]];
      let length = second & 0x7f;
      let head = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = (data[at + 2] << 8) | data[at + 3];
        head = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(new DataView(data.buffer, data.byteOffset + at + 2, 8).getBigUint64(0));
        head = 10;
      }
      if (second & 0x80) head += 4; // the masking key
      if (data.length - at < head) break;
      this.frames.push({
        fin: (first & 0x80) !== 0,
        rsv1: (first & 0x40) !== 0,
        opcode: first & 0x0f,
        length,
      });
      at += head;
      this.#skip = length;
    }
    this.#pending = data.slice(at);
  }
}

/** A relay listening on 127.0.0.1 in front of `port`. */
export interface Relay {
  readonly port: number;
  /** Every connection relayed so far, in the order they were accepted. */
  readonly connections: RelayedConnection[];
  close(): Promise<void>;
}

/**
 * Starts a relay to 127.0.0.1:`port`. With `readFrames`, the browser's frames are read (only
 * meaningful for plain `ws:`).
 */
export async function startRelay(port: number, readFrames: boolean): Promise<Relay> {
  const connections: RelayedConnection[] = [];
  const sockets = new Set<Socket>();
  const relay = createServer((browser) => {
    const record: RelayedConnection = { up: 0, down: 0, frames: [] };
    connections.push(record);
    const reader = readFrames ? new FrameHeadReader(record.frames) : null;
    const upstream = connect(port, "127.0.0.1");
    sockets.add(browser).add(upstream);
    browser.on("data", (chunk: Uint8Array) => {
      record.up += chunk.byteLength;
      reader?.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Uint8Array) => {
      record.down += chunk.byteLength;
      browser.write(chunk);
    });
    browser.on("end", () => upstream.end());
    upstream.on("end", () => browser.end());
    browser.on("error", () => upstream.destroy());
    upstream.on("error", () => browser.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const address = relay.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    port: address.port,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}
