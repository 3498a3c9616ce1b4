/**
 * The client against scripted servers that send exactly the bytes each
 * rule is about: HTTP/1.0, framing by length, chunks and close, HEAD,
 * 204/304, 1xx, the Keep-Alive hint and max, redirects, timeouts, aborts.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import { responseInfo } from "../../lib/client/_response.ts";
import { ok, type RawReply, type RawRequest, startRawServer } from "./_raw_server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a scripted server and a client, runs `body`, closes both. */
async function scenario(
  script: (request: RawRequest) => RawReply | void,
  body: (
    client: ReturnType<typeof createClient>,
    url: string,
    requests: RawRequest[],
  ) => Promise<void>,
  options: Parameters<typeof createClient>[0] = {},
): Promise<void> {
  const server = await startRawServer(script);
  const client = createClient(options);
  try {
    await body(client, server.url, server.requests);
  } finally {
    await client.close();
    await server.close();
  }
}

describe("client over the wire", { timeout: 30_000 }, () => {
  test("reuses one connection for sequential requests", () =>
    scenario((r) => ({ bytes: ok(`#${r.index}`) }), async (client, url, requests) => {
      for (let i = 1; i <= 5; i++) assert.equal(await (await client.fetch(url)).text(), `#${i}`);
      assert.equal(client.stats.connectionsOpened, 1);
      assert.equal(client.stats.reusedRequests, 4);
      assert.ok(requests.every((r) => r.connection === 1));
    }));

  test("HTTP/1.0 without keep-alive: a connection per request", () =>
    scenario((r) => ({ bytes: ok(`#${r.index}`, "", "1.0"), then: "end" }), async (client, url) => {
      for (let i = 0; i < 3; i++) assert.equal(await (await client.fetch(url)).text(), "#1");
      assert.equal(client.stats.connectionsOpened, 3);
      assert.equal(client.stats.failures, 0);
    }));

  test("HTTP/1.0 with Connection: keep-alive is reused", () =>
    scenario(
      (r) => ({ bytes: ok(`#${r.index}`, "Connection: keep-alive\r\n", "1.0") }),
      async (client, url) => {
        for (let i = 1; i <= 3; i++) assert.equal(await (await client.fetch(url)).text(), `#${i}`);
        assert.equal(client.stats.connectionsOpened, 1);
      },
    ));

  test("a close-delimited body is read to EOF and the connection dropped", () =>
    scenario(
      () => ({ bytes: "HTTP/1.1 200 OK\r\n\r\nuntil the end", then: "end" }),
      async (client, url) => {
        assert.equal(await (await client.fetch(url)).text(), "until the end");
        assert.equal(await (await client.fetch(url)).text(), "until the end");
        assert.equal(client.stats.connectionsOpened, 2);
      },
    ));

  test("a chunked body with trailers streams and the connection is reused", () =>
    scenario(
      () => ({
        bytes:
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n",
      }),
      async (client, url) => {
        for (let i = 0; i < 3; i++) assert.equal(await (await client.fetch(url)).text(), "hello!");
        assert.equal(client.stats.connectionsOpened, 1);
      },
    ));

  test("HEAD, 204 and 304 have no body even with framing fields", () =>
    scenario((r) => {
      if (r.head.method === "HEAD") {
        return { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" };
      }
      if (r.head.target === "/204") return { bytes: "HTTP/1.1 204 No Content\r\n\r\n" };
      return { bytes: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: "x"\r\n\r\n' };
    }, async (client, url) => {
      const head = await client.fetch(url, { method: "HEAD" });
      assert.equal(head.headers.get("content-length"), "99");
      assert.equal(await head.text(), "");
      const noContent = await client.fetch(`${url}/204`);
      assert.equal(noContent.status, 204);
      assert.equal(noContent.body, null);
      const notModified = await client.fetch(`${url}/304`);
      assert.equal(notModified.status, 304);
      assert.equal(notModified.headers.get("etag"), '"x"');
      assert.equal(client.stats.connectionsOpened, 1);
    }));

  test("1xx interim responses are skipped; Expect: 100-continue waits for 100", () =>
    scenario((r) => ({
      bytes: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + ok(`got ${r.body}`),
    }), async (client, url, requests) => {
      const response = await client.fetch(url, {
        method: "PUT",
        body: "data",
        expectContinue: true,
      });
      assert.equal(await response.text(), "got data");
      assert.equal(requests[0].head.expectContinue, true);
    }, { expectContinueTimeout: 200 }));

  test("the Keep-Alive timeout hint makes the client let go first", () =>
    scenario(
      (r) => ({ bytes: ok(`#${r.index}`, "Keep-Alive: timeout=1\r\n") }),
      async (client, url) => {
        assert.equal(await (await client.fetch(url)).text(), "#1");
        assert.equal(client.stats.idle, 1);
        await sleep(900); // past timeout=1 minus the margin (500 ms), before the server's 1 s
        const again = await client.fetch(url);
        assert.equal(await again.text(), "#1");
        // The client let go of the first connection before the server's 1 s.
        assert.equal(responseInfo(again)?.reused, false);
        assert.equal(client.stats.connectionsOpened, 2);
      },
    ));

  test("max=M is honoured: at most M more requests on the connection", () =>
    scenario(
      (r) => ({ bytes: ok(`${r.connection}.${r.index}`, "Keep-Alive: timeout=5, max=2\r\n") }),
      async (client, url) => {
        const seen: string[] = [];
        for (let i = 0; i < 6; i++) seen.push(await (await client.fetch(url)).text());
        assert.deepEqual(seen, ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]);
        assert.equal(client.stats.staleFailures, 0);
      },
    ));

  test("Connection: close from the server ends the connection after the body", () =>
    scenario(
      (r) => ({ bytes: ok(`#${r.index}`, "Connection: close\r\n") }),
      async (client, url) => {
        assert.equal(await (await client.fetch(url)).text(), "#1");
        assert.equal(await (await client.fetch(url)).text(), "#1");
        assert.equal(client.stats.connectionsOpened, 2);
        assert.equal(client.stats.staleFailures, 0);
      },
    ));

  test("follows redirects as Fetch does, and manual returns the 3xx", () =>
    scenario((r) => {
      const target = r.head.target;
      if (target === "/303") {
        return { bytes: "HTTP/1.1 303 See Other\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n" };
      }
      if (target === "/307") {
        return {
          bytes:
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: /end\r\nContent-Length: 3\r\n\r\nabc",
        };
      }
      if (target === "/loop") {
        return { bytes: "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n" };
      }
      return { bytes: ok(`${r.head.method} ${r.body}`) };
    }, async (client, url) => {
      const seeOther = await client.fetch(`${url}/303`, { method: "POST", body: "x" });
      assert.equal(await seeOther.text(), "GET ");
      assert.equal(seeOther.redirected, true);
      assert.equal(seeOther.url, `${url}/end`);
      const temporary = await client.fetch(`${url}/307`, { method: "POST", body: "kept" });
      assert.equal(await temporary.text(), "POST kept");
      const manual = await client.fetch(`${url}/303`, { redirect: "manual" });
      assert.equal(manual.status, 303);
      assert.equal(manual.headers.get("location"), "/end");
      await assert.rejects(client.fetch(`${url}/loop`), { code: "too-many-redirects" });
      await assert.rejects(client.fetch(`${url}/303`, { redirect: "error" }), ClientError);
    }, { maxRedirects: 5 }));

  test("response headers keep every Set-Cookie and their order", () =>
    scenario(
      () => ({ bytes: ok("c", "Set-Cookie: a=1\r\nX-Z: z\r\nSet-Cookie: b=2\r\n") }),
      async (client, url) => {
        const response = await client.fetch(url);
        assert.deepEqual(response.headers.getSetCookie(), ["a=1", "b=2"]);
        assert.equal(response.headers.get("x-z"), "z");
        assert.equal(await response.text(), "c");
      },
    ));

  test("a silent server trips the headers timeout", () =>
    scenario(() => undefined, async (client, url) => {
      await assert.rejects(client.fetch(url), { code: "headers-timeout" });
    }, { headersTimeout: 200 }));

  test("a body that stops trips the body timeout", () =>
    scenario(
      () => ({ bytes: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" }),
      async (client, url) => {
        const response = await client.fetch(url);
        await assert.rejects(response.text(), { code: "body-timeout" });
      },
      { bodyTimeout: 200 },
    ));

  test("an abort before the head rejects with the reason and closes the connection", () =>
    scenario(() => undefined, async (client, url) => {
      const controller = new AbortController();
      const pending = client.fetch(url, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("stop")), 50);
      await assert.rejects(pending, { message: "stop" });
      assert.equal(client.stats.open, 0);
      await assert.rejects(client.fetch(url, { signal: AbortSignal.abort() }), {
        name: "AbortError",
      });
    }));

  test("an abort while the body streams errors the body", () =>
    scenario(
      () => ({ bytes: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst" }),
      async (client, url) => {
        const controller = new AbortController();
        const response = await client.fetch(url, { signal: controller.signal });
        const reader = response.body!.getReader();
        assert.equal(new TextDecoder().decode((await reader.read()).value), "first");
        controller.abort(new Error("enough"));
        await assert.rejects(reader.read(), { message: "enough" });
      },
    ));

  test("a malformed response is a protocol-error ClientError", () =>
    scenario(
      () => ({ bytes: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" }),
      async (client, url) => {
        await assert.rejects(client.fetch(url), (error: unknown) =>
          error instanceof ClientError && error.code === "protocol-error" &&
          error instanceof TypeError);
      },
    ));

  test("a refused connection is a connect-failed ClientError", async () => {
    const server = await startRawServer(() => undefined);
    const url = server.url;
    await server.close();
    const client = createClient();
    await assert.rejects(client.fetch(url), { code: "connect-failed" });
    await client.close();
  });

  test("requests after close() are refused", async () => {
    const client = createClient();
    await client.close();
    await assert.rejects(client.fetch("http://127.0.0.1:9/"), { code: "client-closed" });
  });

  test("only http: and https: URLs, and no body on GET", async () => {
    const client = createClient();
    await assert.rejects(client.fetch("ftp://127.0.0.1/"), /only http: and https: URLs/);
    await assert.rejects(client.fetch("http://127.0.0.1:9/", { body: "x" }), TypeError);
    await client.close();
  });
});
