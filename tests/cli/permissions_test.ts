// Deno without a permission the command needs: one line naming the --allow-* flag, exit 1, no
// stack trace. Run from every runtime's test suite: the CLI under test is always started with Deno.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./_cli_process.ts";

const DENO = join(ROOT, "node_modules", ".bin", "deno");

function runDeno(
  permissions: string[],
  args: string[],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(DENO, [
      "run",
      "--no-prompt",
      "--no-check",
      ...permissions,
      "lib/cli.ts",
      ...args,
    ], {
      cwd: ROOT,
      env: { ...globalThis.process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe("keepwire on Deno without a permission", () => {
  const cases: Array<[string, string[], string[], string]> = [
    [
      "serve without --allow-read",
      ["--allow-net"],
      ["serve", "scripts/demo_site", "--port", "0"],
      'keepwire: Deno needs --allow-read to serve "scripts/demo_site"',
    ],
    [
      "serve without --allow-net",
      ["--allow-read"],
      ["serve", "scripts/demo_site", "--port", "0"],
      "keepwire: Deno needs --allow-net to listen on 127.0.0.1:0",
    ],
    [
      "--workers without --allow-env",
      ["--allow-net", "--allow-read"],
      ["echo", "--port", "0", "--workers", "2"],
      "keepwire: Deno needs --allow-env",
    ],
    [
      "--workers without --allow-run",
      ["--allow-net", "--allow-read", "--allow-env"],
      ["echo", "--port", "0", "--workers", "2"],
      "keepwire: Deno needs --allow-run to start workers",
    ],
  ];
  for (const [name, permissions, args, message] of cases) {
    test(`${name}: names the flag in one line and exits 1`, async () => {
      const result = await runDeno(permissions, args);
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0].startsWith(message), lines[0]);
      assert.ok(!result.stderr.includes("    at "), "no stack trace");
    });
  }
});
