/**
 * The reverse proxy and content codings: the proxy's client decodes
 * nothing, so a gzip upstream body reaches the downstream client byte for
 * byte, with its Content-Encoding, and the upstream sees the downstream
 * client's own Accept-Encoding (or none), never one the proxy made up.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { serve } from "../../lib/serve.ts";
import { createProxyHandler } from "../../lib/handlers/proxy.ts";
import { createClient } from "../../lib/client.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };
const TEXT = "keep-alive ".repeat(500);
const GZIPPED = new Uint8Array(gzipSync(new TextEncoder().encode(TEXT)));

describe("proxy: content codings pass through", () => {
  test("a gzip upstream body arrives downstream still gzip, byte for byte", async () => {
    const seen: (string | null)[] = [];
    const app = await serve(LOCAL, (request) => {
      seen.push(request.headers.get("accept-encoding"));
      return new Response(GZIPPED, {
        headers: { "content-encoding": "gzip", "content-type": "text/plain" },
      });
    });
    const proxy = createProxyHandler({ upstreams: [`http://127.0.0.1:${app.addr.port}`] });
    const front = await serve(LOCAL, proxy);
    const raw = await RawClient.connect(front.addr.port);
    const client = createClient();
    try {
      await raw.write(
        "GET /a HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=1.0, identity;q=0.5\r\n\r\n",
      );
      const coded = await readResponse(raw);
      assert.equal(coded.status, 200);
      assert.equal(coded.headers.get("content-encoding"), "gzip");
      assert.deepEqual(coded.body, GZIPPED);
      // No Accept-Encoding downstream: none upstream either (the proxy adds nothing).
      await raw.write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.deepEqual((await readResponse(raw)).body, GZIPPED);
      assert.deepEqual(seen, ["gzip;q=1.0, identity;q=0.5", null]);

      // A decoding client in front gets the text, decoded once, at its end.
      const response = await client.fetch(`http://127.0.0.1:${front.addr.port}/c`);
      assert.equal(await response.text(), TEXT);
      assert.equal(response.headers.get("content-encoding"), "gzip");
      assert.equal(seen[2], "gzip, deflate, br");
    } finally {
      raw.destroy();
      await client.close();
      await front.shutdown();
      await proxy.close();
      await app.shutdown();
    }
  });
});
