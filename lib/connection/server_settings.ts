/**
 * The server's defaults, and the settings its connections run by as read
 * from `ServeOptions`: each limit checked, each default filled in.
 *
 * @module
 */

import { lightFetchGlobalsInstalled } from "../fetch/light_fetch.ts";
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_REQUEST_LINE_SIZE,
} from "../codec/limits.ts";
import type { ConnectionSettings } from "./exchange.ts";
import type { ServeOptions } from "./options.ts";

/**
 * Default idle (keep-alive) timeout: 5 s, as Node's `keepAliveTimeout` and nginx's upstream default order of magnitude.
 *
 * @example
 * ```ts
 * import { DEFAULT_KEEP_ALIVE_TIMEOUT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_KEEP_ALIVE_TIMEOUT, 5_000);
 * ```
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 5_000;
/**
 * Default requests per connection: 1000, as nginx's `keepalive_requests`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_REQUESTS_PER_CONNECTION } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_REQUESTS_PER_CONNECTION, 1000);
 * ```
 */
export const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 1000;
/**
 * Default time to receive a complete header section.
 *
 * @example
 * ```ts
 * import { DEFAULT_HEADERS_TIMEOUT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_HEADERS_TIMEOUT, 20_000);
 * ```
 */
export const DEFAULT_HEADERS_TIMEOUT = 20_000;
/**
 * Default longest pause between pieces of a request body.
 *
 * @example
 * ```ts
 * import { DEFAULT_REQUEST_BODY_TIMEOUT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_REQUEST_BODY_TIMEOUT, 30_000);
 * ```
 */
export const DEFAULT_REQUEST_BODY_TIMEOUT = 30_000;
/**
 * Default time from a request's first byte to the end of its body: 5 min,
 * as node:http's `requestTimeout`. Long enough for the default 128 MiB body
 * limit at well under 1 MB/s; an upload that trickles in under
 * `requestBodyTimeout` forever is cut here.
 *
 * @example
 * ```ts
 * import { DEFAULT_REQUEST_TIMEOUT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_REQUEST_TIMEOUT, 300_000);
 * ```
 */
export const DEFAULT_REQUEST_TIMEOUT = 300_000;
/**
 * Default cap on open connections.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_CONNECTIONS } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_CONNECTIONS, 10_000);
 * ```
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/**
 * Default time `shutdown()` lets in-flight requests finish.
 *
 * @example
 * ```ts
 * import { DEFAULT_SHUTDOWN_TIMEOUT } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_SHUTDOWN_TIMEOUT, 10_000);
 * ```
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/**
 * Default time written bytes may wait for a client that does not read
 * before its connection is closed: 60 s, as nginx's `send_timeout`.
 */
const DEFAULT_SEND_TIMEOUT = 60_000;

/** `value`, or `fallback` when it is undefined; a negative, NaN or infinite one throws a RangeError naming `name`. */
export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a non-negative finite number, got ${value}`);
  }
  return value;
}

// The entry points install the light globals (it changes the process);
// reading options never does.
function lightFetchGlobalsReady(): boolean {
  if (lightFetchGlobalsInstalled()) return true;
  throw new TypeError(
    "lightFetchObjects: true needs the light Fetch globals: call installLightFetchGlobals() " +
      "before serveWith(), or use serve(), which does",
  );
}

/** The settings every connection of a server runs by, from its options (bad values throw). */
export function resolveSettings(options: ServeOptions): ConnectionSettings {
  const maxRequests = positive(
    options.maxRequestsPerConnection,
    DEFAULT_MAX_REQUESTS_PER_CONNECTION,
    "maxRequestsPerConnection",
  );
  if (maxRequests < 1) throw new RangeError("maxRequestsPerConnection must be at least 1");
  return {
    keepAliveTimeout: positive(
      options.keepAliveTimeout,
      DEFAULT_KEEP_ALIVE_TIMEOUT,
      "keepAliveTimeout",
    ),
    maxRequestsPerConnection: maxRequests,
    headersTimeout: positive(options.headersTimeout, DEFAULT_HEADERS_TIMEOUT, "headersTimeout"),
    requestBodyTimeout: positive(
      options.requestBodyTimeout,
      DEFAULT_REQUEST_BODY_TIMEOUT,
      "requestBodyTimeout",
    ),
    requestTimeout: positive(options.requestTimeout, DEFAULT_REQUEST_TIMEOUT, "requestTimeout"),
    sendTimeout: positive(options.sendTimeout, DEFAULT_SEND_TIMEOUT, "sendTimeout"),
    keepAliveHint: options.keepAliveHint ?? true,
    eagerContinue: options.eagerContinue ?? false,
    lightFetch: options.lightFetchObjects === true && lightFetchGlobalsReady(),
    parser: {
      maxBodySize: positive(options.maxBodySize, DEFAULT_MAX_BODY_SIZE, "maxBodySize"),
      maxRequestLineSize: positive(
        options.maxRequestLineSize,
        DEFAULT_MAX_REQUEST_LINE_SIZE,
        "maxRequestLineSize",
      ),
      maxHeaderSize: positive(options.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE, "maxHeaderSize"),
      maxHeaderCount: positive(options.maxHeaderCount, DEFAULT_MAX_HEADER_COUNT, "maxHeaderCount"),
    },
  };
}
