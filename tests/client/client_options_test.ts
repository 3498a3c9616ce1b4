// createClient()'s options are checked when the client is made, in plain JavaScript too:
// an unknown or misspelt name, another library's name, a wrong type or range is a TypeError
// that names the option.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "../../lib/client.ts";
import { CLIENT_OPTION_RULES } from "../../lib/client/option_rules.ts";
import { FOREIGN_CLIENT_OPTIONS } from "../../lib/foreign_options.ts";

const make = (options: unknown) => createClient(options as never);

describe("createClient(): options checked when the client is made", () => {
  test("the defaults and every option with a fitting value are accepted", async () => {
    await make({}).close();
    await make({
      maxConnectionsPerOrigin: 2,
      maxConnections: 10,
      pipelining: 1,
      idleTimeout: 1_000,
      keepAliveSafetyMargin: 500,
      keepAliveHint: "sets",
      connectTimeout: 1_000,
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
      expectContinueTimeout: 100,
      maxHeaderSize: 8_192,
      maxHeaderCount: 50,
      maxRedirects: 0,
      retryNonIdempotent: false,
      ca: ["-----BEGIN CERTIFICATE-----"],
      rejectUnauthorized: true,
      decompress: false,
      maxResponseBodySize: 1_024,
      lightFetchObjects: false,
      proxy: false,
    }).close();
  });

  test("an unknown name is refused, with the likely option for a misspelling", () => {
    assert.throws(() => make({ idleTimout: 5 }), {
      name: "TypeError",
      message: /createClient\(\): unknown option "idleTimout" \(did you mean "idleTimeout"\?\)/,
    });
    assert.throws(() => make({ frobnicate: true }), {
      name: "TypeError",
      message: /unknown option "frobnicate"$/,
    });
  });

  test("another library's name says what keepwire calls it", () => {
    assert.throws(() => make({ keepAliveTimeout: 4_000 }), { message: /idleTimeout/ });
    assert.throws(() => make({ connections: 8 }), { message: /maxConnectionsPerOrigin/ });
    assert.throws(() => make({ maxSockets: 8 }), { message: /maxConnectionsPerOrigin/ });
    assert.throws(() => make({ caCerts: [] }), { message: /calls it ca\b/ });
    assert.throws(() => make({ unix: "/tmp/x.sock" }), { message: /socketPath/ });
    for (const name of Object.keys(FOREIGN_CLIENT_OPTIONS)) {
      assert.ok(
        !Object.hasOwn(CLIENT_OPTION_RULES, name),
        `${name} is both keepwire's and foreign`,
      );
      assert.throws(() => make({ [name]: 1 }), { name: "TypeError" }, name);
    }
  });

  test("a wrong type or range names the option and what it must be", () => {
    assert.throws(() => make({ idleTimeout: "5s" }), {
      name: "TypeError",
      message: /option "idleTimeout" must be a number of milliseconds .* got the string "5s"/,
    });
    assert.throws(() => make({ maxConnectionsPerOrigin: 0 }), {
      message: /maxConnectionsPerOrigin/,
    });
    assert.throws(() => make({ pipelining: 1.5 }), { message: /pipelining/ });
    assert.throws(() => make({ keepAliveHint: "always" }), { message: /"lowers" or "sets"/ });
    assert.throws(() => make({ ca: 42 }), { message: /option "ca" must be a PEM string/ });
    assert.throws(() => make({ rejectUnauthorized: "no" }), { message: /rejectUnauthorized/ });
    assert.throws(() => make({ socketPath: "" }), { message: /socketPath/ });
    assert.throws(() => make({ decompress: "yes" }), { message: /decompress/ });
    assert.throws(() => make({ proxy: 3128 }), { message: /proxy/ });
    assert.throws(() => make("fast"), { message: /options must be an object/ });
  });
});
