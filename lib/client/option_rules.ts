/**
 * What `createClient()` / `new KeepAliveClient()` accept, as data: one rule
 * per client option, checked when the client is created (other libraries'
 * names for them are in `../foreign_options.ts`). Adding a field to
 * `ClientOptions` fails the type check until it has a rule here.
 *
 * @module
 */

import type { ClientOptions } from "./options.ts";
import {
  boolean,
  callable,
  checkedWhereRead,
  checkOptions,
  duration,
  integer,
  nonEmptyString,
  oneOf,
  type OptionRule,
} from "../option_check.ts";
import { FOREIGN_CLIENT_OPTIONS } from "../foreign_options.ts";

const pemList: OptionRule = {
  expected: "a PEM string or an array of PEM strings",
  accepts: (value) =>
    typeof value === "string" ||
    (Array.isArray(value) && value.every((item) => typeof item === "string")),
};

/** Every client option and the values it takes. */
export const CLIENT_OPTION_RULES: {
  readonly [Name in keyof Required<ClientOptions>]: OptionRule;
} = {
  maxConnectionsPerOrigin: integer(1),
  maxConnections: integer(1),
  pipelining: integer(1),
  idleTimeout: duration,
  keepAliveSafetyMargin: duration,
  keepAliveHint: oneOf("lowers", "sets"),
  connectTimeout: duration,
  headersTimeout: duration,
  bodyTimeout: duration,
  expectContinueTimeout: duration,
  maxHeaderSize: integer(1),
  maxHeaderCount: integer(1),
  maxRedirects: integer(0),
  retryNonIdempotent: boolean,
  ca: pemList,
  rejectUnauthorized: boolean,
  socketPath: nonEmptyString("the Unix socket file"),
  proxy: checkedWhereRead,
  decompress: checkedWhereRead,
  maxResponseBodySize: checkedWhereRead,
  contentDecoders: checkedWhereRead,
  lightFetchObjects: boolean,
  connect: callable,
};

/**
 * Checks a client's options: each name must be a client option (another
 * library's name gets what keepwire calls it) and each value fit its rule.
 *
 * @throws {TypeError} naming the first option that is wrong
 */
export function checkClientOptions(options: unknown): asserts options is ClientOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`createClient(): options must be an object, got ${typeof options}`);
  }
  checkOptions(
    "createClient()",
    options as Record<string, unknown>,
    CLIENT_OPTION_RULES,
    FOREIGN_CLIENT_OPTIONS,
  );
}
