/**
 * UTF-8 bytes of a response text, the last one kept: handlers often answer
 * the same text again and again. The bytes are shared and read-only (they
 * are only ever written to sockets).
 *
 * @module
 */

const encoder = new TextEncoder();
let lastText = "";
let lastBytes = new Uint8Array(0);

/** The UTF-8 bytes of `text`, not to be modified. */
export function encodeText(text: string): Uint8Array {
  if (text.length > 4096) return encoder.encode(text); // not worth pinning
  if (text !== lastText) {
    lastBytes = encoder.encode(text);
    lastText = text;
  }
  return lastBytes;
}
