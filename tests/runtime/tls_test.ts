/**
 * HTTPS on the running runtime (Deno, Bun or Node): `serve({ tls })` and
 * the client's `https:` URLs over real sockets, with the committed
 * self-signed fixture (tests/_support/tls.ts). Clients from outside
 * keepwire check it too: `node:tls` (on every runtime), the runtime's own
 * `fetch` where it can trust a private CA, and `curl --cacert`.
 */

import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect as connectTcp } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { serve } from "../../lib/serve.ts";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import type { ServeOptions, Server } from "../../lib/connection/options.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { TEST_CERT, TEST_KEY, tlsFixturePath } from "../_support/tls.ts";

const tls = { cert: TEST_CERT, key: TEST_KEY };
const servers: Server[] = [];

async function serveTls(options: ServeOptions = {}): Promise<Server> {
  const server = await serve(
    { port: 0, hostname: "127.0.0.1", tls, ...options },
    (request, info) =>
      new Response(`${request.url} #${info.connection.requestIndex} on ${info.connection.id}`),
  );
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

/** A node:tls handshake with the given ALPN offer; resolves with the protocol chosen or the error. */
function handshake(
  port: number,
  alpn: string[],
): Promise<{ alpn?: string | false | null; error?: Error }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connectTls({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca: TEST_CERT,
      ALPNProtocols: alpn,
    }, () => {
      // end(), not destroy(): the server must see the handshake finish
      // before the close (with TLS 1.3 the client finishes first).
      const alpn = socket.alpnProtocol;
      socket.once("close", () => resolve({ alpn }));
      socket.end();
    });
    socket.once("error", (error) => resolve({ error }));
  });
}

/** Runs curl; resolves with its stdout (rejects with stderr on failure). */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["--silent", "--show-error", "--max-time", "10", ...args],
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`curl ${args.join(" ")}: ${stderr || error.message}`))
          : resolve(stdout),
    );
  });
}

describe(`TLS server on ${detectRuntime()}`, () => {
  test("answers HTTPS and keeps the connection alive as over TCP", async () => {
    const server = await serveTls();
    const client = createClient({ ca: TEST_CERT });
    const base = `https://localhost:${server.addr.port}`;
    const first = await client.fetch(`${base}/a`);
    assert.equal(await first.text(), `${base}/a #1 on 1`);
    const second = await client.fetch(`${base}/b`);
    assert.equal(await second.text(), `${base}/b #2 on 1`);
    assert.match(second.headers.get("keep-alive") ?? "", /^timeout=5, max=\d+$/);
    assert.equal(client.stats.connectionsOpened, 1);
    assert.equal(server.stats.totalConnections, 1);
    assert.equal(server.stats.reusedRequests, 1);
    assert.equal(server.stats.failedHandshakes, 0);
    await client.close();
  });

  test("ALPN: h2 and http/1.1 offered gets http/1.1; h2 alone is refused at the handshake", async () => {
    const server = await serveTls();
    assert.deepEqual(await handshake(server.addr.port, ["h2", "http/1.1"]), { alpn: "http/1.1" });
    const refused = await handshake(server.addr.port, ["h2"]);
    assert.ok(refused.error !== undefined, `h2-only handshake succeeded with ${refused.alpn}`);
    assert.equal(server.stats.totalConnections, 1, "a refused handshake is not a connection");
    await waitUntil(() => server.stats.failedHandshakes === 1);
  });

  test("a failed handshake is counted every time and logged once, never thrown", async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const server = await serveTls();
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.ok((await handshake(server.addr.port, ["h2"])).error !== undefined);
      }
      await waitUntil(() => server.stats.failedHandshakes === 3);
      const about = logged.filter((args) => String(args[0]).includes("TLS handshake failed"));
      assert.equal(about.length, 1, JSON.stringify(logged.map((args) => String(args[0]))));
      // The server still serves.
      assert.deepEqual(await handshake(server.addr.port, ["http/1.1"]), { alpn: "http/1.1" });
    } finally {
      console.error = original;
    }
  });

  test("a handshake that never completes is cut by the headers timeout", async () => {
    const server = await serveTls({ headersTimeout: 300 });
    const started = Date.now();
    const socket = connectTcp({ host: "127.0.0.1", port: server.addr.port });
    // Half a ClientHello record header, then silence.
    socket.on("connect", () => socket.write(new Uint8Array([0x16, 0x03, 0x01])));
    socket.resume();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await waitUntil(() => server.stats.failedHandshakes === 1);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3_000, `given up after ${elapsed} ms`);
    assert.equal(server.stats.totalConnections, 0);
    if (detectRuntime() === "deno") {
      // Deno's TLS stream keeps a half-done handshake's TCP socket after
      // close() until the peer sends or leaves (its linger task waits for
      // the handshake), so only the server's side of the cut shows here.
      socket.destroy();
      return;
    }
    await closed;
    assert.ok(Date.now() - started < 3_000);
  });

  test("curl --cacert reaches it and reuses one connection for two URLs", async () => {
    const server = await serveTls();
    const base = `https://localhost:${server.addr.port}`;
    const body = await curl(["--cacert", tlsFixturePath("cert.pem"), `${base}/1`, `${base}/2`]);
    assert.equal(body, `${base}/1 #1 on 1${base}/2 #2 on 1`);
    await assert.rejects(curl([`${base}/untrusted`]), /certificate/i);
  });

  test("the runtime's own HTTPS client reaches it", async () => {
    const server = await serveTls();
    const url = `https://localhost:${server.addr.port}/native`;
    let text: string;
    if (detectRuntime() === "deno") {
      const deno = (globalThis as unknown as {
        Deno: { createHttpClient(options: { caCerts: string[] }): { close(): void } };
      }).Deno;
      const httpClient = deno.createHttpClient({ caCerts: [TEST_CERT] });
      const response = await fetch(url, { client: httpClient } as RequestInit);
      text = await response.text();
      httpClient.close();
    } else if (detectRuntime() === "bun") {
      const response = await fetch(url, { tls: { ca: TEST_CERT } } as RequestInit);
      text = await response.text();
    } else {
      const { get } = await import("node:https");
      text = await new Promise((resolve, reject) => {
        get(url, { ca: TEST_CERT, agent: false }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve(body));
        }).on("error", reject);
      });
    }
    assert.equal(text, `${url} #1 on 1`);
  });
});

describe(`HTTPS client on ${detectRuntime()}`, () => {
  test("an untrusted certificate is a certificate-error ClientError, not retried", async () => {
    const server = await serveTls();
    const client = createClient();
    await assert.rejects(
      client.fetch(`https://localhost:${server.addr.port}/`),
      (error: unknown) => error instanceof ClientError && error.code === "certificate-error",
    );
    assert.equal(client.stats.retries, 0);
    assert.equal(client.stats.connectionsOpened, 0);
    await client.close();
  });

  test("the certificate must name the URL's host", async () => {
    // 127.0.0.2 is loopback on Linux, but not in the certificate.
    const server = await serveTls({ hostname: "127.0.0.2" });
    const client = createClient({ ca: TEST_CERT });
    await assert.rejects(
      client.fetch(`https://127.0.0.2:${server.addr.port}/`),
      (error: unknown) => error instanceof ClientError && error.code === "certificate-error",
    );
    await client.close();
  });

  test("rejectUnauthorized: false accepts the untrusted certificate (tests only)", async () => {
    const server = await serveTls();
    const client = createClient({ rejectUnauthorized: false });
    const response = await client.fetch(`https://localhost:${server.addr.port}/x`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `https://localhost:${server.addr.port}/x #1 on 1`);
    await client.close();
  });

  test("the pool keys connections by scheme: http: never reuses an https: connection", async () => {
    const server = await serveTls();
    const client = createClient({ ca: TEST_CERT });
    const response = await client.fetch(`https://localhost:${server.addr.port}/`);
    await response.text();
    assert.equal(client.stats.idle, 1);
    // Plain HTTP to the TLS port must open its own connection (and fail there).
    await assert.rejects(client.fetch(`http://localhost:${server.addr.port}/`), ClientError);
    assert.equal(client.stats.connectionsOpened, 2);
    await client.close();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 10));
  }
}
