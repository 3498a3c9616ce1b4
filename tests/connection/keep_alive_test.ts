import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseConnectionTokens } from "../../lib/codec/rules.ts";
import {
  decidePersistence,
  type ExchangeFacts,
  formatKeepAlive,
} from "../../lib/connection/keep_alive.ts";

describe("parseConnectionTokens()", () => {
  const rows: [string, boolean, boolean, string][] = [
    ["", false, false, "absent field"],
    ["close", true, false, "the plain token"],
    ["Close", true, false, "tokens are case-insensitive"],
    ["CLOSE", true, false, "upper case"],
    [" close\t", true, false, "optional whitespace around the token"],
    ["keep-alive", false, true, "HTTP/1.0 opt-in"],
    ["Keep-Alive, Upgrade", false, true, "a list with another token"],
    ["upgrade,close", true, false, "a list without spaces"],
    ["keep-alive, close", true, true, "both tokens: close wins in the rules"],
    ["closed", false, false, "a longer token is not close"],
    ["clos", false, false, "a prefix is not close"],
    ["keep-alive-ish", false, false, "a longer token is not keep-alive"],
    ["c lose", false, false, "whitespace inside a token"],
    ["\u212Aeep-alive", false, false, "the Kelvin sign must not fold to k"],
    [",,close,,", true, false, "empty list elements are ignored"],
  ];
  for (const [value, close, keepAlive, why] of rows) {
    test(`${JSON.stringify(value)}: ${why}`, () => {
      assert.deepEqual(parseConnectionTokens(value), { close, keepAlive });
    });
  }
});

const hint = { enabled: true, timeoutMs: 5000 };
const base: ExchangeFacts = {
  version: "1.1",
  requestConnection: "",
  responseConnection: "",
  framing: "length",
  requestIndex: 1,
  maxRequests: 1000,
  mustClose: false,
};

describe("decidePersistence()", () => {
  const persist = (keepAlive: string, connection: "keep-alive" | null = null) => ({
    persist: true,
    connection,
    keepAlive,
  });
  const close = { persist: false, connection: "close", keepAlive: null };
  const rows: [Partial<ExchangeFacts>, object, string][] = [
    [{}, persist("timeout=5, max=999"), "HTTP/1.1 persists by default"],
    [{ requestConnection: "close" }, close, "the request says close"],
    [{ responseConnection: "Close" }, close, "the response says close"],
    [{ framing: "close" }, close, "a close-delimited body ends the connection"],
    [{ framing: "chunked" }, persist("timeout=5, max=999"), "chunked is self-delimiting"],
    [{ framing: "none" }, persist("timeout=5, max=999"), "no body is self-delimiting"],
    [{ mustClose: true }, close, "the server must close (shutdown, undrainable body)"],
    [{ version: "1.0" }, close, "HTTP/1.0 without keep-alive closes"],
    [
      { version: "1.0", requestConnection: "keep-alive" },
      persist("timeout=5, max=999", "keep-alive"),
      "HTTP/1.0 opt-in is answered with keep-alive",
    ],
    [
      { version: "1.0", requestConnection: "Keep-Alive", framing: "chunked" },
      persist("timeout=5, max=999", "keep-alive"),
      "the rule only forbids close-delimited bodies",
    ],
    [
      { version: "1.0", requestConnection: "keep-alive", framing: "close" },
      close,
      "HTTP/1.0 with a body of unknown length closes",
    ],
    [
      { version: "1.0", requestConnection: "keep-alive, close" },
      close,
      "close wins over keep-alive",
    ],
    [{ maxRequests: 5, requestIndex: 4 }, persist("timeout=5, max=1"), "the 4th of 5"],
    [{ maxRequests: 5, requestIndex: 5 }, close, "the 5th of 5 closes"],
    [{ maxRequests: 1, requestIndex: 1 }, close, "one request per connection"],
  ];
  for (const [facts, expected, why] of rows) {
    test(why, () => {
      assert.deepEqual(decidePersistence({ ...base, ...facts }, hint), expected);
    });
  }

  test("omits the Keep-Alive hint when it is disabled", () => {
    assert.deepEqual(decidePersistence(base, { enabled: false, timeoutMs: 5000 }), {
      persist: true,
      connection: null,
      keepAlive: null,
    });
  });

  test("max counts down to 1 and the last allowed response closes", () => {
    const hints: (string | null)[] = [];
    for (let index = 1; index <= 5; index++) {
      const decision = decidePersistence({ ...base, maxRequests: 5, requestIndex: index }, hint);
      hints.push(decision.persist ? decision.keepAlive : decision.connection);
    }
    assert.deepEqual(hints, [
      "timeout=5, max=4",
      "timeout=5, max=3",
      "timeout=5, max=2",
      "timeout=5, max=1",
      "close",
    ]);
  });

  test("never persists when either side's list holds close", () => {
    const token = fc.constantFrom("close", "Close", "keep-alive", "upgrade", "te", "x");
    const list = fc.array(token, { maxLength: 4 }).map((tokens) => tokens.join(", "));
    fc.assert(fc.property(list, list, (request, response) => {
      const decision = decidePersistence(
        { ...base, requestConnection: request, responseConnection: response },
        hint,
      );
      const saysClose = /(^|, )close($|,)/i.test(request) || /(^|, )close($|,)/i.test(response);
      assert.equal(decision.persist, !saysClose);
    }));
  });
});

describe("formatKeepAlive()", () => {
  test("rounds the timeout down so the hint never overstates", () => {
    assert.equal(formatKeepAlive(5000, 9), "timeout=5, max=9");
    assert.equal(formatKeepAlive(5999, 9), "timeout=5, max=9");
    assert.equal(formatKeepAlive(999, 1), "timeout=0, max=1");
  });

  test("servers with different timeouts in one process each get their own hint", () => {
    for (let round = 0; round < 3; round++) {
      assert.equal(formatKeepAlive(5000, 3), "timeout=5, max=3");
      assert.equal(formatKeepAlive(10_000, 3), "timeout=10, max=3");
      assert.equal(formatKeepAlive(10_000, 5000), "timeout=10, max=5000");
      assert.equal(formatKeepAlive(2000, 0), "timeout=2, max=0");
    }
  });

  test("counts above 2^30 (formatted from two halves) read as the plain decimal", () => {
    const counts = [
      2 ** 30 - 1,
      2 ** 30,
      1_200_000_007, // a zero run inside the low half
      100_000_000_000, // low half all zeros
      123_456_789_012_345,
      Number.MAX_SAFE_INTEGER - 1,
      Number.MAX_SAFE_INTEGER,
    ];
    // The text before the low half is kept between calls: a new timeout or high half replaces it.
    for (const timeoutMs of [5000, 7000, 5000]) {
      for (const count of counts) {
        assert.equal(
          formatKeepAlive(timeoutMs, count),
          `timeout=${timeoutMs / 1000}, max=${String(count)}`,
        );
      }
    }
  });
});
