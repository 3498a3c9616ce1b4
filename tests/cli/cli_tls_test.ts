/**
 * `keepwire echo --cert FILE --key FILE` and `--unix PATH` as a child
 * process on the running runtime, checked with curl (`--cacert`,
 * `--unix-socket`) against the committed TLS fixture.
 */

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliProcess, runCli, startCli } from "./_cli_process.ts";
import { tlsFixturePath } from "../_support/tls.ts";

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["--silent", "--show-error", "--max-time", "10", ...args],
      (
        error,
        stdout,
        stderr,
      ) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)),
    );
  });
}

/** Waits for the CLI's first line and returns what follows "Listening on ". */
async function announced(cli: CliProcess, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /^Listening on (\S+)\n/.exec(cli.stdout);
    if (match !== null) return match[1];
    if (cli.child.exitCode !== null || Date.now() > deadline) {
      cli.child.kill("SIGKILL");
      throw new Error(`the CLI did not start:\nstdout: ${cli.stdout}\nstderr: ${cli.stderr}`);
    }
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

describe("keepwire echo over TLS and Unix sockets", () => {
  const folder = mkdtempSync(join(tmpdir(), "keepwire-cli-"));
  after(() => rmSync(folder, { recursive: true, force: true }));

  test("--cert and --key serve HTTPS and print an https:// URL", async () => {
    const cli = await startCli([
      "echo",
      "--port",
      "0",
      "--cert",
      tlsFixturePath("cert.pem"),
      "--key",
      tlsFixturePath("key.pem"),
    ]);
    try {
      const url = await announced(cli);
      const match = /^https:\/\/127\.0\.0\.1:(\d+)\/$/.exec(url);
      assert.ok(match !== null, url);
      const body = await curl([
        "--cacert",
        tlsFixturePath("cert.pem"),
        `https://localhost:${match[1]}/`,
      ]);
      assert.equal(body, "Hello, World!");
    } finally {
      assert.equal((await cli.stop()).code, 0);
    }
  });

  test("--unix listens on the socket file, prints it, and removes it on exit", async () => {
    const path = join(folder, "echo.sock");
    const cli = await startCli(["echo", "--unix", path]);
    try {
      assert.equal(await announced(cli), `http+unix://${encodeURIComponent(path)}/`);
      assert.equal(await curl(["--unix-socket", path, "http://localhost/"]), "Hello, World!");
    } finally {
      assert.equal((await cli.stop()).code, 0);
    }
    assert.equal(existsSync(path), false);
  });

  test("--cert without --key is a usage error", async () => {
    const result = await runCli(["echo", "--cert", tlsFixturePath("cert.pem")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cert: needs --key too/);
  });

  test("a certificate file that cannot be read fails before listening", async () => {
    const result = await runCli([
      "echo",
      "--port",
      "0",
      "--cert",
      join(folder, "none.pem"),
      "--key",
      join(folder, "none.pem"),
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read the certificate or key/);
    assert.equal(result.stdout, "");
  });
});
