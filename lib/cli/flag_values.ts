/**
 * The values the command line's flags take — ports, hostnames, seconds,
 * milliseconds, counts, byte sizes, file paths, upstream URLs — each checked
 * and converted, or refused with a one-line {@linkcode UsageError}.
 *
 * @module
 */

/**
 * A command line that cannot be run. Its message is one line, meant for stderr.
 *
 * @example
 * ```ts
 * import { parseArgs, UsageError } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseArgs(["echo", "--port", "-1"]), UsageError);
 * ```
 */
export class UsageError extends Error {
  /** The process exit status for usage errors. */
  readonly exitCode = 2;

  /**
   * Creates the error.
   *
   * @param message one line, without a trailing newline
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What a flag's value must look like. */
export type FlagKind = "port" | "hostname" | "seconds" | "count" | "bytes" | "file";

const DIGITS = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** Timers in JS hold at most 2^31-1 ms; a longer timeout would fire at once. */
const MAX_SECONDS = 2_147_483;

/** `raw` checked and converted as `kind` says (seconds become milliseconds). */
export function parseValue(flag: string, kind: FlagKind, raw: string): number | string {
  switch (kind) {
    case "file":
      if (raw === "" || raw.startsWith("-")) {
        throw new UsageError(`${flag}: expected a file path, got "${raw}"`);
      }
      return raw;
    case "hostname":
      if (raw === "" || raw.startsWith("-")) {
        throw new UsageError(`${flag}: expected a hostname, got "${raw}"`);
      }
      return raw;
    case "port": {
      const port = DIGITS.test(raw) ? Number(raw) : NaN;
      if (!(port <= 65535)) {
        throw new UsageError(`${flag}: expected an integer from 0 to 65535, got "${raw}"`);
      }
      return port;
    }
    case "seconds": {
      const seconds = DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!(seconds <= MAX_SECONDS)) {
        throw new UsageError(`${flag}: expected seconds from 0 to ${MAX_SECONDS}, got "${raw}"`);
      }
      return Math.round(seconds * 1000);
    }
    case "count":
    case "bytes": {
      const value = DIGITS.test(raw) ? Number(raw) : NaN;
      const min = kind === "count" ? 1 : 0;
      if (!(value >= min && Number.isSafeInteger(value))) {
        throw new UsageError(`${flag}: expected an integer of at least ${min}, got "${raw}"`);
      }
      return value;
    }
  }
}

/** An http: or https: URL, as its href. */
export function parseUpstreamUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag}: expected a URL such as http://127.0.0.1:3000, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${flag}: expected an http: or https: URL, got "${raw}"`);
  }
  return url.href;
}

/** Whole milliseconds from 1 to what a timer can hold. */
export function parseMilliseconds(flag: string, raw: string): number {
  const value = DIGITS.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= MAX_SECONDS * 1000)) {
    throw new UsageError(
      `${flag}: expected milliseconds from 1 to ${MAX_SECONDS * 1000}, got "${raw}"`,
    );
  }
  return value;
}
