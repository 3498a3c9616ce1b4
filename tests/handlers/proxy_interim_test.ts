/**
 * Interim (1xx) responses through the reverse proxy (RFC 9110 §15.2): a
 * proxy forwards every 1xx it did not ask for itself, before the final
 * response and with hop-by-hop fields removed and `Via` added; never to an
 * HTTP/1.0 client. Checked as bytes on real sockets, from a raw upstream
 * and from keepwire's own `writeEarlyHints`, on pooled and upgrade requests.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { serve } from "../../lib/serve.ts";
import { createProxyHandler } from "../../lib/handlers/proxy.ts";
import { RawClient, waitFor } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { OK, RawUpstream, withRawUpstream } from "./_raw_upstream.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1", onListen() {} };

/** An upstream that takes every request head and leaves the answering to the test. */
function heldUpstream(): { upstream: RawUpstream; held: () => Socket | null } {
  let socket: Socket | null = null;
  const upstream = new RawUpstream((pending, from) => {
    if (pending.includes("\r\n\r\n")) socket = from;
    return null;
  });
  return { upstream, held: () => socket };
}

const HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n" +
  "Connection: x-hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nProxy-Thing: 1\r\n\r\n";

describe("proxy: 1xx pass-through", () => {
  test("a 103 reaches the client before the final response, without hop-by-hop fields", async () => {
    const { upstream, held } = heldUpstream();
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write("GET /page HTTP/1.1\r\nHost: a\r\n\r\n");
      await waitFor(() => held() !== null, "the request reached the upstream");
      held()!.write(HINTS);
      // The final answer is still held upstream: the 103 comes on its own.
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\nvia: 1.1 keepwire\r\n\r\n",
      );
      held()!.write(OK);
      const response = await readResponse(client);
      assert.equal(response.status, 200);
      assert.equal(response.text, "ok");
    });
  });

  test("several 1xx (102, 103, 199) pass in order, then the final response", async () => {
    const upstream = new RawUpstream((pending) =>
      pending.includes("\r\n\r\n")
        ? "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b>\r\n\r\n" +
          "HTTP/1.1 199 Misc\r\nX-A: 1\r\n\r\n" + OK
        : null
    );
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 102 Processing\r\nvia: 1.1 keepwire\r\n\r\n",
      );
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </b>\r\nvia: 1.1 keepwire\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 199 \r\nx-a: 1\r\nvia: /);
      assert.equal((await readResponse(client)).text, "ok");
    });
  });

  test("RFC 9110 §15.2: an HTTP/1.0 client gets no 1xx, only the final response", async () => {
    const upstream = new RawUpstream((pending) =>
      pending.includes("\r\n\r\n") ? HINTS + "HTTP/1.1 102 Processing\r\n\r\n" + OK : null
    );
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
      const wire = new TextDecoder().decode(await client.readToEnd());
      assert.match(wire, /^HTTP\/1\.1 200 OK\r\n/);
      assert.doesNotMatch(wire, /HTTP\/1\.1 10/);
      assert.match(wire, /\r\n\r\nok$/);
    });
  });

  test("keepwire's own writeEarlyHints upstream: the 103 crosses the proxy ahead of the page", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = await serve(LOCAL, async (_request, info) => {
      info.writeEarlyHints?.({ link: "</style.css>; rel=preload; as=style" });
      await released;
      return new Response("page");
    });
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
    const front = await serve(LOCAL, proxy);
    const client = await RawClient.connect(front.addr.port);
    try {
      await client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\n" +
          "via: 1.1 keepwire\r\n\r\n",
      );
      release();
      assert.equal((await readResponse(client)).text, "page");
    } finally {
      client.destroy();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });

  test("an upgrade request: a 1xx before the upstream's 101 passes too", async () => {
    const upstream = new RawUpstream((pending) =>
      pending.includes("\r\n\r\n") && !pending.startsWith("ping")
        ? "HTTP/1.1 103 Early Hints\r\nLink: </c>\r\n\r\n" +
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: upgrade\r\n\r\n"
        : null
    );
    await withRawUpstream(upstream, {}, async (client) => {
      await client.write(
        "GET /tunnel HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: raw\r\n\r\n",
      );
      assert.equal(
        await client.readUntil("\r\n\r\n"),
        "HTTP/1.1 103 Early Hints\r\nlink: </c>\r\nvia: 1.1 keepwire\r\n\r\n",
      );
      assert.match(await client.readUntil("\r\n\r\n"), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    });
  });
});
