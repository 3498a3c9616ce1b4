/**
 * Response decompression over real sockets, against keepwire's server:
 * every coding whole and streamed, stacked codings, what goes out in
 * Accept-Encoding, the opt-out, a decompression bomb and corrupt bodies
 * (typed errors, and the connection reused only when its framing was
 * complete), bodies that are never decoded, and keep-alive reuse after a
 * decoded response.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import { responseInfo } from "../../lib/client/_response.ts";
import { serve } from "../../lib/serve.ts";
import { createServer as createNodeServer } from "node:http";
import type { Server } from "../../lib/connection/options.ts";

const LOCAL = { port: 0, hostname: "127.0.0.1" };
const TEXT = Array.from({ length: 4000 }, (_, i) => `line ${i} of the body`).join("\n");
const PLAIN = new TextEncoder().encode(TEXT);
const bytes = (buffer: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(buffer);

/** Path → [coded body, Content-Encoding]. */
const CODED: Record<string, [Uint8Array<ArrayBuffer>, string]> = {
  "/gzip": [bytes(gzipSync(PLAIN)), "gzip"],
  "/x-gzip": [bytes(gzipSync(PLAIN)), "x-gzip"],
  "/deflate": [bytes(deflateSync(PLAIN)), "deflate"],
  "/raw-deflate": [bytes(deflateRawSync(PLAIN)), "deflate"],
  "/br": [bytes(brotliCompressSync(PLAIN)), "br"],
  "/gzip-br": [bytes(brotliCompressSync(gzipSync(PLAIN))), "gzip, br"],
  "/deflate-gzip": [bytes(gzipSync(deflateSync(PLAIN))), "deflate, gzip"],
  "/two-members": [new Uint8Array([...gzipSync(PLAIN), ...gzipSync(PLAIN)]), "gzip"],
};
const BOMB = bytes(gzipSync(new Uint8Array(10 << 20)));
const MiB = 1 << 20;

/** A stream of `data` in pieces of `size` bytes, one per tick. */
function pieces(data: Uint8Array, size: number): ReadableStream<Uint8Array<ArrayBuffer>> {
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (at >= data.byteLength) controller.close();
      else controller.enqueue(data.slice(at, at += size));
    },
  });
}

async function withServer(
  run: (url: string, server: Server, seen: Map<string, string | null>) => Promise<void>,
): Promise<void> {
  const seen = new Map<string, string | null>();
  let release: () => void = () => {};
  const server = await serve(LOCAL, (request) => {
    const { pathname, searchParams } = new URL(request.url);
    seen.set(pathname, request.headers.get("accept-encoding"));
    const streamed = searchParams.has("streamed");
    const coded = CODED[pathname];
    if (coded !== undefined) {
      const [body, coding] = coded;
      return new Response(streamed ? pieces(body, 1000) : body, {
        headers: { "content-encoding": coding },
      });
    }
    switch (pathname) {
      case "/bomb":
        return new Response(BOMB, { headers: { "content-encoding": "gzip" } });
      case "/slow-bomb": {
        // 16 KiB of the bomb now, the rest only when the test is done:
        // the client must give up on the connection, not wait to drain it.
        const held = new Promise<void>((resolve) => (release = resolve));
        let sent = false;
        return new Response(
          new ReadableStream({
            async pull(controller) {
              if (!sent) {
                sent = true;
                controller.enqueue(BOMB.slice(0, 16_384));
                return;
              }
              await held;
              controller.enqueue(BOMB.slice(16_384));
              controller.close();
            },
          }),
          { headers: { "content-encoding": "gzip" } },
        );
      }
      case "/corrupt":
        return new Response("this is not gzip", { headers: { "content-encoding": "gzip" } });
      case "/truncated":
        return new Response(CODED["/gzip"][0].slice(0, 200), {
          headers: { "content-encoding": "gzip" },
        });
      case "/unknown":
        return new Response(CODED["/gzip"][0], { headers: { "content-encoding": "gzip, zstd2" } });
      case "/empty":
        return new Response(new Uint8Array(0), { headers: { "content-encoding": "gzip" } });
      case "/204":
        return new Response(null, { status: 204, headers: { "content-encoding": "gzip" } });
      case "/304":
        return new Response(null, { status: 304, headers: { "content-encoding": "gzip" } });
      default:
        return new Response(TEXT);
    }
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, server, seen);
  } finally {
    release();
    await server.shutdown();
  }
}

const isCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof ClientError, `a ClientError, got ${error}`);
  assert.equal(error.code, code);
  return true;
};

describe("client decompression over sockets", { timeout: 60_000 }, () => {
  test("every coding, whole and streamed, on one kept-alive connection", async () => {
    await withServer(async (url) => {
      const client = createClient();
      try {
        for (const [path, [, coding]] of Object.entries(CODED)) {
          const expected = path === "/two-members" ? TEXT + TEXT : TEXT;
          for (const query of ["", "?streamed"]) {
            const response = await client.fetch(url + path + query);
            assert.equal(await response.text(), expected, path + query);
            assert.equal(response.headers.get("content-encoding"), coding);
          }
        }
        const last = await client.fetch(`${url}/gzip`);
        await last.text();
        assert.equal(responseInfo(last)?.reused, true);
        assert.equal(client.stats.connectionsOpened, 1);
      } finally {
        await client.close();
      }
    });
  });

  test("Content-Encoding and Content-Length stay the server's, as in every runtime's fetch", async () => {
    const [coded] = CODED["/gzip-br"];
    const server = createNodeServer((_request, response) => {
      response.writeHead(200, {
        "content-length": coded.byteLength,
        "content-encoding": "gzip, br",
      });
      response.end(coded);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = createClient();
    try {
      const { port } = server.address() as { port: number };
      const response = await client.fetch(`http://127.0.0.1:${port}/`);
      assert.equal(response.headers.get("content-encoding"), "gzip, br");
      assert.equal(response.headers.get("content-length"), String(coded.byteLength));
      assert.equal(await response.text(), TEXT);
    } finally {
      await client.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("Accept-Encoding: what the runtime decodes, the request's own, identity with Range", async () => {
    await withServer(async (url, _server, seen) => {
      const client = createClient();
      try {
        await (await client.fetch(`${url}/default`)).text();
        assert.equal(seen.get("/default"), "gzip, deflate, br");
        const own = { "accept-encoding": "br;q=1, gzip;q=0.5" };
        await (await client.fetch(`${url}/own`, { headers: own })).text();
        assert.equal(seen.get("/own"), "br;q=1, gzip;q=0.5");
        await (await client.fetch(`${url}/range`, { headers: { range: "bytes=0-9" } })).text();
        assert.equal(seen.get("/range"), "identity");
        // A coding the server chose without being asked is decoded all the same.
        const unasked = await client.fetch(`${url}/gzip`, { headers: { "accept-encoding": "x" } });
        assert.equal(await unasked.text(), TEXT);
      } finally {
        await client.close();
      }
    });
  });

  test("decompress: false sends no Accept-Encoding and passes bytes and fields through", async () => {
    await withServer(async (url, _server, seen) => {
      const client = createClient({ decompress: false, maxResponseBodySize: MiB });
      try {
        const response = await client.fetch(`${url}/gzip`);
        assert.deepEqual(new Uint8Array(await response.arrayBuffer()), CODED["/gzip"][0]);
        assert.equal(response.headers.get("content-encoding"), "gzip");
        assert.equal(seen.get("/gzip"), null);
        // The bomb is 10 KiB on the wire: within the limit when not decoded.
        assert.deepEqual(
          new Uint8Array(await (await client.fetch(`${url}/bomb`)).arrayBuffer()),
          BOMB,
        );
      } finally {
        await client.close();
      }
    });
  });

  test("a 10 MiB gzip bomb against a 1 MiB limit is response-too-large; a whole one keeps the connection", async () => {
    await withServer(async (url) => {
      const client = createClient({ maxResponseBodySize: MiB });
      try {
        const response = await client.fetch(`${url}/bomb`);
        await assert.rejects(response.arrayBuffer(), isCode("response-too-large"));
        // Its 10 KiB had all arrived: the framing was complete, the connection is good.
        const next = await client.fetch(`${url}/gzip`);
        assert.equal(await next.text(), TEXT);
        assert.equal(responseInfo(next)?.reused, true);
        assert.equal(client.stats.connectionsOpened, 1);
      } finally {
        await client.close();
      }
    });
  });

  test("a bomb still arriving when the limit trips closes its connection", async () => {
    await withServer(async (url) => {
      const client = createClient({ maxResponseBodySize: MiB });
      try {
        const response = await client.fetch(`${url}/slow-bomb`);
        await assert.rejects(response.arrayBuffer(), isCode("response-too-large"));
        const next = await client.fetch(`${url}/gzip`);
        assert.equal(await next.text(), TEXT);
        assert.equal(responseInfo(next)?.reused, false, "the half-read connection is not reused");
        assert.equal(client.stats.connectionsOpened, 2);
        assert.equal(client.stats.connectionsClosed, 1);
      } finally {
        await client.close();
      }
    });
  });

  test("corrupt and truncated bodies are decompression-failed, not a hang", async () => {
    await withServer(async (url) => {
      const client = createClient();
      try {
        for (const path of ["/corrupt", "/truncated"]) {
          const response = await client.fetch(url + path);
          await assert.rejects(response.text(), isCode("decompression-failed"), path);
        }
        const next = await client.fetch(`${url}/br`);
        assert.equal(await next.text(), TEXT);
      } finally {
        await client.close();
      }
    });
  });

  test("HEAD, 204, 304, an empty body and an unknown coding are not decoded", async () => {
    await withServer(async (url) => {
      const client = createClient();
      try {
        const head = await client.fetch(`${url}/gzip`, { method: "HEAD" });
        assert.equal(head.body, null);
        assert.equal(head.headers.get("content-encoding"), "gzip");
        for (const path of ["/204", "/304"]) {
          const response = await client.fetch(url + path);
          assert.equal(response.body, null, path);
        }
        assert.equal(await (await client.fetch(`${url}/empty`)).text(), "");
        const unknown = await client.fetch(`${url}/unknown`);
        assert.deepEqual(new Uint8Array(await unknown.arrayBuffer()), CODED["/gzip"][0]);
        assert.equal(unknown.headers.get("content-encoding"), "gzip, zstd2");
        // All on one connection: nothing above left a body half read.
        assert.equal(client.stats.connectionsOpened, 1);
      } finally {
        await client.close();
      }
    });
  });

  test("wrong option types are TypeErrors naming the option", () => {
    const naming = (start: string) => (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.startsWith(start), error.message);
      return true;
    };
    assert.throws(() => createClient({ decompress: "yes" as never }), naming("decompress: "));
    assert.throws(() => createClient({ maxResponseBodySize: -5 }), naming("maxResponseBodySize: "));
    assert.throws(
      () => createClient({ contentDecoders: { zstd: "no" as never } }),
      naming("contentDecoders.zstd: expected a function"),
    );
    assert.throws(
      () => createClient({ contentDecoders: "br" as never }),
      naming("contentDecoders: expected an object"),
    );
  });
});
