/**
 * The response head's encoder, behind the public
 * {@linkcode encodeResponseHead} of `response_writer.ts`: the status line
 * (standard ones encoded once), the checks RFC 9110 puts on framing per
 * status, and the field section written by `_head_writer.ts`.
 *
 * The connection layer also calls it with the body of a small response
 * whose bytes are whole in memory, written after the head in the same
 * buffer: one region and one copy per response instead of a head, a body
 * and their join.
 *
 * @module
 */

import type { Framing } from "./events.ts";
import type { ResponseHeadInit } from "./response_writer.ts";
import { statusText } from "./rules.ts";
import { asciiBytes, encodeHead, writeChars } from "./_head_writer.ts";
import { TEXT_BIT } from "./_syntax.ts";

/**
 * The head of `init`, followed by `tail` (when given) in the same buffer.
 * Throws as `encodeResponseHead` documents.
 */
export function encodeResponseHeadWith(
  init: ResponseHeadInit,
  tail: Uint8Array | undefined,
): Uint8Array<ArrayBuffer> {
  const status = init.status;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new TypeError(`status must be an integer 100..999, got ${status}`);
  }
  const framing = init.framing;
  checkFramingForStatus(status, framing);
  const reason = init.statusText;
  const line = reason === undefined || reason === statusText(status)
    ? statusLine(status)
    : customStatusLine(status, reason);
  return encodeHead(line, init.headers, framing, false, false, tail);
}

// RFC 9110 §6.2: a server sends its highest conformant minor version, so
// every status line says HTTP/1.1, whatever the request said. A line with
// the standard phrase is encoded on first use and kept.
const STATUS_LINES: (Uint8Array | undefined)[] = new Array(1000);

function statusLine(status: number): Uint8Array {
  return STATUS_LINES[status] ??= asciiBytes(`HTTP/1.1 ${status} ${statusText(status)}\r\n`);
}

/** A status line with the caller's reason phrase (RFC 9112 §4), each char checked. */
function customStatusLine(status: number, reason: unknown): Uint8Array {
  if (typeof reason !== "string") throw new TypeError("status text must be a string");
  const line = new Uint8Array(15 + reason.length);
  let at = writeChars(line, 0, `HTTP/1.1 ${status} `, TEXT_BIT, "status line");
  at = writeChars(line, at, reason, TEXT_BIT, "status text");
  line[at++] = 0x0d;
  line[at] = 0x0a;
  return line;
}

// RFC 9110 §8.6 and RFC 9112 §6.1: no Content-Length or Transfer-Encoding in
// a 1xx or 204 response; a 304 has no content (RFC 9110 §15.4.5), so a
// chunked body cannot follow it.
function checkFramingForStatus(status: number, framing: Framing): void {
  const noFields = status < 200 || status === 204;
  if (framing.kind === "length" && noFields) {
    throw new TypeError(`a ${status} response must not carry Content-Length`);
  }
  if (framing.kind === "chunked" && (noFields || status === 304)) {
    throw new TypeError(`a ${status} response must not be chunked`);
  }
}
