/**
 * The proxy settings as pure rules, without sockets: proxy URLs read into
 * an endpoint (credentials → `Proxy-Authorization: Basic`, RFC 7617), the
 * `NO_PROXY` list, and which proxy the environment picks for a URL
 * (`http_proxy` before `HTTP_PROXY`, the HTTP proxy for `https:` when no
 * HTTPS one is set, as undici's EnvHttpProxyAgent). The routes and pool keys
 * built from them: a proxied connection is never keyed like a direct one.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  NoProxyList,
  parseProxyUrl,
  proxyEnvironment,
  proxyForUrl,
} from "../../lib/client/proxy.ts";
import { absoluteTarget, readProxyOption, routeFor } from "../../lib/client/_route.ts";
import { TunnelHandshake } from "../../lib/client/_tunnel.ts";
import { ClientError } from "../../lib/client/errors.ts";

describe("parseProxyUrl()", () => {
  test("reads host, port (80 by default) and credentials", () => {
    assert.deepEqual(parseProxyUrl("http://proxy.example:3128/ignored?x#y"), {
      origin: "http://proxy.example:3128",
      hostname: "proxy.example",
      port: 3128,
      authorization: null,
    });
    assert.equal(parseProxyUrl("http://proxy.example").port, 80);
    assert.equal(parseProxyUrl(new URL("http://[::1]:8888")).hostname, "::1");
    assert.equal(parseProxyUrl("http://[::1]:8888").origin, "http://[::1]:8888");
  });

  test("credentials are percent-decoded, UTF-8, base64 (RFC 7617 §2)", () => {
    assert.equal(parseProxyUrl("http://a:b@p").authorization, `Basic ${btoa("a:b")}`);
    assert.equal(parseProxyUrl("http://a%3Ab:c%40d@p").authorization, `Basic ${btoa("a:b:c@d")}`);
    assert.equal(parseProxyUrl("http://user@p").authorization, `Basic ${btoa("user:")}`);
    // "é" is C3 A9 in UTF-8.
    assert.equal(parseProxyUrl("http://%C3%A9:x@p").authorization, `Basic ${btoa("\xC3\xA9:x")}`);
    // The credentials never show in the origin that errors print.
    assert.equal(parseProxyUrl("http://a:secret@p:1").origin, "http://p:1");
  });

  test("refuses what is not an http: proxy URL, naming the option", () => {
    assert.throws(() => parseProxyUrl("https://p:443", "proxy"), /^TypeError: proxy: only http:/);
    assert.throws(() => parseProxyUrl("socks5://p:1080", "HTTP_PROXY"), /HTTP_PROXY: only http:/);
    assert.throws(() => parseProxyUrl("no url", "proxy"), /proxy must be a proxy URL/);
  });
});

describe("NoProxyList", () => {
  // [NO_PROXY value, URL, bypasses the proxy?]
  const cases: [string, string, boolean][] = [
    ["", "http://example.com/", false], // empty: everything goes through the proxy
    ["*", "http://example.com/", true], // everything direct
    ["foo, *", "https://example.com/", true], // * anywhere in the list
    ["example.com", "http://example.com/", true], // the name itself
    ["example.com", "http://api.example.com/", true], // and its subdomains
    ["example.com", "http://a.b.example.com/", true],
    ["example.com", "http://badexample.com/", false], // a suffix only at a dot
    ["example.com", "http://example.com.evil/", false],
    ["EXAMPLE.com", "http://Example.COM/", true], // no case
    [".example.com", "http://api.example.com/", true], // leading dot: suffix
    [".example.com", "http://example.com/", true], // and the name itself (curl)
    ["*.example.com", "http://api.example.com/", true], // leading *.
    ["example.com.", "http://example.com/", true], // trailing dot of an FQDN
    ["example.com", "http://example.com./", true],
    ["example.com:8080", "http://example.com:8080/", true], // a port narrows it
    ["example.com:8080", "http://example.com/", false],
    ["example.com:443", "https://example.com/", true], // default ports count
    ["example.com:80", "https://example.com/", false],
    ["a.test,b.test", "http://b.test/", true], // commas
    ["a.test b.test\tc.test", "http://c.test/", true], // white space
    [" a.test , ,b.test ", "http://b.test/", true], // empty entries skipped
    ["10.0.0.1", "http://10.0.0.1/", true], // an IPv4 address: exact
    ["0.0.1", "http://10.0.0.1/", false], // never a suffix of an address
    ["10.0.0.1:81", "http://10.0.0.1:81/", true],
    ["::1", "http://[::1]:8080/", true], // IPv6 bare
    ["[::1]", "http://[::1]/", true], // IPv6 in brackets
    ["[::1]:8080", "http://[::1]:8080/", true],
    ["[::1]:8080", "http://[::1]:9090/", false],
    ["localhost", "http://127.0.0.1/", false], // names are not resolved
    ["example.com:x", "http://example.com/", false], // a malformed entry matches nothing
  ];
  for (const [value, url, expected] of cases) {
    test(`${JSON.stringify(value)} ${expected ? "matches" : "does not match"} ${url}`, () => {
      assert.equal(new NoProxyList(value).matches(new URL(url)), expected);
    });
  }
});

describe("proxyEnvironment() and proxyForUrl()", () => {
  const from = (env: Record<string, string>) => proxyEnvironment((name) => env[name]);

  test("lower case before upper case; empty is unset", () => {
    const environment = from({ http_proxy: "http://lower:1", HTTP_PROXY: "http://upper:2" });
    assert.equal(environment.http?.origin, "http://lower:1");
    assert.equal(
      from({ http_proxy: " ", HTTP_PROXY: "http://upper:2" }).http?.origin,
      "http://upper:2",
    );
    assert.equal(from({}).http, null);
  });

  test("https: uses HTTPS_PROXY, else HTTP_PROXY; http: never the HTTPS one", () => {
    const both = from({ HTTP_PROXY: "http://h:1", HTTPS_PROXY: "http://s:2" });
    assert.equal(proxyForUrl(new URL("https://x/"), both)?.origin, "http://s:2");
    assert.equal(proxyForUrl(new URL("http://x/"), both)?.origin, "http://h:1");
    const httpOnly = from({ HTTP_PROXY: "http://h:1" });
    assert.equal(proxyForUrl(new URL("https://x/"), httpOnly)?.origin, "http://h:1");
    const httpsOnly = from({ https_proxy: "http://s:2" });
    assert.equal(proxyForUrl(new URL("http://x/"), httpsOnly), null);
  });

  test("a value without a scheme is http://; a bad one names its variable", () => {
    assert.equal(from({ HTTP_PROXY: "proxy:3128" }).http?.origin, "http://proxy:3128");
    assert.throws(() => from({ https_proxy: "socks5://p:1" }), /https_proxy: only http:/);
  });

  test("NO_PROXY / no_proxy exempts hosts", () => {
    const environment = from({ HTTP_PROXY: "http://h:1", no_proxy: "localhost,.corp" });
    assert.equal(proxyForUrl(new URL("http://localhost:8080/"), environment), null);
    assert.equal(proxyForUrl(new URL("https://git.corp/"), environment), null);
    assert.equal(proxyForUrl(new URL("http://example.com/"), environment)?.port, 1);
  });
});

describe("routes", () => {
  const tls = {};
  const proxy = parseProxyUrl("http://p:3128");

  test("direct, absolute-form and tunnel routes never share a pool key", () => {
    const http = new URL("http://example.com/a?b#c");
    const https = new URL("https://example.com/a");
    const keys = [
      routeFor(http, null, tls, undefined).key,
      routeFor(http, proxy, tls, undefined).key,
      routeFor(https, null, tls, undefined).key,
      routeFor(https, proxy, tls, undefined).key,
      routeFor(https, parseProxyUrl("http://q:3128"), tls, undefined).key,
      routeFor(https, parseProxyUrl("http://u:p@p:3128"), tls, undefined).key,
    ];
    assert.equal(new Set(keys).size, keys.length, keys.join(" | "));
    // Every http: origin shares the connections to one proxy.
    assert.equal(
      routeFor(new URL("http://other.example/"), proxy, tls, undefined).key,
      routeFor(http, proxy, tls, undefined).key,
    );
  });

  test("http: through a proxy connects to the proxy and writes the absolute URI", () => {
    const route = routeFor(new URL("http://example.com:8080/a?b#c"), proxy, tls, undefined);
    assert.deepEqual(route.target, { hostname: "p", port: 3128 });
    assert.equal(route.absoluteForm, true);
    assert.equal(
      absoluteTarget(new URL("http://example.com:8080/a?b#c")),
      "http://example.com:8080/a?b",
    );
    assert.equal(absoluteTarget(new URL("http://[::1]/")), "http://[::1]/");
  });

  test("https: through a proxy tunnels to host:port, TLS for the origin", () => {
    const route = routeFor(new URL("https://[::1]/x"), proxy, tls, undefined);
    assert.deepEqual(route.target, { hostname: "::1", port: 443, tls });
    assert.equal(route.tunnelTo, "[::1]:443");
    assert.equal(route.absoluteForm, false);
  });

  test('the proxy option: a URL, "env", false; anything else a TypeError', () => {
    assert.equal(readProxyOption(undefined, "proxy"), null);
    assert.equal(readProxyOption(false, "proxy"), null);
    assert.equal((readProxyOption("http://p:1", "proxy") as { port: number }).port, 1);
    assert.throws(() => readProxyOption(true, "proxy"), /^TypeError: proxy must be/);
    assert.throws(() => readProxyOption(null, "proxy"), /got null/);
  });
});

describe("TunnelHandshake", () => {
  const encoder = new TextEncoder();
  const proxy = parseProxyUrl("http://u:p@p:3128");

  test("writes CONNECT in authority-form with Host and Proxy-Authorization", () => {
    const tunnel = new TunnelHandshake(proxy, "example.com:443");
    assert.equal(
      new TextDecoder().decode(tunnel.request),
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n" +
        `Proxy-Authorization: Basic ${btoa("u:p")}\r\n\r\n`,
    );
  });

  test("a 2xx opens the tunnel, whole or split at every byte; its length fields are ignored", () => {
    const answer = "HTTP/1.1 200 Connection Established\r\nContent-Length: 99\r\n\r\n";
    for (let split = 0; split <= answer.length; split++) {
      const tunnel = new TunnelHandshake(proxy, "example.com:443");
      const parts = [answer.slice(0, split), answer.slice(split)].filter((part) => part !== "");
      const results = parts.map((part) => tunnel.onResponse(encoder.encode(part)));
      assert.equal(results.at(-1), true, `split at ${split}`);
      assert.ok(results.slice(0, -1).every((result) => result === false));
    }
  });

  test("a 1xx before the 2xx is skipped", () => {
    const tunnel = new TunnelHandshake(proxy, "x:443");
    assert.equal(
      tunnel.onResponse(encoder.encode("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")),
      true,
    );
  });

  const refusal = (answer: string) => {
    const tunnel = new TunnelHandshake(proxy, "x:443");
    try {
      tunnel.onResponse(encoder.encode(answer));
    } catch (error) {
      assert.ok(error instanceof ClientError);
      return error;
    }
    assert.fail("no error");
  };

  test("407 is proxy-auth-required; any other status proxy-refused", () => {
    assert.equal(
      refusal("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").code,
      "proxy-auth-required",
    );
    const refused = refusal("HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!");
    assert.equal(refused.code, "proxy-refused");
    assert.match(refused.message, /proxy http:\/\/p:3128 refused CONNECT x:443: 403 Forbidden/);
    assert.equal(refusal("HTTP/1.1 502 Bad Gateway\r\n\r\n").code, "proxy-refused");
  });

  test("bytes after the 2xx head, or no HTTP at all, are a protocol error", () => {
    assert.equal(refusal("HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01").code, "protocol-error");
    assert.equal(refusal("SSH-2.0-OpenSSH\r\n\r\n").code, "protocol-error");
  });
});
