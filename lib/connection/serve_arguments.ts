/**
 * The arguments of every `serve()`: the three call forms `Deno.serve`
 * accepts, and the options checked when `serve()` is called rather than
 * ignored or misread later. A mistake is a `TypeError` naming the option,
 * in plain JavaScript as in TypeScript.
 *
 * @module
 */

import type { Handler, ServeOptions } from "./options.ts";
import { OPTION_RULES } from "./option_rules.ts";
import { checkOptions, describeValue } from "../option_check.ts";
import { FOREIGN_OPTIONS } from "../foreign_options.ts";

/** The options and the handler of one `serve()` call, checked. */
export interface ServeArguments {
  /** The options, without `handler`. */
  readonly options: ServeOptions;
  /** The request handler. */
  readonly handler: Handler;
}

const FORMS = "serve(handler), serve(options, handler) or serve({ ...options, handler })";

/**
 * Sort out `serve(handler)`, `serve(options, handler)` and
 * `serve({ ...options, handler })`, then check the options.
 *
 * @throws {TypeError} when no handler is given, two different handlers are
 * given, or an option is unknown, foreign or of the wrong type or range
 */
export function serveArguments(first: unknown, second?: unknown): ServeArguments {
  if (typeof first === "function") {
    if (second !== undefined) {
      throw new TypeError(`serve(): the handler comes last: ${FORMS}`);
    }
    return { options: {}, handler: first as Handler };
  }
  checkServeOptions(first);
  const { handler: inOptions, ...options } = first;
  if (second !== undefined && typeof second !== "function") {
    throw new TypeError(`serve(): the handler must be a function, got ${describeValue(second)}`);
  }
  if (second !== undefined && inOptions !== undefined && inOptions !== second) {
    throw new TypeError(
      "serve(): two different handlers, as options.handler and as the second argument; pass one",
    );
  }
  const handler = (second ?? inOptions) as Handler | undefined;
  if (handler === undefined) {
    const hint = (first as Record<string, unknown>).fetch !== undefined
      ? ` (${FOREIGN_OPTIONS.fetch})`
      : "";
    throw new TypeError(`serve(): no handler given; call ${FORMS}${hint}`);
  }
  return { options, handler };
}

/**
 * Check an options object: every own property must be a keepwire option
 * whose value is `undefined` (the default) or passes its rule.
 *
 * @throws {TypeError} naming the first option that is unknown, belongs to
 * another server, or has a value of the wrong type or out of range
 */
export function checkServeOptions(options: unknown): asserts options is ServeOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `serve(): options must be an object, got ${describeValue(options)}; call ${FORMS}`,
    );
  }
  checkOptions("serve()", options as Record<string, unknown>, OPTION_RULES, FOREIGN_OPTIONS);
}
