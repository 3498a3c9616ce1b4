/**
 * scripts/bench.ts's command line.
 *
 * @module
 */

import process from "node:process";
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

function usage(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/** Parses the command line; a bad flag prints one line and exits 2. */
export function parseFlags(argv: readonly string[]): Flags {
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
    else if (flag === "--skip") flags.skip = new Set(value?.split(",") ?? []);
    else if (flag === "--runtime") {
      if (value === "all") flags.runtimes = [...RUNTIMES];
      else if (RUNTIMES.includes(value as Runtime)) flags.runtimes = [value as Runtime];
      else usage(`--runtime wants deno, bun, node or all, got ${JSON.stringify(value)}`);
    } else usage(`unknown flag ${JSON.stringify(flag)}`);
  }
  return flags;
}
