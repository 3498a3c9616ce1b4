/**
 * What `serve()` accepts, as data: one rule per keepwire option. The names
 * other servers use live beside the entry points, in `../foreign_options.ts`.
 * `checkServeOptions` reads both tables; a name in neither is an unknown
 * option. A plain-JavaScript caller gets the same checks as a TypeScript one.
 *
 * Adding a field to `ServeOptions` fails the type check until it has a rule
 * here ({@linkcode OPTION_RULES} is keyed by every option), and a keepwire
 * option shadows a foreign entry of the same name, so a name moves from
 * "not supported yet" to supported by adding its rule.
 *
 * @module
 */

import type { ServeOptions } from "./options.ts";
import {
  boolean,
  callable,
  duration,
  integer,
  nonEmptyString,
  type OptionRule,
} from "../option_check.ts";

export type { OptionRule };

const hostname: OptionRule = nonEmptyString("an IP address or a host name");

const socketPath: OptionRule = nonEmptyString("the Unix socket file");

const pem = (value: unknown): boolean => typeof value === "string" && value.includes("-----BEGIN");

const tlsCertificate: OptionRule = {
  expected: "{ cert, key } with PEM strings",
  accepts: (value) =>
    typeof value === "object" && value !== null &&
    pem((value as { cert?: unknown }).cert) && pem((value as { key?: unknown }).key),
};

/** Shaped like an `AbortSignal` (checked by shape so a signal from another realm or a polyfill passes). */
const abortSignal: OptionRule = {
  expected: "an AbortSignal",
  accepts: (value) =>
    typeof value === "object" && value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function",
};

/**
 * Every keepwire option and the values it takes. Ranges are those that mean
 * something: a connection carries at least one request, a port fits 16 bits,
 * a timeout fits a timer.
 */
export const OPTION_RULES: { readonly [Name in keyof Required<ServeOptions>]: OptionRule } = {
  handler: callable,
  port: integer(0, 65_535),
  hostname,
  path: socketPath,
  tls: tlsCertificate,
  keepAliveTimeout: duration,
  maxRequestsPerConnection: integer(1),
  headersTimeout: duration,
  requestBodyTimeout: duration,
  requestTimeout: duration,
  sendTimeout: duration,
  maxConnections: integer(1),
  maxBodySize: integer(0),
  maxRequestLineSize: integer(1),
  maxHeaderSize: integer(1),
  maxHeaderCount: integer(1),
  keepAliveHint: boolean,
  eagerContinue: boolean,
  lightFetchObjects: boolean,
  reusePort: boolean,
  shutdownTimeout: duration,
  onListen: callable,
  onError: callable,
  signal: abortSignal,
};
