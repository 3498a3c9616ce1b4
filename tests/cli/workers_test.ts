/**
 * `--workers N` end to end on the runtime running the test: N processes
 * share the port (SO_REUSEPORT on Deno and Bun, node:cluster on Node), each
 * keeps its own connections alive, and one signal drains them all.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "../../lib/cli/args.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { startCli } from "./_cli_process.ts";

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("--workers", () => {
  test("parses as a count of at least 1 and at most 256", () => {
    assert.equal(parseArgs(["echo", "--workers", "4"]).workers, 4);
    assert.equal(parseArgs(["serve", "--workers=2", "site"]).workers, 2);
    assert.equal(parseArgs(["echo"]).workers, undefined);
    for (const bad of ["0", "x", "-1", "257", "1.5"]) {
      assert.throws(() => parseArgs(["echo", "--workers", bad]), UsageError, bad);
    }
  });

  test("every worker serves, each keeps its connections alive, one SIGTERM drains all", async () => {
    const cli = await startCli(["echo", "--port", "0", "--workers", "2"]);
    try {
      const { port } = await cli.listening(30_000);
      const workersLine = /^Workers: 2 \(pids (\d+), (\d+)\)$/m;
      for (let wait = 0; wait < 100 && !workersLine.test(cli.stdout); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const match = workersLine.exec(cli.stdout);
      assert.ok(match, cli.stdout);
      const pids = new Set([Number(match[1]), Number(match[2])]);

      // Fresh connections until both workers have answered (the kernel or
      // the cluster primary spreads them; 60 tries leave no real chance of a miss).
      const seen = new Set<number>();
      for (let attempt = 0; attempt < 60 && seen.size < 2; attempt++) {
        const client = await RawClient.connect(port);
        try {
          await client.write(get("/stats", "Connection: close\r\n"));
          const response = await readResponse(client);
          assert.equal(response.status, 200);
          seen.add(JSON.parse(response.text).pid);
        } finally {
          client.destroy();
        }
      }
      assert.deepEqual([...seen].sort(), [...pids].sort());

      // Within one connection, one worker answers every request.
      const client = await RawClient.connect(port);
      const answers = [];
      for (let i = 0; i < 3; i++) {
        await client.write(get("/stats"));
        const response = await readResponse(client);
        assert.match(response.headers.get("keep-alive") ?? "", /timeout=5/);
        answers.push(JSON.parse(response.text));
      }
      assert.equal(new Set(answers.map((answer) => answer.pid)).size, 1);
      assert.deepEqual(answers.map((answer) => answer.reusedRequests > 0), [false, true, true]);
      client.destroy();

      // A request in flight when the signal comes is still answered.
      const slow = await RawClient.connect(port);
      await slow.write(get("/sleep?ms=1000"));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = cli.stop("SIGTERM", 20_000);
      const response = await readResponse(slow, { timeoutMs: 10_000 });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("connection"), "close");
      slow.destroy();
      const result = await stopped;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /shutting down 2 workers/);
      for (const pid of pids) {
        for (let wait = 0; wait < 50 && alive(pid); wait++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(alive(pid), false, `worker ${pid} still running`);
      }
    } finally {
      cli.child.kill("SIGKILL");
    }
  });
});
