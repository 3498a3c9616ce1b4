/**
 * Command-line parsing for `keepwire echo`, `keepwire serve [dir]` and
 * `keepwire proxy --to URL`.
 *
 * Pure: argv strings in, a {@linkcode CliCommand} out, or a
 * {@linkcode UsageError} whose one-line message the entry point prints before
 * exiting with status 2 (the POSIX convention for usage errors, as getopt
 * tools and Deno's own CLI use).
 *
 * @module
 */

import type { ServeOptions } from "../connection/options.ts";
import type { ProxyOptions } from "../handlers/proxy.ts";
import {
  type FlagKind,
  parseMilliseconds,
  parseUpstreamUrl,
  parseValue,
  UsageError,
} from "./flag_values.ts";

export { UsageError };

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
    | "path"
  >;

/**
 * The settings of `keepwire proxy`, as {@linkcode ProxyOptions} wants them
 * (durations in milliseconds).
 */
export type CliProxyOptions =
  & Pick<
    ProxyOptions,
    | "upstreams"
    | "upstreamConnections"
    | "upstreamKeepAliveTimeout"
    | "upstreamTimeout"
    | "balance"
    | "upstreamInsecure"
  >
  & {
    /** `--upstream-ca`: a PEM file of extra trusted roots, read into `upstreamCa` at start. */
    readonly upstreamCaFile?: string;
  };

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
  readonly command: "echo" | "serve" | "proxy" | "help" | "version";
  /** The folder `serve` serves (`"."` by default); `""` for other commands. */
  readonly dir: string;
  /** Server options from the flags. */
  readonly options: CliServeOptions;
  /** Processes to serve from (`--workers`); absent means one. */
  readonly workers?: number;
  /** `--cert` and `--key`: the PEM files to serve HTTPS with (both or neither). */
  readonly tlsFiles?: { readonly cert: string; readonly key: string };
  /** `--live` (true) or `--no-live` (false); absent: on only on a loopback address. */
  readonly live?: boolean;
  /** `serve --dotfiles`: serve and list dotfiles and dot-folders. */
  readonly dotfiles?: boolean;
  /** `proxy`: the upstreams (`--to`, at least one) and the pool settings. */
  readonly proxy?: CliProxyOptions;
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
  keepwire proxy --to URL [--to URL ...] [flags]
                                 a reverse proxy to the upstream(s), keep-alive on both sides

Flags:
  -p, --port N                     port to listen on, 0 for any free port (default ${DEFAULT_PORT})
  --hostname H                     address to bind (default ${DEFAULT_HOSTNAME})
  --keep-alive-timeout SECONDS     idle time a persistent connection is kept (fractions allowed)
  --max-requests N                 requests one connection may carry
  --headers-timeout SECONDS        time allowed to receive a request's header section
  --max-header-size BYTES          largest request header section (431 above)
  --max-body-size BYTES            largest request body (413 above)
  --workers N                      serve from N processes sharing the port (default 1)
  --cert FILE --key FILE           serve HTTPS with this PEM certificate and key
  --unix PATH                      listen on a Unix domain socket instead of TCP
  --live, --no-live                serve's and proxy's live page and metrics at /_keepwire/, which
                                   show every client's address (default: on for loopback only)
  --dotfiles                       serve: also serve and list dotfiles (.env, .git/); default 404
  -h, --help                       print this help
  -V, --version                    print the version

Proxy flags:
  --to URL                         an upstream, http://host:port[/prefix]; repeat for several
  --upstream-connections N         most connections to each upstream (default 32)
  --upstream-keep-alive-timeout MS idle time of an upstream connection when the upstream sends
                                   no Keep-Alive hint (default 4000; a hint decides otherwise)
  --upstream-timeout MS            wait for an upstream's response, then 504 (default 30000)
  --balance STRATEGY               round-robin (default) or least-connections
  --upstream-ca FILE               also trust this PEM CA for https:// upstreams
  --upstream-insecure              accept any upstream certificate (for tests only)
`;

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
  "--unix": { kind: "file", option: "path" },
};

/** Flags of `keepwire proxy`, each taking a value. */
const PROXY_FLAGS = new Set([
  "--to",
  "--upstream-connections",
  "--upstream-keep-alive-timeout",
  "--upstream-timeout",
  "--balance",
  "--upstream-ca",
]);

/** Sets one proxy flag's value in `proxy`. */
function parseProxyFlag(
  proxy: { -readonly [K in keyof CliProxyOptions]: CliProxyOptions[K] },
  flag: string,
  raw: string,
): void {
  switch (flag) {
    case "--to":
      proxy.upstreams = [...proxy.upstreams, parseUpstreamUrl(flag, raw)];
      return;
    case "--upstream-connections":
      proxy.upstreamConnections = parseValue(flag, "count", raw) as number;
      return;
    case "--upstream-keep-alive-timeout":
      proxy.upstreamKeepAliveTimeout = parseMilliseconds(flag, raw);
      return;
    case "--upstream-timeout":
      proxy.upstreamTimeout = parseMilliseconds(flag, raw);
      return;
    case "--upstream-ca":
      proxy.upstreamCaFile = parseValue(flag, "file", raw) as string;
      return;
    case "--balance":
      if (raw !== "round-robin" && raw !== "least-connections") {
        throw new UsageError(`${flag}: expected round-robin or least-connections, got "${raw}"`);
      }
      proxy.balance = raw;
      return;
  }
}

/** Flags with a value that is not a server option: the entry point uses them itself. */
const OTHER_FLAGS = new Set(["--workers", "--cert", "--key"]);

/** More worker processes than this is a typo, not a machine. */
const MAX_WORKERS = 256;

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
  const proxy: { -readonly [K in keyof CliProxyOptions]: CliProxyOptions[K] } = { upstreams: [] };
  let proxyFlag: string | undefined;
  const tlsFiles: { cert?: string; key?: string } = {};

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
    if (arg === "--upstream-insecure") {
      proxy.upstreamInsecure = true;
      proxyFlag ??= arg;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const flag = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (flag === undefined && !OTHER_FLAGS.has(name) && !PROXY_FLAGS.has(name)) {
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
    if (PROXY_FLAGS.has(name)) {
      parseProxyFlag(proxy, name, raw);
      proxyFlag ??= name;
      continue;
    }
    if (name === "--cert" || name === "--key") {
      tlsFiles[name === "--cert" ? "cert" : "key"] = parseValue(name, "file", raw) as string;
      continue;
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

  if ((tlsFiles.cert === undefined) !== (tlsFiles.key === undefined)) {
    const [given, missing] = tlsFiles.cert === undefined
      ? ["--key", "--cert"]
      : ["--cert", "--key"];
    throw new UsageError(`${given}: needs ${missing} too`);
  }
  if (workers !== undefined && workers > 1 && options.path !== undefined) {
    throw new UsageError("--workers: the processes share a TCP port, not a Unix socket");
  }
  const tls = tlsFiles.cert === undefined
    ? {}
    : { tlsFiles: { cert: tlsFiles.cert, key: tlsFiles.key! } };
  const [command, ...rest] = positionals;
  const extra = {
    ...(workers === undefined ? {} : { workers }),
    ...(live === undefined ? {} : { live }),
    ...tls,
  };
  if (help || command === "help") return { command: "help", dir: "", options };
  if (version || command === "version") return { command: "version", dir: "", options };
  if (command !== "proxy" && command !== undefined && proxyFlag !== undefined) {
    throw new UsageError(`${command}: ${proxyFlag} is for proxy`);
  }
  if (command === "proxy") {
    if (rest.length > 0) throw new UsageError(`proxy: unexpected argument "${rest[0]}"`);
    if (dotfiles) throw new UsageError("proxy: --dotfiles is for serve");
    if (proxy.upstreams.length === 0) {
      throw new UsageError("proxy: at least one upstream is needed (--to URL)");
    }
    return { command, dir: "", options, ...extra, proxy };
  }
  if (command === "echo") {
    if (rest.length > 0) throw new UsageError(`echo: unexpected argument "${rest[0]}"`);
    if (live !== undefined) {
      throw new UsageError("echo: --live and --no-live are for serve and proxy");
    }
    if (dotfiles) throw new UsageError("echo: --dotfiles is for serve");
    return { command, dir: "", options, ...extra };
  }
  if (command === "serve") {
    if (rest.length > 1) throw new UsageError(`serve: unexpected argument "${rest[1]}"`);
    return { command, dir: rest[0] ?? ".", options, ...extra, ...(dotfiles ? { dotfiles } : {}) };
  }
  if (command === undefined) {
    throw new UsageError("missing command: serve, echo or proxy (see --help)");
  }
  throw new UsageError(`unknown command "${command}" (see --help)`);
}
