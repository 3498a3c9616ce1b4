// The live page and its metrics show every client's address: `keepwire serve` turns them on by
// default only on a loopback address; `--live` turns them on anywhere, `--no-live` off.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "../../lib/cli/args.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { startCli } from "./_cli_process.ts";

/** Status of GET `path` on a fresh connection to 127.0.0.1 (which a 0.0.0.0 bind also answers). */
async function status(port: number, path: string): Promise<number> {
  const client = await RawClient.connect(port);
  try {
    await client.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    return (await readResponse(client)).status;
  } finally {
    client.destroy();
  }
}

describe("keepwire serve: who may see the live page", () => {
  const cases: Array<[string, string[], boolean, string]> = [
    ["on by default on loopback", [], true, "Live connections:"],
    ["off by default on every interface", ["--hostname", "0.0.0.0"], false, "--live turns it on"],
    ["on with --live on every interface", ["--hostname", "0.0.0.0", "--live"], true, "Metrics:"],
    ["off with --no-live on loopback", ["--no-live"], false, "Live page off (--no-live)"],
  ];
  for (const [name, flags, on, line] of cases) {
    test(name, { timeout: 30_000 }, async () => {
      const cli = await startCli(["serve", "scripts/demo_site", "--port", "0", ...flags]);
      try {
        const { port } = await cli.listening();
        for (let wait = 0; wait < 100 && !cli.stdout.includes(line); wait++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.ok(cli.stdout.includes(line), cli.stdout);
        for (const path of ["/_keepwire/", "/_keepwire/stats.json", "/_keepwire/metrics"]) {
          assert.equal(await status(port, path), on ? 200 : 404, path);
        }
        assert.equal(await status(port, "/"), 200, "the site is served either way");
      } finally {
        await cli.stop();
      }
    });
  }

  test("--live and --no-live parse for serve and are refused for echo", () => {
    assert.equal(parseArgs(["serve", "--live"]).live, true);
    assert.equal(parseArgs(["serve", "site", "--no-live"]).live, false);
    assert.equal(parseArgs(["serve"]).live, undefined);
    assert.throws(() => parseArgs(["echo", "--live"]), UsageError);
  });
});
