/**
 * Command-line parsing for `keepwire echo` and `keepwire serve [dir]`.
 *
 * Pure: argv strings in, a {@linkcode CliCommand} out, or a
 * {@linkcode UsageError} whose one-line message the entry point prints before
 * exiting with status 2 (the POSIX convention for usage errors, as getopt
 * tools and Deno's own CLI use).
 *
 * @module
 */

import type { ServeOptions } from "../connection/options.ts";

/** Port used when `--port` is not given. */
const DEFAULT_PORT = 8080;
/** Address bound when `--hostname` is not given: loopback, so a demo is never exposed by accident. */
const DEFAULT_HOSTNAME = "127.0.0.1";

/**
 * The server options the CLI can set. Durations are already converted to
 * milliseconds, as {@linkcode ServeOptions} wants them.
 */
export type CliServeOptions =
  & Required<Pick<ServeOptions, "port" | "hostname">>
  & Pick<
    ServeOptions,
    | "keepAliveTimeout"
    | "maxRequestsPerConnection"
    | "headersTimeout"
    | "maxHeaderSize"
    | "maxBodySize"
  >;

/**
 * What the command line asked for.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const command = parseArgs(["serve", "site", "--port=0"]);
 * assert.deepEqual(command, { command: "serve", dir: "site", options: { port: 0, hostname: "127.0.0.1" } });
 * ```
 */
export interface CliCommand {
  /** `help` when `--help`/`-h`/`help` was given, `version` for `--version`/`-V`. */
  readonly command: "echo" | "serve" | "help" | "version";
  /** The folder `serve` serves (`"."` by default); `""` for other commands. */
  readonly dir: string;
  /** Server options from the flags. */
  readonly options: CliServeOptions;
  /** Processes to serve from (`--workers`); absent means one. */
  readonly workers?: number;
  /** `--live` (true) or `--no-live` (false); absent: on only on a loopback address. */
  readonly live?: boolean;
  /** `serve --dotfiles`: serve and list dotfiles and dot-folders. */
  readonly dotfiles?: boolean;
}

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

/**
 * The text `--help` prints.
 *
 * @example
 * ```ts
 * import { USAGE } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(USAGE.includes("--keep-alive-timeout"));
 * ```
 */
export const USAGE: string = `keepwire: HTTP/1.x persistent connections, on Deno, Bun and Node

Usage:
  keepwire serve [dir] [flags]   serve the files in dir (default: .) with a live page at /_keepwire/
  keepwire echo [flags]          the diagnostic echo server (/, /echo, /bytes, /stream, /sleep, /stats)

Flags:
  -p, --port N                     port to listen on, 0 for any free port (default ${DEFAULT_PORT})
  --hostname H                     address to bind (default ${DEFAULT_HOSTNAME})
  --keep-alive-timeout SECONDS     idle time a persistent connection is kept (fractions allowed)
  --max-requests N                 requests one connection may carry
  --headers-timeout SECONDS        time allowed to receive a request's header section
  --max-header-size BYTES          largest request header section (431 above)
  --max-body-size BYTES            largest request body (413 above)
  --workers N                      serve from N processes sharing the port (default 1)
  --live, --no-live                serve's live page and metrics at /_keepwire/, which show
                                   every client's address (default: on for loopback only)
  --dotfiles                       serve: also serve and list dotfiles (.env, .git/); default 404
  -h, --help                       print this help
  -V, --version                    print the version
`;

type FlagKind = "port" | "hostname" | "seconds" | "count" | "bytes";

/** Short flags and the long flags they stand for. */
const SHORT_FLAGS: Readonly<Record<string, string>> = {
  "-p": "--port",
  "-h": "--help",
  "-V": "--version",
};

/** Each flag: what its value must look like and which option it sets. */
const FLAGS: Readonly<Record<string, { kind: FlagKind; option: keyof CliServeOptions }>> = {
  "--port": { kind: "port", option: "port" },
  "--hostname": { kind: "hostname", option: "hostname" },
  "--keep-alive-timeout": { kind: "seconds", option: "keepAliveTimeout" },
  "--max-requests": { kind: "count", option: "maxRequestsPerConnection" },
  "--headers-timeout": { kind: "seconds", option: "headersTimeout" },
  "--max-header-size": { kind: "count", option: "maxHeaderSize" },
  "--max-body-size": { kind: "bytes", option: "maxBodySize" },
};

/** More worker processes than this is a typo, not a machine. */
const MAX_WORKERS = 256;

const DIGITS = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** Timers in JS hold at most 2^31-1 ms; a longer timeout would fire at once. */
const MAX_SECONDS = 2_147_483;

function parseValue(flag: string, kind: FlagKind, raw: string): number | string {
  switch (kind) {
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

/**
 * Parses the arguments after the program name.
 *
 * Flags take their value as the next argument or after `=`; flags and the
 * `serve` folder may come in any order after the command. Throws
 * {@linkcode UsageError} on anything it cannot run.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseArgs(["echo", "--keep-alive-timeout", "2.5"]).options.keepAliveTimeout, 2500);
 * ```
 *
 * @param argv the arguments, without the runtime and script path
 * @returns the command to run
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const options: { -readonly [K in keyof CliServeOptions]: CliServeOptions[K] } = {
    port: DEFAULT_PORT,
    hostname: DEFAULT_HOSTNAME,
  };
  const positionals: string[] = [];
  let help = false;
  let version = false;
  let dotfiles = false;
  let workers: number | undefined;
  let live: boolean | undefined;

  for (let i = 0; i < argv.length; i++) {
    const given = argv[i];
    // `-p 8080` and `-p=8080`; short flags do not combine (`-hV` is unknown).
    const shortEquals = given.indexOf("=");
    const short = shortEquals === -1 ? given : given.slice(0, shortEquals);
    const arg = Object.hasOwn(SHORT_FLAGS, short)
      ? SHORT_FLAGS[short] + given.slice(short.length)
      : given;
    if (arg === "--help") {
      help = true;
      continue;
    }
    if (arg === "--live" || arg === "--no-live") {
      live = arg === "--live";
      continue;
    }
    if (arg === "--version") {
      version = true;
      continue;
    }
    if (arg === "--dotfiles") {
      dotfiles = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const flag = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (flag === undefined && name !== "--workers") {
      throw new UsageError(`unknown flag "${name}" (see --help)`);
    }
    let raw: string;
    if (equals !== -1) {
      raw = arg.slice(equals + 1);
    } else if (i + 1 < argv.length) {
      raw = argv[++i];
    } else {
      throw new UsageError(`${name}: missing value`);
    }
    if (flag === undefined) {
      workers = parseValue(name, "count", raw) as number;
      if (workers > MAX_WORKERS) {
        throw new UsageError(`${name}: expected at most ${MAX_WORKERS}, got "${raw}"`);
      }
      continue;
    }
    (options as Record<string, number | string>)[flag.option] = parseValue(name, flag.kind, raw);
  }

  const [command, ...rest] = positionals;
  const extra = {
    ...(workers === undefined ? {} : { workers }),
    ...(live === undefined ? {} : { live }),
  };
  if (help || command === "help") return { command: "help", dir: "", options };
  if (version || command === "version") return { command: "version", dir: "", options };
  if (command === "echo") {
    if (rest.length > 0) throw new UsageError(`echo: unexpected argument "${rest[0]}"`);
    if (live !== undefined) throw new UsageError("echo: --live and --no-live are for serve");
    if (dotfiles) throw new UsageError("echo: --dotfiles is for serve");
    return { command, dir: "", options, ...extra };
  }
  if (command === "serve") {
    if (rest.length > 1) throw new UsageError(`serve: unexpected argument "${rest[1]}"`);
    return { command, dir: rest[0] ?? ".", options, ...extra, ...(dotfiles ? { dotfiles } : {}) };
  }
  if (command === undefined) throw new UsageError("missing command: serve or echo (see --help)");
  throw new UsageError(`unknown command "${command}" (see --help)`);
}
