/**
 * The proxy's `Forwarded: proto=` and `X-Forwarded-Proto` over real
 * sockets: the scheme of the downstream hop is the listener's (TLS or
 * not, `info.secure`), never the scheme of an absolute-form target the
 * client wrote (RFC 9112 §3.2.2 lets any client write one). Otherwise a
 * plain-HTTP client could make the upstream believe it came over HTTPS
 * (RFC 7239 §5.4: `proto` is the protocol of the incoming request). Both
 * the pooled path and the upgrade path are checked.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect as connectTls } from "node:tls";
import { serve } from "../../lib/serve.ts";
import type { ServeOptions } from "../../lib/connection/options.ts";
import { createProxyHandler, type ForwardedStyle } from "../../lib/handlers/proxy.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };
const TLS = { tls: { cert: TEST_CERT, key: TEST_KEY } };

/** The upstream: the fields it was sent, as JSON (a declined upgrade too). */
function reflect(request: Request): Response {
  return Response.json(Object.fromEntries(request.headers));
}

async function withFront(
  front: Partial<ServeOptions>,
  forwarded: ForwardedStyle,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const app = await serve(LOCAL, reflect);
  const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`], forwarded });
  const server = await serve({ ...LOCAL, ...front }, proxy);
  try {
    await run(server.addr.port);
  } finally {
    await server.shutdown();
    await proxy.close();
    await app.shutdown();
  }
}

/** One request over plain TCP; the fields the upstream saw. */
async function overTcp(port: number, head: string): Promise<Record<string, string>> {
  const client = await RawClient.connect(port);
  try {
    await client.write(head);
    const response = await readResponse(client);
    assert.equal(response.status, 200, response.text);
    return JSON.parse(response.text);
  } finally {
    client.destroy();
  }
}

/** One request over TLS, `Connection: close` in `head`; the fields the upstream saw. */
function overTls(port: number, head: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(
      { host: "127.0.0.1", port, servername: "localhost", ca: TEST_CERT },
      () => socket.write(head),
    );
    const chunks: Uint8Array[] = [];
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      try {
        resolve(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)));
      } catch (error) {
        reject(new Error(`not the upstream's JSON: ${JSON.stringify(text)} (${error})`));
      }
      socket.end();
    });
  });
}

const ABSOLUTE_HTTPS = "GET https://example.test/a HTTP/1.1\r\nHost: example.test\r\n\r\n";
// An upgrade the upstream declines (it answers 200): the proxy's upgrade path, relayed.
const ABSOLUTE_HTTPS_UPGRADE = "GET https://example.test/ws HTTP/1.1\r\nHost: example.test\r\n" +
  "Connection: Upgrade\r\nUpgrade: x-test\r\n\r\n";

describe("proxy: the forwarded protocol is the listener's", () => {
  test("plain listener, absolute-form https: target: Forwarded says proto=http", async () => {
    await withFront({}, "rfc7239", async (port) => {
      const seen = await overTcp(port, ABSOLUTE_HTTPS);
      assert.equal(seen.forwarded, "for=127.0.0.1;proto=http;host=example.test");
    });
  });

  test("plain listener, absolute-form https: target: X-Forwarded-Proto is http", async () => {
    await withFront({}, "x-forwarded", async (port) => {
      const seen = await overTcp(port, ABSOLUTE_HTTPS);
      assert.equal(seen["x-forwarded-proto"], "http");
    });
  });

  test("plain listener, absolute-form https: upgrade request: proto=http", async () => {
    await withFront({}, "rfc7239", async (port) => {
      const seen = await overTcp(port, ABSOLUTE_HTTPS_UPGRADE);
      assert.equal(seen.upgrade, "x-test"); // it did take the upgrade path
      assert.equal(seen.forwarded, "for=127.0.0.1;proto=http;host=example.test");
    });
  });

  test("TLS listener: proto=https, also for an absolute-form http: target", async () => {
    await withFront(TLS, "rfc7239", async (port) => {
      const origin = await overTls(
        port,
        "GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      );
      assert.equal(origin.forwarded, "for=127.0.0.1;proto=https;host=localhost");
      const absolute = await overTls(
        port,
        "GET http://example.test/b HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
      );
      assert.equal(absolute.forwarded, "for=127.0.0.1;proto=https;host=example.test");
    });
  });

  test("TLS listener: X-Forwarded-Proto is https, also on the upgrade path", async () => {
    await withFront(TLS, "x-forwarded", async (port) => {
      const seen = await overTls(
        port,
        "GET http://example.test/ws HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade, close\r\n" +
          "Upgrade: x-test\r\n\r\n",
      );
      assert.equal(seen.upgrade, "x-test");
      assert.equal(seen["x-forwarded-proto"], "https");
    });
  });
});

describe("proxy: the forwarded host is the one the client asked for", () => {
  // RFC 9112 §3.2.2: an absolute-form target's authority wins over Host.
  const ABSOLUTE_OTHER_HOST = "GET http://b.example/a HTTP/1.1\r\nHost: a.example\r\n\r\n";

  test("absolute-form target naming another host than Host: the target's, in Forwarded and Host", async () => {
    await withFront({}, "rfc7239", async (port) => {
      const seen = await overTcp(port, ABSOLUTE_OTHER_HOST);
      assert.equal(seen.forwarded, "for=127.0.0.1;proto=http;host=b.example");
      assert.equal(seen.host, "b.example");
    });
  });

  test("absolute-form target naming another host than Host: X-Forwarded-Host is the target's", async () => {
    await withFront({}, "x-forwarded", async (port) => {
      const seen = await overTcp(port, ABSOLUTE_OTHER_HOST);
      assert.equal(seen["x-forwarded-host"], "b.example");
    });
  });

  test("origin-form: the client's own spelling of Host is kept", async () => {
    await withFront({}, "rfc7239", async (port) => {
      const seen = await overTcp(port, "GET /a HTTP/1.1\r\nHost: A.Example:8080\r\n\r\n");
      assert.equal(seen.host, "A.Example:8080");
      assert.equal(seen.forwarded, 'for=127.0.0.1;proto=http;host="A.Example:8080"');
    });
  });
});
