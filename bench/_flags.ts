/**
 * scripts/bench.ts's command line.
 *
 * @module
 */

import type { Runtime } from "./_process.ts";

/** The runtimes the benchmark can run, in the order it runs them. */
export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** What the command line asked for. */
export interface Flags {
  quick: boolean;
  /** Profile keepwire instead of comparing: writes bench/PROFILE.md. */
  profile: boolean;
  duration: number;
  warmUp: number;
  pairs: number;
  runtimes: Runtime[];
  idle: number;
  bodyMiB: number;
  skip: Set<string>;
}

/** The sections `--skip` may name. */
export const SECTIONS = ["throughput", "idle", "bodies", "workers"] as const;

/** The one-screen help `--help` prints. */
export const USAGE = `usage: npm run bench -- [flags]
  --quick                 short runs: 1 pair of 2 s, 1,000 idle connections, 32 MiB bodies
  --duration S            seconds per timed run (default 5)
  --pairs N               A B pairs per anchor (default 3)
  --runtime R             deno, bun, node or all (default all)
  --idle N                idle keep-alive connections for the memory figure (default 5000)
  --body-mib N            upload and download size (default 256)
  --skip LIST             comma-separated: ${SECTIONS.join(",")}
  --profile               profile keepwire under --cpu-prof instead; writes bench/PROFILE.md`;

/** A command line the benchmark cannot run; its message is one line. */
export class FlagError extends Error {}

function usage(message: string): never {
  throw new FlagError(message);
}

/** Parses the command line; throws {@linkcode FlagError} on a bad flag, returns "help" for `--help`. */
export function parseFlags(argv: readonly string[]): Flags | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const quick = argv.includes("--quick");
  const profile = argv.includes("--profile");
  const flags: Flags = {
    quick,
    profile,
    duration: quick ? 2 : 5,
    warmUp: 1,
    pairs: quick ? 1 : 3,
    runtimes: [...RUNTIMES],
    idle: quick ? 1_000 : 5_000,
    bodyMiB: quick ? 32 : 256,
    skip: new Set(),
  };
  const integer = (name: string, raw: string | undefined, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      usage(`${name} wants an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--quick" || flag === "--profile") continue;
    const value = argv[++i];
    if (flag === "--duration") flags.duration = integer(flag, value, 1, 300);
    else if (flag === "--pairs") flags.pairs = integer(flag, value, 1, 50);
    else if (flag === "--idle") flags.idle = integer(flag, value, 100, 20_000);
    else if (flag === "--body-mib") flags.bodyMiB = integer(flag, value, 1, 1024);
    else if (flag === "--skip") {
      flags.skip = new Set(value?.split(",") ?? []);
      const unknown = [...flags.skip].filter((name) =>
        !(SECTIONS as readonly string[]).includes(name)
      );
      if (value === undefined || unknown.length > 0) {
        usage(`--skip takes a list of ${SECTIONS.join(", ")}, got ${JSON.stringify(value)}`);
      }
    } else if (flag === "--runtime") {
      if (value === "all") flags.runtimes = [...RUNTIMES];
      else if (RUNTIMES.includes(value as Runtime)) flags.runtimes = [value as Runtime];
      else usage(`--runtime wants deno, bun, node or all, got ${JSON.stringify(value)}`);
    } else usage(`unknown flag ${JSON.stringify(flag)}`);
  }
  return flags;
}
