// End-to-end: the CLI as a child process on port 0, talked to over real TCP.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { type CliProcess, runCli, startCli } from "./_cli_process.ts";
import { VERSION } from "../../lib/cli/version.ts";

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

describe("keepwire CLI: usage", () => {
  test("--help prints usage on stdout and exits 0", async () => {
    const result = await runCli(["--help"]);
    assert.equal(result.code, 0);
    assert.ok(result.stdout.includes("keepwire serve [dir]"));
    assert.ok(result.stdout.includes("--keep-alive-timeout"));
  });

  for (const flag of ["--version", "-V"]) {
    test(`${flag} prints the version on stdout and exits 0`, async () => {
      const result = await runCli([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `keepwire ${VERSION}\n`);
    });
  }

  test("-h prints the usage too", async () => {
    const result = await runCli(["-h"]);
    assert.equal(result.code, 0);
    assert.ok(result.stdout.includes("-p, --port"));
  });

  const usageErrors: Array<[string, string[], string]> = [
    ["an unknown flag", ["echo", "--nope"], "unknown flag"],
    ["a negative port", ["echo", "--port", "-1"], "--port"],
    ["a value that is not a number", ["echo", "--max-requests=lots"], "--max-requests"],
    ["a missing value", ["echo", "--keep-alive-timeout"], "missing value"],
    ["no command", [], "missing command"],
    ["a missing folder for serve", ["serve", "no/such/folder"], "is not a folder"],
  ];
  for (const [name, args, fragment] of usageErrors) {
    test(`exits 2 with one line on stderr for ${name}`, async () => {
      const result = await runCli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0].includes(fragment), lines[0]);
    });
  }
});

describe("keepwire echo", () => {
  let cli: CliProcess;
  let port = 0;

  before(async () => {
    cli = await startCli([
      "echo",
      "--port",
      "0",
      "--keep-alive-timeout",
      "3",
      "--max-requests",
      "3",
    ]);
    ({ port } = await cli.listening());
  });

  after(async () => {
    if (cli.child.exitCode === null) await cli.stop();
  });

  test("prints exactly one Listening line with the bound port", () => {
    assert.match(cli.stdout, /^Listening on http:\/\/127\.0\.0\.1:\d+\/\n$/);
    assert.ok(port > 0);
  });

  test("answers / with Hello, World! and Content-Length", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/"));
    const response = await readResponse(client);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), "13");
    assert.equal(response.text, "Hello, World!");
    client.destroy();
  });

  test("carries requests on one connection up to --max-requests, with the --keep-alive-timeout hint", async () => {
    const client = await RawClient.connect(port);
    const indexes: number[] = [];
    for (let i = 1; i <= 3; i++) {
      await client.write(get("/echo"));
      const response = await readResponse(client);
      const echoed = JSON.parse(response.text);
      indexes.push(echoed.requestIndex);
      if (i < 3) assert.equal(response.headers.get("keep-alive"), `timeout=3, max=${3 - i}`);
      else assert.equal(response.headers.get("connection"), "close");
    }
    assert.deepEqual(indexes, [1, 2, 3]);
    await client.closed;
  });

  test("echoes a POST body and its length", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/echo?q=1`, {
      method: "POST",
      body: "ünïcode",
    });
    const echoed = await response.json();
    assert.equal(echoed.url, "/echo?q=1");
    assert.equal(echoed.body, "ünïcode");
    assert.equal(echoed.bodyLength, 9);
  });

  test("sends /bytes with Content-Length and /stream chunked when it waits", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/bytes?n=100000"));
    const bytes = await readResponse(client);
    assert.equal(bytes.framing, "length");
    assert.equal(bytes.body.byteLength, 100000);
    await client.write(get("/stream?chunks=3&size=5&delay=20"));
    const streamed = await readResponse(client);
    assert.equal(streamed.framing, "chunked");
    assert.equal(streamed.body.byteLength, 15);
    client.destroy();
  });

  test("reports its stats at /stats", async () => {
    const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
    assert.ok(stats.totalConnections >= 1);
    assert.ok(stats.totalRequests >= stats.reusedRequests);
    assert.ok(Array.isArray(stats.connections));
  });

  test("finishes an in-flight request on SIGTERM, then exits 0", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/sleep?ms=400"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    cli.signal("SIGTERM");
    const response = await readResponse(client);
    assert.equal(response.text, "slept 400");
    assert.equal(response.headers.get("connection"), "close");
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
    client.destroy();
  });
});

describe("keepwire echo shutdown", () => {
  test("exits 0 on SIGINT", async () => {
    const cli = await startCli(["echo", "--port=0"]);
    await cli.listening();
    const result = await cli.stop("SIGINT");
    assert.equal(result.code, 0, result.stderr);
  });
});

describe("keepwire serve", () => {
  let cli: CliProcess;
  let port = 0;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kw-serve-"));
    await writeFile(join(dir, "index.html"), "<h1>hi</h1>");
    await writeFile(join(dir, "app.js"), "console.log(1)");
    await writeFile(join(dir, ".env"), "SECRET=1");
    cli = await startCli(["serve", dir, "-p", "0"]);
    ({ port } = await cli.listening());
  });

  after(async () => {
    if (cli.child.exitCode === null) await cli.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("prints the listening URL first and the live page URL", async () => {
    // The lines may arrive in separate pipe reads: wait for the last one.
    for (let wait = 0; wait < 100 && !cli.stdout.includes("Live connections:"); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const lines = cli.stdout.trimEnd().split("\n");
    assert.equal(lines[0], `Listening on http://127.0.0.1:${port}/`);
    assert.ok(lines.includes(`Live connections: http://127.0.0.1:${port}/_keepwire/`));
  });

  test("serves index.html and files on one keep-alive connection", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/") + get("/app.js"));
    const index = await readResponse(client);
    const script = await readResponse(client);
    assert.equal(index.text, "<h1>hi</h1>");
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(script.text, "console.log(1)");
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.ok(script.headers.get("etag"));
    client.destroy();
  });

  test("refuses to leave the folder", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/..%2f..%2fetc%2fpasswd"));
    assert.equal((await readResponse(client)).status, 403);
    await client.write(get("/../../etc/passwd"));
    assert.equal((await readResponse(client)).status, 404);
    client.destroy();
  });

  test("refuses dotfiles by default", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/.env"));
    assert.equal((await readResponse(client)).status, 404);
    client.destroy();
  });

  test("serves the live page and its stats", async () => {
    const page = await fetch(`http://127.0.0.1:${port}/_keepwire/`);
    assert.ok((await page.text()).includes("live connections"));
    const stats = await (await fetch(`http://127.0.0.1:${port}/_keepwire/stats.json`)).json();
    assert.ok(stats.stats.totalRequests >= 3);
    assert.ok(stats.connections.length >= 1);
  });

  test("ends the live event stream on SIGTERM and exits 0 promptly", async () => {
    const client = await RawClient.connect(port);
    await client.write(get("/_keepwire/events"));
    await client.readUntil("data: ");
    const started = Date.now();
    const result = await cli.stop("SIGTERM");
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      Date.now() - started < 3000,
      "shutdown does not wait for the event stream's deadline",
    );
    client.destroy();
  });
});

describe("keepwire serve --dotfiles", () => {
  test("serves dotfiles when asked to", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kw-serve-dot-"));
    await writeFile(join(dir, ".env"), "SECRET=1");
    const cli = await startCli(["serve", dir, "--port=0", "--dotfiles"]);
    try {
      const { port } = await cli.listening();
      const client = await RawClient.connect(port);
      await client.write(get("/.env"));
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.text, "SECRET=1");
      client.destroy();
    } finally {
      await cli.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
