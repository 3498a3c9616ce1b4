/**
 * serve()'s arguments: the three call forms of Deno.serve, and options
 * checked when serve() is called (issue 14, "The handler contract"). Every
 * form answers over a real socket on the runtime running the test; every
 * bad option is a TypeError that names it, thrown before anything binds.
 * The casts to `never` stand for plain JavaScript callers, which the type
 * checker does not protect (the Node run is an esbuild bundle, types gone).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import { serveWith } from "../../lib/connection/server.ts";
import { detectRuntime, listenForRuntime } from "../../lib/runtime/detect.ts";
import type { Handler, ServeOptions, Server } from "../../lib/connection/options.ts";
import type { ListenFunction, ListenOptions } from "../../lib/transport.ts";
import { OPTION_RULES } from "../../lib/connection/option_rules.ts";
import { FOREIGN_OPTIONS } from "../../lib/foreign_options.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { runtimeServe } from "../_support/runtime_serve.ts";

const local = { port: 0, hostname: "127.0.0.1" } as const;
const hello: Handler = () => new Response("hello");

/** One GET over a fresh connection; the response body. */
async function get(server: Server): Promise<string> {
  const client = await RawClient.connect(server.addr.port);
  try {
    await client.write("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    const response = await readResponse(client);
    assert.equal(response.status, 200);
    return response.text;
  } finally {
    client.destroy();
  }
}

/** The runtime's own binding, recording what it was asked to bind and binding a free loopback port instead. */
async function recordingListen(): Promise<{ listen: ListenFunction; asked: ListenOptions[] }> {
  const real = await listenForRuntime();
  const asked: ListenOptions[] = [];
  const listen: ListenFunction = (options, onConnection) => {
    asked.push(options);
    return real({ ...options, ...local }, onConnection);
  };
  return { listen, asked };
}

describe("serve(): the call forms of Deno.serve", () => {
  test("serve(handler) listens on the defaults (port 8080, all interfaces) and answers", async () => {
    const { listen, asked } = await recordingListen();
    const server = await serveWith(listen, hello);
    try {
      assert.equal(asked[0].port, 8080);
      assert.equal(asked[0].hostname, "0.0.0.0");
      assert.equal(await get(server), "hello");
    } finally {
      await server.shutdown();
    }
  });

  test("the root serve(handler) binds port 8080 (or fails only because it is taken)", async () => {
    let server: Server | undefined;
    try {
      server = await serve(hello);
    } catch (error) {
      // Another process holds 8080: the one-argument form still got as far as binding.
      assert.ok(!(error instanceof TypeError), `not an argument error: ${error}`);
      assert.match(
        String((error as { code?: string }).code ?? error),
        /ADDRINUSE|AddrInUse|in use/i,
      );
      return;
    }
    try {
      assert.equal(server.addr.port, 8080);
      const client = await RawClient.connect(8080);
      try {
        await client.write("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        assert.equal((await readResponse(client)).text, "hello");
      } finally {
        client.destroy();
      }
    } finally {
      await server.shutdown();
    }
  });

  test("serve(options, handler) answers", async () => {
    const server = await serve(local, hello);
    try {
      assert.equal(await get(server), "hello");
    } finally {
      await server.shutdown();
    }
  });

  test("serve({ ...options, handler }) answers", async () => {
    const server = await serve({ ...local, handler: hello });
    try {
      assert.equal(await get(server), "hello");
    } finally {
      await server.shutdown();
    }
  });

  test("the same handler in the options and as the argument is fine", async () => {
    const server = await serve({ ...local, handler: hello }, hello);
    try {
      assert.equal(await get(server), "hello");
    } finally {
      await server.shutdown();
    }
  });

  test(`the ${detectRuntime()} entry point's serve() takes all three forms`, async () => {
    const runtimeServeFunction = await runtimeServe();
    const servers = [
      await runtimeServeFunction({ ...local, handler: () => new Response("in options") }),
      await runtimeServeFunction(local, () => new Response("as argument")),
    ];
    try {
      assert.equal(await get(servers[0]), "in options");
      assert.equal(await get(servers[1]), "as argument");
    } finally {
      for (const server of servers) await server.shutdown();
    }
    // The one-argument form reaches the listener (or finds 8080 taken), never an argument error.
    try {
      const server = await runtimeServeFunction(hello);
      assert.equal(server.addr.port, 8080);
      await server.shutdown();
    } catch (error) {
      assert.ok(!(error instanceof TypeError), `not an argument error: ${error}`);
    }
    await assert.rejects(runtimeServeFunction({ idleTimeout: 5 } as never, hello), TypeError);
    await assert.rejects(runtimeServeFunction(local as never), TypeError);
  });

  test("a valid value for every option still serves", async () => {
    const controller = new AbortController();
    let listened = false;
    // path and tls change how the server is reached; tests/runtime/unix_test.ts
    // and tls_test.ts serve with them.
    const options: Required<Omit<ServeOptions, "path" | "tls">> = {
      ...local,
      handler: hello,
      keepAliveTimeout: 2_000,
      maxRequestsPerConnection: 10,
      headersTimeout: 5_000,
      requestBodyTimeout: 5_000,
      requestTimeout: 60_000,
      sendTimeout: 5_000,
      maxConnections: 100,
      maxBodySize: 1024,
      maxRequestLineSize: 1024,
      maxHeaderSize: 4096,
      maxHeaderCount: 50,
      keepAliveHint: true,
      eagerContinue: false,
      lightFetchObjects: detectRuntime() === "node",
      reusePort: false,
      shutdownTimeout: 1_000,
      onListen: () => (listened = true),
      onError: () => new Response("failed", { status: 500 }),
      signal: controller.signal,
    };
    const server = await serve(options);
    try {
      assert.ok(listened);
      assert.equal(await get(server), "hello");
    } finally {
      controller.abort();
      await server.finished;
    }
  });

  test("an option set to undefined takes its default", async () => {
    const server = await serve(
      { ...local, keepAliveTimeout: undefined, maxBodySize: undefined },
      hello,
    );
    try {
      assert.equal(await get(server), "hello");
    } finally {
      await server.shutdown();
    }
  });
});

describe("serve(): the handler is required, once", () => {
  const cases: [string, () => Promise<Server>, RegExp][] = [
    [
      "no argument at all",
      () => (serve as (...args: unknown[]) => Promise<Server>)(),
      /options must be an object/,
    ],
    ["options without a handler", () => serve(local as never), /no handler given/],
    [
      "Bun's fetch instead of handler",
      () => serve({ ...local, fetch: hello } as never),
      /"fetch" is Bun\.serve's.*handler/,
    ],
    [
      "a handler that is not a function",
      () => serve(local, "hello" as never),
      /handler must be a function, got the string "hello"/,
    ],
    [
      "handler in the options that is not a function",
      () => serve({ ...local, handler: 42 } as never),
      /option "handler" must be a function, got 42/,
    ],
    [
      "the handler first, options second",
      () => serve(hello as never, local as never),
      /the handler comes last/,
    ],
    [
      "two different handlers",
      () => serve({ ...local, handler: hello }, () => new Response("other")),
      /two different handlers/,
    ],
    [
      "options that are a string",
      () => serve("8080" as never, hello),
      /options must be an object, got the string "8080"/,
    ],
    [
      "options that are null",
      () => serve(null as never, hello),
      /options must be an object, got null/,
    ],
    [
      "options that are an array",
      () => serve([] as never, hello),
      /options must be an object, got an array/,
    ],
  ];
  for (const [name, call, message] of cases) {
    test(`${name}: TypeError`, async () => {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof TypeError, `a TypeError, got ${error}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

/** The TypeError a bad options object gets, checked before anything listens. */
async function refusal(options: Record<string, unknown>): Promise<string> {
  let listened = false;
  const listen: ListenFunction = () => {
    listened = true;
    throw new Error("must not be reached");
  };
  let caught: unknown;
  try {
    await serveWith(listen, options as never, hello);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TypeError, `a TypeError, got ${caught}`);
  assert.equal(listened, false, "nothing is bound before the options are checked");
  // The root and the runtime entry point refuse it the same way.
  await assert.rejects(serve(options as never, hello), {
    name: "TypeError",
    message: caught.message,
  });
  const runtimeServeFunction = await runtimeServe();
  await assert.rejects(runtimeServeFunction(options as never, hello), {
    name: "TypeError",
    message: caught.message,
  });
  return caught.message;
}

describe("serve(): wrong types and out-of-range values are TypeErrors naming the option", () => {
  const cases: [string, unknown, RegExp][] = [
    ["port", "3000", /"port" must be an integer from 0 to 65535, got the string "3000"/],
    ["port", 65_536, /"port" must be an integer from 0 to 65535, got 65536/],
    ["port", -1, /"port" must be an integer from 0 to 65535, got -1/],
    ["port", 80.5, /"port" must be an integer from 0 to 65535, got 80\.5/],
    ["hostname", "", /"hostname" must be a non-empty string/],
    ["hostname", 127, /"hostname" must be a non-empty string .*got 127/],
    [
      "keepAliveTimeout",
      "5s",
      /"keepAliveTimeout" must be a number of milliseconds from 0 to 2147483647, got the string "5s"/,
    ],
    ["keepAliveTimeout", -1, /"keepAliveTimeout" must be a number of milliseconds/],
    ["keepAliveTimeout", Number.NaN, /"keepAliveTimeout" must be .* got NaN/],
    ["headersTimeout", Infinity, /"headersTimeout" must be .* got Infinity/],
    [
      "shutdownTimeout",
      2 ** 31,
      /"shutdownTimeout" must be a number of milliseconds from 0 to 2147483647, got 2147483648/,
    ],
    ["requestBodyTimeout", null, /"requestBodyTimeout" must be .* got null/],
    ["sendTimeout", 10n, /"sendTimeout" must be .* got 10n/],
    ["maxRequestsPerConnection", 0, /"maxRequestsPerConnection" must be an integer ≥ 1, got 0/],
    ["maxConnections", 0, /"maxConnections" must be an integer ≥ 1, got 0/],
    ["maxBodySize", -1, /"maxBodySize" must be an integer ≥ 0, got -1/],
    ["maxBodySize", "1mb", /"maxBodySize" must be an integer ≥ 0, got the string "1mb"/],
    ["maxHeaderSize", 1.5, /"maxHeaderSize" must be an integer ≥ 1, got 1\.5/],
    ["maxHeaderCount", 0, /"maxHeaderCount" must be an integer ≥ 1/],
    ["maxRequestLineSize", 0, /"maxRequestLineSize" must be an integer ≥ 1/],
    ["keepAliveHint", "yes", /"keepAliveHint" must be true or false, got the string "yes"/],
    ["eagerContinue", 1, /"eagerContinue" must be true or false, got 1/],
    ["reusePort", "true", /"reusePort" must be true or false/],
    [
      "lightFetchObjects",
      {},
      /"lightFetchObjects" must be true or false, got an object \(Object\)/,
    ],
    ["onListen", "console.log", /"onListen" must be a function/],
    ["onError", {}, /"onError" must be a function/],
    ["signal", {}, /"signal" must be an AbortSignal, got an object \(Object\)/],
    [
      "signal",
      new AbortController(),
      /"signal" must be an AbortSignal, got an object \(AbortController\)/,
    ],
  ];
  for (const [name, value, message] of cases) {
    test(`${name}: ${typeof value === "bigint" ? `${value}n` : JSON.stringify(value) ?? String(value)}`, async () => {
      assert.match(await refusal({ ...local, [name]: value }), message);
    });
  }

  test("every keepwire option refuses a value of the wrong kind", async () => {
    for (const name of Object.keys(OPTION_RULES)) {
      const message = await refusal({ ...local, [name]: Symbol("wrong") });
      assert.match(message, new RegExp(`option "${name}" must be .* got Symbol\\(wrong\\)`));
    }
  });
});

describe("serve(): other servers' option names say what keepwire calls them", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "idleTimeout",
      10,
      /Bun\.serve's, in seconds; keepwire calls it keepAliveTimeout, in milliseconds/,
    ],
    ["maxRequestBodySize", 1024, /Bun\.serve's; keepwire calls it maxBodySize/],
    [
      "cert",
      "-----BEGIN CERTIFICATE-----",
      /Deno\.serve's; keepwire takes it as tls: \{ cert, key \}/,
    ],
    [
      "key",
      "-----BEGIN PRIVATE KEY-----",
      /Deno\.serve's; keepwire takes it as tls: \{ cert, key \}/,
    ],
    ["unix", "/tmp/app.sock", /"unix" is Bun\.serve's; keepwire calls it path/],
    ["transport", "unix", /keepwire listens on TCP, or on the Unix socket given as path/],
    ["fetch", hello, /"fetch" is Bun\.serve's name for the handler/],
    ["error", () => new Response(""), /"error" is Bun\.serve's; keepwire calls it onError/],
    [
      "websocket",
      { message() {} },
      /"websocket" \(Bun\.serve\) is not supported: accept a WebSocket/,
    ],
    ["host", "127.0.0.1", /"host" is node:net's; keepwire calls it hostname/],
    ["maxHeadersCount", 10, /keepwire calls it maxHeaderCount/],
    ["maxRequestsPerSocket", 10, /keepwire calls it maxRequestsPerConnection/],
    ["insecureHTTPParser", true, /no lenient mode/],
    ["timeout", 1000, /keepwire bounds each phase instead/],
  ];
  for (const [name, value, message] of cases) {
    test(`${name} is refused with what to use instead`, async () => {
      const text = await refusal({ ...local, [name]: value });
      assert.match(text, message);
    });
  }

  test("tls takes PEM strings and path a file name", async () => {
    assert.match(
      await refusal({ ...local, tls: { cert: "", key: "" } }),
      /option "tls" must be \{ cert, key \} with PEM strings/,
    );
    assert.match(await refusal({ path: "" }), /option "path" must be a non-empty string/);
  });

  test("every foreign name is refused with a sentence naming it, even when its value is undefined", async () => {
    for (const name of Object.keys(FOREIGN_OPTIONS)) {
      if (Object.hasOwn(OPTION_RULES, name)) continue; // supported since: the keepwire rule applies
      const message = await refusal({ ...local, [name]: undefined });
      assert.ok(message.includes(`"${name}"`) || message.includes(name), `${name}: ${message}`);
      assert.doesNotMatch(message, /unknown option/);
    }
  });
});

describe("serve(): unknown names", () => {
  test("a misspelt name suggests the option it resembles", async () => {
    assert.match(
      await refusal({ ...local, keepAliveTimout: 1000 }),
      /unknown option "keepAliveTimout" \(did you mean "keepAliveTimeout"\?\)/,
    );
    assert.match(
      await refusal({ ...local, Port: 1000 }),
      /unknown option "Port" \(did you mean "port"\?\)/,
    );
    assert.match(await refusal({ ...local, onlisten: () => {} }), /did you mean "onListen"/);
  });

  test("a name like no option is simply unknown", async () => {
    const message = await refusal({ ...local, compression: "gzip" });
    assert.equal(message, 'serve(): unknown option "compression"');
  });
});
