/**
 * The arguments of every `serve()`: the three call forms `Deno.serve`
 * accepts, and the options checked when `serve()` is called rather than
 * ignored or misread later. A mistake is a `TypeError` naming the option,
 * in plain JavaScript as in TypeScript.
 *
 * @module
 */

import type { Handler, ServeOptions } from "./options.ts";
import { isKeepwireOption, OPTION_RULES } from "./option_rules.ts";
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
    throw new TypeError(`serve(): the handler must be a function, got ${describe(second)}`);
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
      `serve(): options must be an object, got ${describe(options)}; call ${FORMS}`,
    );
  }
  const record = options as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!isKeepwireOption(name)) throw new TypeError(`serve(): ${unknownOption(name)}`);
  }
  for (const [name, rule] of Object.entries(OPTION_RULES)) {
    const value = record[name];
    if (value === undefined || rule.accepts(value)) continue;
    throw new TypeError(
      `serve(): option "${name}" must be ${rule.expected}, got ${describe(value)}`,
    );
  }
}

/** The sentence for a name keepwire does not take: another server's option, or a likely typo. */
function unknownOption(name: string): string {
  const foreign = Object.hasOwn(FOREIGN_OPTIONS, name) ? FOREIGN_OPTIONS[name] : undefined;
  if (foreign !== undefined) return foreign;
  const near = nearestOption(name);
  return `unknown option "${name}"` + (near === null ? "" : ` (did you mean "${near}"?)`);
}

/** The keepwire option a misspelt name most likely meant: same letters ignoring case, or at most two edits away. */
function nearestOption(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of Object.keys(OPTION_RULES)) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length];
}

/** A value as the error message shows it: short, with its type when that is the mistake. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
    case "number":
    case "bigint":
      return `${typeof value === "bigint" ? `${value}n` : value}`;
    case "function":
      return "a function";
    case "object":
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
    default:
      return String(value);
  }
}
