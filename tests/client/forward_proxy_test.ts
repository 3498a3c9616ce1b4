/**
 * The client through a forward proxy, over real sockets on the running
 * runtime: `http:` in absolute-form on keep-alive connections to the proxy
 * (RFC 9112 §3.2.2), `https:` through a `CONNECT` tunnel (RFC 9110 §9.3.6)
 * to keepwire's TLS server with the committed certificate, proxy
 * credentials, the pool keyed by proxy, and `proxy: "env"`. The proxy is
 * tests/_support's small `node:net` one, which records what it saw. A
 * proxy that fails the client (407, refused, unreachable, silent) is
 * forward_proxy_failures_test.ts.
 */

import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import { serve } from "../../lib/serve.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { TEST_CERT } from "../_support/tls.ts";
import { client, closeAfterTest, closeAll, origin, proxy } from "./_forward_proxy.ts";

afterEach(closeAll);

describe(`forward proxy on ${detectRuntime()}`, { timeout: 60_000 }, () => {
  test("http: goes to the proxy in absolute-form, Host kept, one kept-alive connection", async () => {
    const server = await origin();
    const forward = await proxy();
    const c = client({ proxy: forward.url });
    const base = `http://localhost:${server.addr.port}`;
    const first = await c.fetch(`${base}/a?x=1#fragment`);
    assert.equal(
      await first.text(),
      `GET ${base}/a?x=1 host=localhost:${server.addr.port} proxy-auth=null on=1`,
    );
    const second = await c.fetch(`${base}/b`, { method: "POST", body: "hi" });
    assert.match(await second.text(), /^POST .*\/b .* body=hi$/);
    // A second origin shares the connection to the proxy.
    const other = await c.fetch(`http://127.0.0.1:${server.addr.port}/c`);
    assert.equal(other.status, 200);
    await other.text();
    assert.deepEqual(
      forward.seen.map(({ method, target, connection }) => [method, target, connection]),
      [
        ["GET", `${base}/a?x=1`, 1],
        ["POST", `${base}/b`, 1],
        ["GET", `http://127.0.0.1:${server.addr.port}/c`, 1],
      ],
    );
    assert.equal(forward.seen[0].headers.host, `localhost:${server.addr.port}`);
    assert.equal(forward.connections, 1);
    assert.equal(c.stats.connectionsOpened, 1);
    assert.equal(c.stats.reusedRequests, 2);
  });

  test("https: opens a CONNECT tunnel per origin and checks the origin's certificate inside", async () => {
    const server = await origin(true);
    const forward = await proxy();
    const c = client({ proxy: forward.url, ca: TEST_CERT });
    const base = `https://localhost:${server.addr.port}`;
    for (const path of ["/one", "/two"]) {
      const response = await c.fetch(`${base}${path}`);
      assert.equal(
        await response.text(),
        `GET ${base}${path} host=localhost:${server.addr.port} proxy-auth=null on=1`,
      );
    }
    // Another origin (same server, by IP: the certificate names 127.0.0.1 too) gets its own tunnel.
    const byIp = await c.fetch(`https://127.0.0.1:${server.addr.port}/three`);
    assert.equal(byIp.status, 200);
    await byIp.text();
    assert.deepEqual(
      forward.seen.map(({ method, target, headers }) => [method, target, headers.host]),
      [
        ["CONNECT", `localhost:${server.addr.port}`, `localhost:${server.addr.port}`],
        ["CONNECT", `127.0.0.1:${server.addr.port}`, `127.0.0.1:${server.addr.port}`],
      ],
    );
    assert.equal(c.stats.connectionsOpened, 2);
    assert.equal(c.stats.reusedRequests, 1);
    // The same origin direct is another connection; the tunnel is not lent to it.
    const direct = await c.request(`${base}/four`, { proxy: false });
    await direct.response.text();
    assert.deepEqual([direct.info.connectionId, direct.info.reused], [3, false]);
    assert.equal(forward.seen.length, 2);
    const again = await c.request(`${base}/five`);
    await again.response.text();
    assert.deepEqual([again.info.connectionId, again.info.reused], [1, true]);
  });

  test("each redirect hop picks its own route: http: absolute-form, then https: through CONNECT", async () => {
    const secure = await origin(true);
    const redirecting = await serve(
      { port: 0, hostname: "127.0.0.1" },
      () =>
        new Response(null, {
          status: 301,
          headers: { location: `https://localhost:${secure.addr.port}/landed` },
        }),
    );
    closeAfterTest({ close: () => redirecting.shutdown() });
    const forward = await proxy();
    const c = client({ proxy: forward.url, ca: TEST_CERT });
    const response = await c.fetch(`http://localhost:${redirecting.addr.port}/start`);
    assert.match(
      await response.text(),
      new RegExp(`^GET https://localhost:${secure.addr.port}/landed `),
    );
    assert.equal(response.redirected, true);
    assert.deepEqual(forward.seen.map(({ method, target }) => [method, target]), [
      ["GET", `http://localhost:${redirecting.addr.port}/start`],
      ["CONNECT", `localhost:${secure.addr.port}`],
    ]);
  });

  test("the certificate is checked against the origin, not the proxy: an unknown CA fails", async () => {
    const server = await origin(true);
    const forward = await proxy();
    const c = client({ proxy: forward.url });
    await assert.rejects(
      c.fetch(`https://localhost:${server.addr.port}/`),
      (error: unknown) => error instanceof ClientError && error.code === "certificate-error",
    );
    assert.equal(forward.seen.length, 1, "the tunnel was opened once, and not retried");
    // rejectUnauthorized: false (tests only) goes through, as it would directly.
    const lax = client({ proxy: forward.url, rejectUnauthorized: false });
    const response = await lax.fetch(`https://localhost:${server.addr.port}/`);
    assert.equal(response.status, 200);
    await response.text();
  });

  test("credentials in the proxy URL become Proxy-Authorization: Basic, for CONNECT only inside https", async () => {
    const plain = await origin();
    const secure = await origin(true);
    const forward = await proxy({ credentials: "me:pa ss" });
    const c = client({ proxy: `http://me:pa%20ss@127.0.0.1:${forward.port}`, ca: TEST_CERT });
    const expected = `Basic ${btoa("me:pa ss")}`;
    const overHttp = await c.fetch(`http://localhost:${plain.addr.port}/`);
    // The relay strips it, so the origin never sees the proxy's credentials.
    assert.match(await overHttp.text(), /proxy-auth=null/);
    const overHttps = await c.fetch(`https://localhost:${secure.addr.port}/`);
    assert.match(await overHttps.text(), /proxy-auth=null/);
    assert.deepEqual(
      forward.seen.map(({ method, headers }) => [method, headers["proxy-authorization"]]),
      [["GET", expected], ["CONNECT", expected]],
    );
  });

  test("a caller's own Proxy-Authorization: sent in absolute-form, never into a tunnel", async () => {
    const plain = await origin();
    const secure = await origin(true);
    const forward = await proxy({ credentials: "me:secret" });
    const headers = { "proxy-authorization": `Basic ${btoa("me:secret")}` };
    const bare = client({ proxy: forward.url, ca: TEST_CERT });
    const overHttp = await bare.fetch(`http://localhost:${plain.addr.port}/`, { headers });
    assert.equal(overHttp.status, 200, "the proxy took the caller's header");
    await overHttp.text();
    // The CONNECT carries no credentials (the URL has none): 407, and the
    // header is not sent to the origin either.
    await assert.rejects(
      bare.fetch(`https://localhost:${secure.addr.port}/`, { headers }),
      (error: unknown) => error instanceof ClientError && error.code === "proxy-auth-required",
    );
    const withUrl = client({
      proxy: `http://me:secret@127.0.0.1:${forward.port}`,
      ca: TEST_CERT,
    });
    const inside = await withUrl.fetch(`https://localhost:${secure.addr.port}/`, {
      headers: { "proxy-authorization": "Bearer leaked" },
    });
    assert.match(await inside.text(), /proxy-auth=null/, "the origin never sees it");
    const replaced = await withUrl.fetch(`http://localhost:${plain.addr.port}/`, {
      headers: { "proxy-authorization": "Bearer other" },
    });
    assert.equal(replaced.status, 200, "the URL's credentials win in absolute-form");
    await replaced.text();
  });

  test("the pool keys connections by proxy: A, B and direct never share one", async () => {
    const server = await origin();
    const a = await proxy();
    const b = await proxy();
    const c = client({ proxy: a.url });
    const url = `http://localhost:${server.addr.port}/`;
    const via = async (init: { proxy?: string | false }) => {
      const response = await c.request(url, init);
      await response.response.text();
      return response.info.connectionId;
    };
    const ids = [
      await via({}), // A (the client's)
      await via({ proxy: b.url }),
      await via({ proxy: false }), // direct
      await via({}),
      await via({ proxy: b.url }),
      await via({ proxy: false }),
    ];
    assert.deepEqual(ids, [1, 2, 3, 1, 2, 3]);
    assert.equal(a.seen.length, 2);
    assert.equal(b.seen.length, 2);
    assert.equal(a.connections, 1);
    assert.equal(b.connections, 1);
    // Other credentials for the same proxy: another connection.
    const withUser = `http://user:secret@127.0.0.1:${a.port}`;
    assert.equal(await via({ proxy: withUser }), 4);
    assert.equal(await via({ proxy: withUser }), 4);
    assert.equal(await via({ proxy: `http://user:other@127.0.0.1:${a.port}` }), 5);
    // The pool keys are shown (connections(), the live page): never the secret.
    const shown = JSON.stringify(c.connections());
    assert.ok(!shown.includes(btoa("user:secret")) && !shown.includes("secret"), shown);
    assert.equal(new Set(c.connections().map(({ origin }) => origin)).size, 5);
  });

  test('proxy: "env" follows HTTP_PROXY and NO_PROXY', async () => {
    const server = await origin();
    const forward = await proxy();
    const names = [
      "http_proxy",
      "HTTP_PROXY",
      "https_proxy",
      "HTTPS_PROXY",
      "no_proxy",
      "NO_PROXY",
    ];
    const saved = names.map((name) => [name, process.env[name]] as const);
    try {
      for (const name of names) delete process.env[name];
      process.env.HTTP_PROXY = forward.url;
      process.env.NO_PROXY = "127.0.0.1";
      const c = client({ proxy: "env" });
      const proxied = await c.fetch(`http://localhost:${server.addr.port}/p`);
      await proxied.text();
      const direct = await c.fetch(`http://127.0.0.1:${server.addr.port}/d`);
      await direct.text();
      assert.deepEqual(forward.seen.map(({ target }) => target), [
        `http://localhost:${server.addr.port}/p`,
      ]);
      // Without the opt-in the environment is never read.
      const plain = client();
      await (await plain.fetch(`http://localhost:${server.addr.port}/x`)).text();
      assert.equal(forward.seen.length, 1);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test(
    'Deno without --allow-env: no env read unless proxy: "env", which fails saying which flag',
    { skip: detectRuntime() !== "deno" },
    async () => {
      const server = await origin();
      const dir = await mkdtemp(join(tmpdir(), "keepwire-env-"));
      const script = join(dir, "env_denied.ts");
      const client = new URL("../../lib/client.ts", import.meta.url).href;
      await writeFile(
        script,
        `import { createClient } from ${JSON.stringify(client)};
const plain = createClient();
const response = await plain.fetch("http://127.0.0.1:${server.addr.port}/");
console.log("direct", response.status, (await response.text()).split(" ")[0]);
await plain.close();
try {
  createClient({ proxy: "env" });
  console.log("env read");
} catch (error) {
  console.log(error.name + ": " + error.message);
}
`,
      );
      try {
        const output = await new Promise<string>((resolve, reject) => {
          execFile(
            process.execPath,
            ["run", "--no-prompt", "--no-check", "--allow-net=127.0.0.1", "--allow-read", script],
            (
              error,
              stdout,
              stderr,
            ) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)),
          );
        });
        const [direct, denied] = output.trim().split("\n");
        assert.equal(direct, "direct 200 GET");
        assert.match(denied, /^TypeError: proxy: "env" reads http_proxy, HTTP_PROXY/);
        assert.match(
          denied,
          /--allow-env=http_proxy,HTTP_PROXY,https_proxy,HTTPS_PROXY,no_proxy,NO_PROXY/,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  test("wrong option types are TypeErrors naming the option", () => {
    assert.throws(() => createClient({ proxy: 3128 as never }), /proxy must be/);
    assert.throws(() => createClient({ proxy: "socks5://p:1080" }), /only http: proxies/);
    assert.throws(() => createClient({ proxy: "not a url" }), /proxy must be a proxy URL/);
    assert.throws(
      () => createClient({ proxy: "http://p:1", socketPath: "/tmp/x.sock" }),
      /proxy and socketPath/,
    );
  });
});
