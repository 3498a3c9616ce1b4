/**
 * permessage-deflate (RFC 7692 §7.2) for a {@linkcode KeepwireWebSocket}:
 * outgoing messages compressed with `CompressionStream("deflate-raw")`,
 * incoming ones inflated by a bounded, synchronous decoder.
 *
 * @module
 */

import { WebSocketError } from "../codec/websocket/errors.ts";
import type { PerMessageDeflateParams } from "../codec/websocket/extensions.ts";
import { InflateError, RawInflater } from "./_inflate.ts";

// RFC 7692 §7.2.2: the receiver appends the 4 bytes the sender removed.
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** The compression state of one connection (both directions). */
export class PerMessageDeflate {
  /**
   * Messages shorter than this go out uncompressed (RSV1 clear, allowed
   * by RFC 7692 §6): deflate's own overhead and a stream per message cost
   * more than they save on a few dozen bytes.
   */
  static readonly MIN_SIZE = 64;

  #inflater = new RawInflater();
  #resetInflater: boolean;

  /**
   * @param params what the handshake agreed on
   * @param role which end this is: its peer's no-context-takeover flag
   *   decides whether the inflater forgets its window after each message
   */
  constructor(params: PerMessageDeflateParams, role: "server" | "client") {
    this.#resetInflater = role === "server"
      ? params.clientNoContextTakeover
      : params.serverNoContextTakeover;
  }

  /**
   * Compresses one message (§7.2.1). Each message is its own DEFLATE
   * stream, finished with BFINAL (§7.2.3.4: for compressors that cannot
   * sync-flush, which `CompressionStream` cannot), so no message refers to
   * another whatever the peer's context takeover. After the final block
   * comes a 0x00: with the 00 00 FF FF the receiver appends, an empty
   * stored block, which is what RFC 7692's own example sends.
   */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new CompressionStream("deflate-raw"));
    const compressed = new Uint8Array(await new Response(stream).arrayBuffer());
    const out = new Uint8Array(compressed.length + 1);
    out.set(compressed);
    return out;
  }

  /**
   * Inflates one message (§7.2.2); null when it inflates past `limit`
   * bytes. Data that is not DEFLATE fails the connection with 1007.
   */
  inflate(data: Uint8Array, limit: number): Uint8Array | null {
    const input = new Uint8Array(data.length + 4);
    input.set(data);
    input.set(TAIL, data.length);
    try {
      const result = this.#inflater.inflate(input, limit);
      if (this.#resetInflater) this.#inflater.reset();
      return result;
    } catch (error) {
      if (!(error instanceof InflateError)) throw error;
      throw new WebSocketError(1007, "invalid-deflate-data", error.message);
    }
  }
}
