/**
 * `info.secure` and the scheme of `request.url`, over real sockets on the
 * running runtime: the listener decides whether a request came over TLS,
 * never the target the client wrote. An absolute-form target is the
 * request's URL as written (RFC 9112 §3.2.2), so a plain-HTTP client may
 * name `https:` there; `info.secure` stays false. An origin-form target
 * takes the connection's scheme (RFC 9110 §4.2.2: `https` over TLS).
 */

import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect as connectTls } from "node:tls";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../lib/serve.ts";
import { serveWith } from "../../lib/connection/server.ts";
import { detectRuntime, listenForRuntime } from "../../lib/runtime/detect.ts";
import type { ServeInfo, ServeOptions, Server } from "../../lib/connection/options.ts";
import type { ListenFunction } from "../../lib/transport.ts";

import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";

const tls = { cert: TEST_CERT, key: TEST_KEY };
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

/** What the handler saw: the request's URL and `info.secure`. */
function reflect(request: Request, info: ServeInfo): Response {
  return Response.json({ url: request.url, secure: info.secure });
}

async function start(options: ServeOptions): Promise<Server> {
  const server = await serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options },
    reflect,
  );
  servers.push(server);
  return server;
}

/** One request over plain TCP; the handler's JSON. */
async function overTcp(port: number, head: string): Promise<{ url: string; secure: unknown }> {
  const client = await RawClient.connect(port);
  try {
    await client.write(head);
    const response = await readResponse(client);
    assert.equal(response.status, 200);
    return JSON.parse(response.text);
  } finally {
    client.destroy();
  }
}

/**
 * One request over TLS (node:tls, on every runtime), `Connection: close`
 * in `head`: the body of the response once the server closes.
 */
function overTls(
  target: { port: number } | { path: string },
  head: string,
): Promise<{ url: string; secure: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      ...("path" in target ? { path: target.path } : { host: "127.0.0.1", port: target.port }),
      servername: "localhost",
      ca: TEST_CERT,
    }, () => socket.write(head));
    const chunks: Uint8Array[] = [];
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      try {
        resolve(JSON.parse(body));
      } catch (error) {
        reject(new Error(`not the handler's JSON: ${JSON.stringify(text)} (${error})`));
      }
      socket.end();
    });
  });
}

describe(`info.secure and the request URL's scheme on ${detectRuntime()}`, () => {
  test("plain listener: origin-form is http:, and an absolute-form https: target is not secure", async () => {
    const server = await start({});
    const port = server.addr.port;
    assert.deepEqual(await overTcp(port, "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n"), {
      url: "http://example.test/a",
      secure: false,
    });
    assert.deepEqual(
      await overTcp(port, "GET https://example.test/b HTTP/1.1\r\nHost: example.test\r\n\r\n"),
      { url: "https://example.test/b", secure: false },
    );
  });

  test("TLS listener: origin-form is https:, and an absolute-form http: target is still secure", async () => {
    const server = await start({ tls });
    const port = server.addr.port;
    assert.deepEqual(
      await overTls({ port }, "GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
      { url: "https://localhost/a", secure: true },
    );
    assert.deepEqual(
      await overTls(
        { port },
        "GET http://example.test/b HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
      ),
      { url: "http://example.test/b", secure: true },
    );
  });

  test("a binding of one's own that does not report secure: taken from tls", async () => {
    const listen = await listenForRuntime();
    // What a binding written before Listener.secure returns: addr and close only.
    const older: ListenFunction = async (options, onConnection) => {
      const listener = await listen(options, onConnection);
      return { addr: listener.addr, close: () => listener.close() };
    };
    const server = await serveWith(
      older,
      { hostname: "127.0.0.1", port: 0, tls, onListen() {} },
      reflect,
    );
    servers.push(server);
    assert.deepEqual(
      await overTls(
        { port: server.addr.port },
        "GET /c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      ),
      { url: "https://localhost/c", secure: true },
    );
  });

  test("tls with path: TLS over the Unix socket, or refused where the runtime has none (Deno)", async () => {
    const folder = mkdtempSync(join(tmpdir(), "keepwire-secure-"));
    try {
      const path = join(folder, "tls.sock");
      if (detectRuntime() === "deno") {
        // Deno.listenTls binds TCP only: serving plain HTTP there would claim https.
        await assert.rejects(start({ path, tls }), /tls is not available with path/);
        return;
      }
      await start({ path, tls });
      assert.deepEqual(
        await overTls({ path }, "GET /u HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        { url: "https://localhost/u", secure: true },
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("ServeInfo built by hand", () => {
  test("the members added after the first four are optional: an old-style info still calls a handler", async () => {
    // Type-checked with the test: adding a required member to ServeInfo fails here.
    const info: ServeInfo = {
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
      httpVersion: "1.1",
      connection: { id: 1, requestIndex: 1 },
      completed: Promise.resolve(),
    };
    const response = reflect(new Request("http://localhost/"), info);
    assert.deepEqual(await response.json(), { url: "http://localhost/" });
  });
});
