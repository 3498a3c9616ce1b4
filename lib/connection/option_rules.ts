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

/** A check of one option's value: what it must be, and whether a value is that. */
export interface OptionRule {
  /** Completes "must be …" in the error message. */
  readonly expected: string;
  /** True when the value is acceptable (never called with `undefined`: that means "default"). */
  accepts(value: unknown): boolean;
}

/**
 * The longest duration accepted: 2³¹−1 ms (~24.8 days), the most a runtime
 * timer can wait (a longer `setTimeout` fires at once on every runtime).
 */
export const MAX_DURATION = 2 ** 31 - 1;

const integer = (min: number, max = Number.MAX_SAFE_INTEGER): OptionRule => ({
  expected: max === Number.MAX_SAFE_INTEGER
    ? `an integer ≥ ${min}`
    : `an integer from ${min} to ${max}`,
  accepts: (value) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
});

const duration: OptionRule = {
  expected: `a number of milliseconds from 0 to ${MAX_DURATION}`,
  accepts: (value) => typeof value === "number" && value >= 0 && value <= MAX_DURATION,
};

const boolean: OptionRule = {
  expected: "true or false",
  accepts: (value) => typeof value === "boolean",
};

const hostname: OptionRule = {
  expected: "a non-empty string (an IP address or a host name)",
  accepts: (value) => typeof value === "string" && value.length > 0,
};

const callable: OptionRule = {
  expected: "a function",
  accepts: (value) => typeof value === "function",
};

const socketPath: OptionRule = {
  expected: "a non-empty string (the Unix socket file)",
  accepts: (value) => typeof value === "string" && value.length > 0,
};

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

/** True when keepwire has an option of this name. */
export function isKeepwireOption(name: string): name is keyof ServeOptions {
  return Object.hasOwn(OPTION_RULES, name);
}
