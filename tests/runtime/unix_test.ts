/**
 * Unix domain sockets on the running runtime (Deno, Bun or Node):
 * `serve({ path })`, `createClient({ socketPath })` and `curl
 * --unix-socket`, over real socket files in a fresh temporary folder.
 */

import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, linkSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../lib/serve.ts";
import { createClient } from "../../lib/client.ts";
import type { Server } from "../../lib/connection/options.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";

let folder = "";
const servers: Server[] = [];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "keepwire-unix-"));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
  rmSync(folder, { recursive: true, force: true });
});

async function serveAt(path: string): Promise<Server> {
  const server = await serve({ path }, (request, info) =>
    new Response(
      `${
        new URL(request.url).pathname
      } #${info.connection.requestIndex} via ${info.remoteAddr.transport}`,
    ));
  servers.push(server);
  return server;
}

/** A socket file that nothing listens on: a node:net server's, hard-linked, then closed. */
async function staleSocketFile(path: string): Promise<void> {
  const live = join(folder, "live.sock");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(live, resolve));
  linkSync(live, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(lstatSync(path).isSocket());
}

describe(`Unix domain sockets on ${detectRuntime()}`, () => {
  test("serve({ path }) listens there; server.addr says so; the client keeps the connection", async () => {
    const path = join(folder, "app.sock");
    const server = await serveAt(path);
    assert.deepEqual(
      { transport: server.addr.transport, path: server.addr.path },
      { transport: "unix", path },
    );
    const client = createClient({ socketPath: path });
    assert.equal(await (await client.fetch("http://localhost/a")).text(), "/a #1 via unix");
    assert.equal(await (await client.fetch("http://localhost/b")).text(), "/b #2 via unix");
    assert.equal(client.stats.connectionsOpened, 1);
    assert.equal(server.stats.reusedRequests, 1);
    await client.close();
  });

  test("the socket file is removed on shutdown", async () => {
    const path = join(folder, "gone.sock");
    const server = await serveAt(path);
    assert.ok(existsSync(path));
    await server.shutdown();
    assert.equal(existsSync(path), false);
  });

  test("a stale socket file (nothing listening) is replaced", async () => {
    const path = join(folder, "stale.sock");
    await staleSocketFile(path);
    await serveAt(path);
    const client = createClient({ socketPath: path });
    assert.equal(await (await client.fetch("http://localhost/")).text(), "/ #1 via unix");
    await client.close();
  });

  test("a socket something listens on is not taken over", async () => {
    const path = join(folder, "busy.sock");
    const first = await serveAt(path);
    await assert.rejects(serve({ path }, () => new Response("second")), /EADDRINUSE/);
    const client = createClient({ socketPath: path });
    assert.equal(await (await client.fetch("http://localhost/")).text(), "/ #1 via unix");
    await client.close();
    // The request reached the first server (the second's probe is a connection without one).
    assert.equal(first.stats.totalRequests, 1);
  });

  test("a file that is not a socket is left alone", async () => {
    const path = join(folder, "data.txt");
    writeFileSync(path, "keep me");
    await assert.rejects(serve({ path }, () => new Response("no")), /EADDRINUSE.*not a socket/);
    assert.ok(lstatSync(path).isFile());
  });

  test("curl --unix-socket reaches it and reuses one connection", async () => {
    const path = join(folder, "curl.sock");
    await serveAt(path);
    const body = await new Promise<string>((resolve, reject) => {
      execFile(
        "curl",
        [
          "--silent",
          "--show-error",
          "--max-time",
          "10",
          "--unix-socket",
          path,
          "http://localhost/1",
          "http://localhost/2",
        ],
        (
          error,
          stdout,
          stderr,
        ) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)),
      );
    });
    assert.equal(body, "/1 #1 via unix/2 #2 via unix");
  });
});
