import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  computeAcceptKey,
  selectSubprotocol,
  type UpgradeRequestLike,
  upgradeResponseHeaders,
  validateUpgradeRequest,
} from "../../../lib/codec/websocket/handshake.ts";
import { WebSocketHandshakeError } from "../../../lib/codec/websocket/errors.ts";
import { UpgradeRefusedError } from "../../../lib/codec/upgrade_refused.ts";
import {
  negotiatePerMessageDeflate,
  parseExtensions,
} from "../../../lib/codec/websocket/extensions.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const GOOD: Record<string, string> = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": KEY,
  "sec-websocket-version": "13",
};

function request(
  fields: Record<string, string | null>,
  method = "GET",
  httpVersion?: string,
): UpgradeRequestLike {
  const headers = new Headers();
  for (const [name, value] of Object.entries({ ...GOOD, ...fields })) {
    if (value !== null) headers.set(name, value);
  }
  return { method, headers, httpVersion };
}

function refused(status: number, code: string) {
  return (error: unknown) =>
    error instanceof WebSocketHandshakeError && error.status === status && error.code === code;
}

describe("validateUpgradeRequest (RFC 6455 §4.2.1)", () => {
  test("accepts the handshake of §1.2", () => {
    assert.deepEqual(validateUpgradeRequest(request({})), {
      key: KEY,
      protocols: [],
      extensions: [],
    });
  });
  test("tokens are case-insensitive lists (§4.2.1 items 3, 4)", () => {
    const offer = validateUpgradeRequest(
      request({ upgrade: "foo/1, WebSocket", connection: "keep-alive, UPGRADE" }, "GET", "1.1"),
    );
    assert.equal(offer.key, KEY);
  });
  const cases: [string, UpgradeRequestLike, number, string][] = [
    ["a POST (item 1)", request({}, "POST"), 400, "method-not-get"],
    ["HTTP/1.0 (item 1; RFC 9110 §7.8)", request({}, "GET", "1.0"), 426, "http-version"],
    [
      "a GET with content (§4.1)",
      { ...request({}), hasContent: true },
      400,
      "request-content",
    ],
    ["no Upgrade (item 3)", request({ upgrade: null }), 400, "missing-upgrade"],
    ["Upgrade: h2c (item 3)", request({ upgrade: "h2c" }), 400, "missing-upgrade"],
    [
      "no Connection: upgrade (item 4)",
      request({ connection: "keep-alive" }),
      400,
      "missing-connection-upgrade",
    ],
    [
      "no Sec-WebSocket-Version (§4.2.2)",
      request({ "sec-websocket-version": null }),
      426,
      "unsupported-version",
    ],
    [
      "Sec-WebSocket-Version: 8 (§4.4)",
      request({ "sec-websocket-version": "8" }),
      426,
      "unsupported-version",
    ],
    ["no Sec-WebSocket-Key (item 5)", request({ "sec-websocket-key": null }), 400, "invalid-key"],
    [
      "a key of 15 bytes",
      request({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=".slice(0, 20) + "==" }),
      400,
      "invalid-key",
    ],
    [
      "a key that is not base64",
      request({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25j!Q==" }),
      400,
      "invalid-key",
    ],
    [
      "a key with non-zero padding bits",
      request({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZR==" }),
      400,
      "invalid-key",
    ],
    [
      "a subprotocol that is not a token",
      request({ "sec-websocket-protocol": "chat, a b" }),
      400,
      "invalid-protocol",
    ],
  ];
  for (const [name, input, status, code] of cases) {
    test(`refuses ${name} with ${status}`, () =>
      assert.throws(() => validateUpgradeRequest(input), refused(status, code)));
  }
  test("a handshake error is an UpgradeRefusedError", () =>
    assert.throws(
      () => validateUpgradeRequest(request({}, "POST")),
      (error: unknown) => error instanceof UpgradeRefusedError && error.status === 400,
    ));
  test("426 for HTTP/1.0 names the protocol: Upgrade: websocket (RFC 9110 §15.5.22)", () => {
    assert.throws(
      () => validateUpgradeRequest(request({}, "GET", "1.0")),
      (error: unknown) =>
        error instanceof WebSocketHandshakeError &&
        JSON.stringify(error.headers) === JSON.stringify([
            ["Upgrade", "websocket"],
            ["Connection", "Upgrade"],
          ]),
    );
  });
  test("a request without content (hasContent false) is accepted", () => {
    assert.equal(validateUpgradeRequest({ ...request({}), hasContent: false }).key, KEY);
  });
  test("426 carries Sec-WebSocket-Version: 13 (§4.2.2)", () => {
    try {
      validateUpgradeRequest(request({ "sec-websocket-version": "7" }));
      assert.fail("accepted");
    } catch (error) {
      assert.deepEqual((error as WebSocketHandshakeError).headers, [[
        "Sec-WebSocket-Version",
        "13",
      ]]);
    }
  });
});

describe("the 101 answer (§4.2.2)", () => {
  test("Sec-WebSocket-Accept of §1.3", () =>
    assert.equal(computeAcceptKey(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  test("Sec-WebSocket-Accept agrees with node:crypto's SHA-1 for random keys", () => {
    for (let i = 0; i < 50; i++) {
      const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
      const expected = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .digest("base64");
      assert.equal(computeAcceptKey(key), expected);
    }
  });
  test("names subprotocol and extensions only when chosen", () => {
    assert.equal(upgradeResponseHeaders({ key: KEY }).length, 3);
    assert.deepEqual(
      upgradeResponseHeaders({ key: KEY, extensions: "permessage-deflate" }).at(-1),
      [
        "Sec-WebSocket-Extensions",
        "permessage-deflate",
      ],
    );
  });
  test("subprotocols: the client's preference wins, case-sensitively", () => {
    assert.equal(selectSubprotocol(["b", "a"], ["a", "b"]), "b");
    assert.equal(selectSubprotocol(["Chat"], ["chat"]), null);
    assert.equal(selectSubprotocol([], "chat"), null);
  });
});

describe("Sec-WebSocket-Extensions (§9.1)", () => {
  test("parses several offers with parameters", () => {
    assert.deepEqual(
      parseExtensions(
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10 , permessage-deflate",
      ),
      [
        {
          name: "permessage-deflate",
          params: [["client_max_window_bits", true], ["server_max_window_bits", "10"]],
        },
        { name: "permessage-deflate", params: [] },
      ],
    );
  });
  for (
    const malformed of [
      "permessage-deflate;",
      "a=b",
      'x; y="un closed',
      'x; y="a b"',
      "x y",
      "x; =1",
    ]
  ) {
    test(`a malformed value yields no offers: ${JSON.stringify(malformed)}`, () =>
      assert.deepEqual(parseExtensions(malformed), []));
  }
});

describe("permessage-deflate negotiation (RFC 7692 §7)", () => {
  const negotiate = (value: string, support = {}) =>
    negotiatePerMessageDeflate(parseExtensions(value), support)?.response ?? null;
  test("a bare offer is accepted bare", () =>
    assert.equal(negotiate("permessage-deflate"), "permessage-deflate"));
  test("server_no_context_takeover offered must be answered (§7.1.1.1)", () =>
    assert.equal(
      negotiate("permessage-deflate; server_no_context_takeover"),
      "permessage-deflate; server_no_context_takeover",
    ));
  test("client_no_context_takeover may be added unasked (§7.1.1.2)", () =>
    assert.equal(
      negotiate("permessage-deflate", { clientNoContextTakeover: true }),
      "permessage-deflate; client_no_context_takeover",
    ));
  test("server_max_window_bits=15 is answered with 15 (§7.1.2.1)", () =>
    assert.equal(
      negotiate("permessage-deflate; server_max_window_bits=15"),
      "permessage-deflate; server_max_window_bits=15",
    ));
  test("server_max_window_bits below our window declines that offer, the next is taken", () =>
    assert.equal(
      negotiate(
        "permessage-deflate; server_max_window_bits=9, permessage-deflate; client_no_context_takeover",
      ),
      "permessage-deflate; client_no_context_takeover",
    ));
  test("client_max_window_bits is recorded but never limited in the answer (§7.1.2.2)", () => {
    const agreed = negotiatePerMessageDeflate(
      parseExtensions("permessage-deflate; client_max_window_bits=9"),
    );
    assert.equal(agreed?.clientMaxWindowBits, 9);
    assert.equal(agreed?.response, "permessage-deflate");
  });
  for (
    const declined of [
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=015",
      "permessage-deflate; client_max_window_bits=7",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; x_unknown",
      "x-webkit-deflate-frame",
    ]
  ) {
    test(`declines ${declined} (§7.1)`, () => assert.equal(negotiate(declined), null));
  }
});
