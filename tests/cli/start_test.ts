// `npm start` (scripts/start.mjs): signals sent to its own pid reach the server, which shuts down
// and frees its port; the script exits with the server's status.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { ROOT } from "./_cli_process.ts";

/** Node from PATH: the start script is plain Node whatever runtime runs the tests. */
const NODE = "node";

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function startScript(command = [NODE, "scripts/start.mjs", "--port", "0"]): Promise<
  { pid: number; port: number; exited: Promise<{ code: number | null; output: string }> }
> {
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => (output += text));
  child.stderr!.on("data", (text: string) => (output += text));
  // "exit", not "close": a server left behind would hold the pipes open forever.
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("exit", (code) => setTimeout(() => resolve({ code, output }), 100))
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
    if (match !== null) return { pid: child.pid!, port: Number(match[1]), exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`npm start did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntilClosed(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await portAccepts(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("npm start (scripts/start.mjs)", () => {
  test("SIGTERM to npm's own pid stops the server too (its shell does not pass it on)", async () => {
    const { pid, port, exited } = await startScript(["npm", "start", "--", "--port", "0"]);
    assert.ok(await portAccepts(port), "the server is up");
    process.kill(pid, "SIGTERM");
    await exited;
    assert.ok(await waitUntilClosed(port, 10_000), "the port is freed");
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} to the script's own pid stops the server and frees the port`, async () => {
      const { pid, port, exited } = await startScript();
      assert.ok(await portAccepts(port), "the server is up");
      // Not the process group: only the script's pid, as a supervisor or `kill PID` would.
      process.kill(pid, signal);
      const result = await exited;
      const stillServing = await portAccepts(port);
      assert.equal(stillServing, false, "nothing listens on the port any more");
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, new RegExp(`${signal}, shutting down`));
    });
  }
});
