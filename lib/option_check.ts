/**
 * Options checked when they are given, not ignored or misread later: the
 * rule type and its common rules, and the check `serve()` and
 * `createClient()` both run. A mistake is a `TypeError` that names the
 * option, in plain JavaScript as in TypeScript; another library's name for
 * an option gets the sentence that says what keepwire calls it, and a
 * misspelt name gets a suggestion.
 *
 * @module
 */

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

/** An integer in `[min, max]`. */
export const integer = (min: number, max = Number.MAX_SAFE_INTEGER): OptionRule => ({
  expected: max === Number.MAX_SAFE_INTEGER
    ? `an integer ≥ ${min}`
    : `an integer from ${min} to ${max}`,
  accepts: (value) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
});

/** Milliseconds a timer can wait. */
export const duration: OptionRule = {
  expected: `a number of milliseconds from 0 to ${MAX_DURATION}`,
  accepts: (value) => typeof value === "number" && value >= 0 && value <= MAX_DURATION,
};

/** `true` or `false`. */
export const boolean: OptionRule = {
  expected: "true or false",
  accepts: (value) => typeof value === "boolean",
};

/** A function. */
export const callable: OptionRule = {
  expected: "a function",
  accepts: (value) => typeof value === "function",
};

/** A non-empty string; `what` says what it names. */
export const nonEmptyString = (what: string): OptionRule => ({
  expected: `a non-empty string (${what})`,
  accepts: (value) => typeof value === "string" && value.length > 0,
});

/** One of the given strings. */
export const oneOf = (...choices: readonly string[]): OptionRule => ({
  expected: choices.map((choice) => JSON.stringify(choice)).join(" or "),
  accepts: (value) => typeof value === "string" && choices.includes(value),
});

/** For an option whose reader checks it with a fuller message of its own. */
export const checkedWhereRead: OptionRule = { expected: "", accepts: () => true };

/**
 * Checks `record`'s names against `rules` (or `foreign`, the names other
 * libraries use), then each value against its rule; `undefined` always
 * means "default".
 *
 * @param api how the caller is named in messages, e.g. "serve()"
 * @throws {TypeError} naming the first option that is unknown, belongs to
 * another library, or has a value of the wrong type or out of range
 */
export function checkOptions(
  api: string,
  record: Readonly<Record<string, unknown>>,
  rules: Readonly<Record<string, OptionRule>>,
  foreign: Readonly<Record<string, string>>,
): void {
  for (const name of Object.keys(record)) {
    if (Object.hasOwn(rules, name)) continue;
    if (Object.hasOwn(foreign, name)) throw new TypeError(`${api}: ${foreign[name]}`);
    const near = nearestName(name, Object.keys(rules));
    throw new TypeError(
      `${api}: unknown option "${name}"` + (near === null ? "" : ` (did you mean "${near}"?)`),
    );
  }
  for (const [name, rule] of Object.entries(rules)) {
    const value = record[name];
    if (value === undefined || rule.accepts(value)) continue;
    throw new TypeError(
      `${api}: option "${name}" must be ${rule.expected}, got ${describeValue(value)}`,
    );
  }
}

/** The name a misspelt one most likely meant: same letters ignoring case, or at most two edits away. */
function nearestName(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
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

/** A value as an error message shows it: short, with its type when that is the mistake. */
export function describeValue(value: unknown): string {
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
