/**
 * An upgrade request with content through the reverse proxy (RFC 9110
 * §7.8): the request goes upstream with its content on a dedicated
 * connection; the proxy switches only when the upstream answers `101`, and
 * only once the content is all through, so the new protocol's first bytes
 * (sent right after the content) reach the upstream after it. An upstream
 * that ignores Upgrade (as a server may) answers as usual, and the client's
 * connection stays HTTP. With `Expect: 100-continue` the client hears its
 * `100` before the `101`.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import { createProxyHandler } from "../../lib/handlers/proxy.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { RawUpstream, split, withRawUpstream } from "./_raw_upstream.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };

const SWITCH = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: upgrade\r\n\r\n";

/** Answers 101 once the head and `length` bytes of content are in, then "pong" to "ping". */
function switchingUpstream(length: number): RawUpstream {
  let switched = false;
  return new RawUpstream((pending) => {
    if (switched) return pending.endsWith("ping") ? "pong" : null;
    if (!pending.includes("\r\n\r\n") || split(pending).body.length < length) return null;
    switched = true;
    return SWITCH;
  });
}

describe("proxy: an upgrade request with content", () => {
  test("the content goes first, then the 101; the new protocol's bytes follow the content", async () => {
    const upstream = switchingUpstream(5);
    await withRawUpstream(upstream, {}, async (client) => {
      // The content and the new protocol's first bytes in one write.
      await client.write(
        "POST /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n" +
          "Content-Length: 5\r\n\r\nhelloping",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.equal(new TextDecoder().decode(await client.readBytes(4)), "pong");
      const [request, ping] = upstream.requests;
      const { head, body } = split(request);
      assert.match(head, /^post \/t http\/1\.1\r\n/);
      assert.match(head, /\r\ncontent-length: 5(\r\n|$)/);
      assert.match(head, /\r\nupgrade: raw(\r\n|$)/);
      assert.equal(body, "hello", "the content, and nothing of the new protocol, as the body");
      assert.equal(ping, "ping");
    });
  });

  for (const fields of ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"]) {
    test(`RFC 9112 §6.3: a repeated identical Content-Length (${JSON.stringify(fields)}) goes as one length`, async () => {
      const upstream = switchingUpstream(5);
      await withRawUpstream(upstream, {}, async (client) => {
        await client.write(
          "POST /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n" +
            fields + "\r\nhelloping",
        );
        assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
        assert.equal(new TextDecoder().decode(await client.readBytes(4)), "pong");
        const { head, body } = split(upstream.requests[0]);
        assert.match(head, /\r\ncontent-length: 5(\r\n|$)/);
        assert.equal(body, "hello");
      });
    });
  }

  test("chunked content goes chunked", async () => {
    let switched = false;
    const upstream = new RawUpstream((pending) => {
      if (switched) return pending.endsWith("ping") ? "pong" : null;
      if (!pending.endsWith("0\r\n\r\n")) return null;
      switched = true;
      return SWITCH;
    });
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write(
        "PUT /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nping",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
      assert.equal(new TextDecoder().decode(await client.readBytes(4)), "pong");
      const { head, body } = split(upstream.requests[0]);
      assert.match(head, /\r\ntransfer-encoding: chunked(\r\n|$)/);
      assert.ok(body.endsWith("0\r\n\r\n"), "the last chunk ends the content");
      // Chunk boundaries are the proxy's to choose; the bytes are the client's.
      assert.equal(body.replace(/[0-9a-f]+\r\n([^\r]*)\r\n/g, "$1"), "abcde");
    });
  });

  test("RFC 9110 §7.8: with Expect: 100-continue, the client hears 100 before 101", async () => {
    const upstream = switchingUpstream(5);
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write(
        "POST /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n" +
          "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 100 Continue\r\n/);
      await client.write("helloping");
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 /);
      assert.equal(new TextDecoder().decode(await client.readBytes(4)), "pong");
    });
  });

  test("an upstream that ignores Upgrade answers as usual, and the client's connection stays HTTP", async () => {
    const app = await serve(
      LOCAL,
      async (request) => new Response(`${request.method} ${await request.text()}`),
    );
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write(
        "POST /t HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n" +
          "Content-Length: 5\r\n\r\nhello",
      );
      const first = await readResponse(client);
      assert.equal(first.status, 200);
      assert.equal(first.text, "POST hello");
      assert.equal(first.headers.get("via"), "1.1 keepwire");
      // Not switched: the next request on the same connection is HTTP.
      await client.write("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.equal((await readResponse(client)).text, "GET ");
      // The upgrade took a connection of its own; only the GET used the pool.
      assert.equal(proxy.upstreams()[0].requests, 1);
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });
});
