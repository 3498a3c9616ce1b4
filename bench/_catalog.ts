/**
 * The servers each runtime's run starts (keepwire first, then the anchors it
 * is compared with), the scenarios, and the goals issues 7 and 15 set for them.
 *
 * @module
 */

import type { Runtime, ServerSpec } from "./_process.ts";

/** Concurrent keep-alive connections wrk opens. */
export const CONNECTIONS = 50;
/** Requests per write in the pipelining scenario. */
export const PIPELINE_DEPTH = 16;

/** The name of keepwire's headline row: `serve()` with its default options. */
export const KEEPWIRE = "keepwire";
/** The name of the second keepwire row: `lightFetchObjects: true` (Deno and Bun; Node's default). */
export const KEEPWIRE_LIGHT = "keepwire (light Fetch objects)";

/**
 * The servers per runtime: keepwire first (its defaults: the headline row, then, on Deno and Bun,
 * the light Fetch objects as a second row), then the anchors, with issue 15's goals.
 */
export function serversFor(
  runtime: Runtime,
): { keepwire: ServerSpec[]; anchors: Anchor[] } {
  const spec = (name: string, file: string, args?: string[]): ServerSpec => ({
    name,
    runtime,
    entry: `bench/servers/${file}`,
    args,
  });
  const defaults = spec(KEEPWIRE, "keepwire.ts");
  // On Node the default already is the light objects: a second row would measure the same server.
  const keepwire = runtime === "node"
    ? [defaults]
    : [defaults, spec(KEEPWIRE_LIGHT, "keepwire.ts", ["0", "--light-fetch"])];
  if (runtime === "node") {
    return {
      keepwire,
      anchors: [
        { spec: spec("node:http", "node_http.ts"), goals: { keepAlive: 1.5, pipelined: 4 } },
        { spec: spec("@hono/node-server", "node_hono.ts"), goals: { keepAlive: 1.5 } },
        { spec: spec("node:net ceiling", "node_ceiling.ts"), goals: { keepAlive: 0.85 } },
      ],
    };
  }
  if (runtime === "deno") {
    return {
      keepwire,
      anchors: [
        { spec: spec("Deno.serve", "deno_serve.ts"), goals: { keepAlive: 0.85, pipelined: 2 } },
        { spec: spec("Deno.listen ceiling", "deno_ceiling.ts"), goals: { keepAlive: 0.85 } },
      ],
    };
  }
  return {
    keepwire,
    anchors: [
      { spec: spec("Bun.serve", "bun_serve.ts"), goals: { keepAlive: 1.0, pipelined: 2 } },
      { spec: spec("Bun.listen ceiling", "bun_ceiling.ts"), goals: { keepAlive: 0.85 } },
    ],
  };
}

export interface Anchor {
  spec: ServerSpec;
  goals: { keepAlive?: number; pipelined?: number };
}

/** Issue 15's idle-memory ceilings for keepwire, in kB per connection. */
export const IDLE_GOAL_KIB: Record<Runtime, number> = { node: 5, deno: 10, bun: 1.5 };

export const SCENARIOS = [
  { name: `${CONNECTIONS} keep-alive`, pipeline: 1, goal: "keepAlive" },
  { name: `${PIPELINE_DEPTH}-deep pipelining`, pipeline: PIPELINE_DEPTH, goal: "pipelined" },
] as const;
