/**
 * The server side of the opening handshake (RFC 6455 §4.2): checking an
 * upgrade request, the `Sec-WebSocket-Accept` key, subprotocol selection and
 * the fields of the `101 Switching Protocols` answer. Works on anything with
 * a Fetch-style `headers.get()`, so a `Request` fits as is.
 *
 * @module
 */

import { sha1 } from "./_sha1.ts";
import { WebSocketHandshakeError } from "./errors.ts";
import { type ExtensionOffer, parseExtensions } from "./extensions.ts";

/**
 * The GUID RFC 6455 §1.3 appends to `Sec-WebSocket-Key` before hashing.
 *
 * @example
 * ```ts
 * import { WEBSOCKET_GUID } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(WEBSOCKET_GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
 * ```
 */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 item
 * 5.4): base64 of the SHA-1 of the key followed by {@linkcode WEBSOCKET_GUID}.
 *
 * @example The example of RFC 6455 §1.3
 * ```ts
 * import { computeAcceptKey } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function computeAcceptKey(key: string): string {
  const input = key + WEBSOCKET_GUID;
  const bytes = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) bytes[i] = input.charCodeAt(i) & 0xff;
  return btoa(String.fromCharCode(...sha1(bytes)));
}

/**
 * What {@linkcode validateUpgradeRequest} reads: a Fetch `Request` fits,
 * and `httpVersion` can be given by a server that knows it.
 *
 * @example
 * ```ts
 * import type { UpgradeRequestLike } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const request: UpgradeRequestLike = new Request("http://localhost/chat");
 * assert.equal(request.method, "GET");
 * ```
 */
export interface UpgradeRequestLike {
  /** The request method. */
  readonly method: string;
  /** The request's fields. */
  readonly headers: { get(name: string): string | null };
  /** `"1.0"` or `"1.1"` when known; RFC 6455 §4.1 needs at least 1.1. */
  readonly httpVersion?: string;
  /** Whether the request has content (a Content-Length above 0, or chunked), when known. */
  readonly hasContent?: boolean;
}

/**
 * An accepted opening handshake: what the client asked for.
 *
 * @example
 * ```ts
 * import { validateUpgradeRequest, type WebSocketOffer } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const offer: WebSocketOffer = validateUpgradeRequest(new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket",
 *     connection: "Upgrade",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-version": "13",
 *     "sec-websocket-protocol": "chat, superchat",
 *   },
 * }));
 * assert.deepEqual(offer.protocols, ["chat", "superchat"]);
 * ```
 */
export interface WebSocketOffer {
  /** `Sec-WebSocket-Key`, checked to be base64 of 16 bytes. */
  readonly key: string;
  /** The subprotocols of `Sec-WebSocket-Protocol`, in the client's order of preference. */
  readonly protocols: readonly string[];
  /** The extensions of `Sec-WebSocket-Extensions`; empty when absent or malformed. */
  readonly extensions: readonly ExtensionOffer[];
}

/** Base64 of exactly 16 bytes: 21 full characters, one holding 2 bits, "==" (§4.1 item 7). */
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The comma-separated tokens of a field value, lower-cased when `lower`. */
function tokens(value: string | null, lower: boolean): string[] {
  if (value === null) return [];
  const result: string[] = [];
  for (const part of value.split(",")) {
    const token = part.trim();
    if (token !== "") result.push(lower ? token.toLowerCase() : token);
  }
  return result;
}

/**
 * True when a request asks to upgrade to WebSocket (an `Upgrade` field
 * naming `websocket`), whether or not the rest of its handshake is valid.
 *
 * @example
 * ```ts
 * import { isWebSocketUpgrade } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isWebSocketUpgrade(new Headers({ upgrade: "WebSocket" })), true);
 * assert.equal(isWebSocketUpgrade(new Headers({ upgrade: "h2c" })), false);
 * ```
 */
export function isWebSocketUpgrade(headers: { get(name: string): string | null }): boolean {
  return tokens(headers.get("upgrade"), true).includes("websocket");
}

function refuse(code: string, message: string): WebSocketHandshakeError {
  return new WebSocketHandshakeError(400, code, message);
}

/**
 * Checks a client's opening handshake (RFC 6455 §4.2.1): method GET, HTTP
 * at least 1.1, no content, `Upgrade` naming `websocket` and `Connection`
 * naming `upgrade` (both case-insensitive token lists), a
 * `Sec-WebSocket-Key` that is base64 of 16 bytes, and
 * `Sec-WebSocket-Version: 13`. Throws {@linkcode WebSocketHandshakeError}:
 * 426 with `Sec-WebSocket-Version: 13` when the version is missing or
 * another (§4.2.2, §4.4); 426 with `Upgrade: websocket` over HTTP/1.0; 400
 * otherwise.
 *
 * @example
 * ```ts
 * import { computeAcceptKey, validateUpgradeRequest } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const offer = validateUpgradeRequest(new Request("http://localhost/", {
 *   headers: {
 *     upgrade: "websocket",
 *     connection: "keep-alive, Upgrade",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-version": "13",
 *   },
 * }));
 * assert.equal(computeAcceptKey(offer.key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function validateUpgradeRequest(request: UpgradeRequestLike): WebSocketOffer {
  const { headers } = request;
  if (request.method !== "GET") throw refuse("method-not-get", "a WebSocket handshake is a GET");
  if (request.httpVersion !== undefined && request.httpVersion !== "1.1") {
    // RFC 9110 §7.8: a server MUST ignore Upgrade in an HTTP/1.0 request.
    // What is left is a plain GET of a resource that speaks only WebSocket,
    // which is answered 426 naming the protocol (§15.5.22; Upgrade is
    // always sent with Connection: upgrade): the client can retry over 1.1.
    throw new WebSocketHandshakeError(
      426,
      "http-version",
      "a WebSocket handshake needs HTTP/1.1 (RFC 6455 §4.1)",
      [["Upgrade", "websocket"], ["Connection", "Upgrade"]],
    );
  }
  if (request.hasContent === true) {
    // §4.1: the handshake is a GET without content (RFC 9110 §9.3.1 gives
    // content in a GET no meaning); after the 101 every byte is a frame,
    // so content would have to be read in HTTP first. Refused, not guessed.
    throw refuse("request-content", "a WebSocket handshake has no content");
  }
  if (!isWebSocketUpgrade(headers)) {
    throw refuse("missing-upgrade", "the Upgrade field does not name websocket");
  }
  if (!tokens(headers.get("connection"), true).includes("upgrade")) {
    throw refuse("missing-connection-upgrade", "the Connection field does not name upgrade");
  }
  if (headers.get("sec-websocket-version")?.trim() !== "13") {
    throw new WebSocketHandshakeError(
      426,
      "unsupported-version",
      "only Sec-WebSocket-Version 13 is supported",
      [["Sec-WebSocket-Version", "13"]],
    );
  }
  const key = headers.get("sec-websocket-key")?.trim() ?? "";
  if (!KEY_PATTERN.test(key)) {
    throw refuse("invalid-key", "Sec-WebSocket-Key is not base64 of 16 bytes");
  }
  const protocols = tokens(headers.get("sec-websocket-protocol"), false);
  if (!protocols.every((protocol) => TOKEN_PATTERN.test(protocol))) {
    throw refuse("invalid-protocol", "Sec-WebSocket-Protocol is not a list of tokens");
  }
  return { key, protocols, extensions: parseExtensions(headers.get("sec-websocket-extensions")) };
}

/**
 * Picks the subprotocol to answer with (RFC 6455 §4.2.2 item 5.4): the first
 * of the client's offers, in its order of preference, that `supported`
 * contains; null when none is (then the answer names none, and the client
 * decides whether to go on, §4.1).
 *
 * @example
 * ```ts
 * import { selectSubprotocol } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(selectSubprotocol(["v2.chat", "v1.chat"], ["v1.chat", "v2.chat"]), "v2.chat");
 * assert.equal(selectSubprotocol(["mqtt"], "chat"), null);
 * ```
 */
export function selectSubprotocol(
  offered: readonly string[],
  supported: string | readonly string[],
): string | null {
  const accepted = typeof supported === "string" ? [supported] : supported;
  return offered.find((protocol) => accepted.includes(protocol)) ?? null;
}

/**
 * The fields of the `101 Switching Protocols` answer (RFC 6455 §4.2.2 item
 * 5), as `[name, value]` pairs: `Upgrade`, `Connection`,
 * `Sec-WebSocket-Accept`, and the chosen subprotocol and extensions when
 * there are any.
 *
 * @example
 * ```ts
 * import { upgradeResponseHeaders } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(upgradeResponseHeaders({ key: "dGhlIHNhbXBsZSBub25jZQ==", protocol: "chat" }), [
 *   ["Upgrade", "websocket"],
 *   ["Connection", "Upgrade"],
 *   ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
 *   ["Sec-WebSocket-Protocol", "chat"],
 * ]);
 * ```
 */
export function upgradeResponseHeaders(
  options: { key: string; protocol?: string | null; extensions?: string | null },
): [string, string][] {
  const fields: [string, string][] = [
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Accept", computeAcceptKey(options.key)],
  ];
  if (options.protocol) fields.push(["Sec-WebSocket-Protocol", options.protocol]);
  if (options.extensions) fields.push(["Sec-WebSocket-Extensions", options.extensions]);
  return fields;
}
