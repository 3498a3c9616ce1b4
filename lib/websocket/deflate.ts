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
   * Compresses one message (§7.2.1) into what a sync flush would have
   * produced, minus the 00 00 FF FF the receiver appends back.
   *
   * `CompressionStream` cannot flush without finishing, so its output ends
   * with a BFINAL block. RFC 7692 §7.2.3.4 allows that, but receivers that
   * keep one inflater per connection (undici's, Node 22+'s `WebSocket`)
   * stop at the end of a DEFLATE stream and decode every later message as
   * empty. So the output is read once more to find its last block; its
   * BFINAL bit is cleared, and the zero bits after its end-of-block code
   * become the header of the empty stored block that ends a sync flush
   * (one 0x00 byte added when fewer than 3 bits are left). Each message
   * is still its own stream of references (never into an earlier one), so
   * whatever the peer's window, it decodes. Costs one inflate of our own
   * output per message; measured as small next to the compression itself.
   */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new CompressionStream("deflate-raw"));
    const deflated = new Uint8Array(await new Response(stream).arrayBuffer());
    const scan = new RawInflater();
    scan.inflate(deflated, data.length);
    const { lastBlockBit, endBit } = scan;
    const spareBits = (8 - (endBit & 7)) & 7;
    const out = new Uint8Array(Math.ceil(endBit / 8) + (spareBits < 3 ? 1 : 0));
    out.set(deflated.subarray(0, Math.ceil(endBit / 8)));
    out[lastBlockBit >> 3] &= ~(1 << (lastBlockBit & 7));
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
