import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ResponseHead } from "../../lib/codec/response_events.ts";
import { decideReuse, isIdempotent, parseKeepAliveHint } from "../../lib/client/reuse.ts";

const policy = { idleTimeout: 4000, keepAliveSafetyMargin: 1000 };

function head(fields: Partial<ResponseHead> = {}): ResponseHead {
  return {
    type: "head",
    status: 200,
    statusText: "OK",
    version: "1.1",
    headers: [],
    framing: "length",
    contentLength: 1,
    connection: "",
    keepAlive: "",
    method: "GET",
    ...fields,
  };
}

describe("parseKeepAliveHint", () => {
  const rows: [string, number | undefined, number | undefined][] = [
    ["", undefined, undefined],
    ["timeout=5", 5, undefined],
    ["timeout=5, max=100", 5, 100],
    ["MAX=3;Timeout=2", 2, 3],
    [' timeout = "7" ', 7, undefined],
    ["timeout=-1, max=x", undefined, undefined],
    ["timeout=1.5", undefined, undefined],
    ["timeout=9, timeout=3", 3, undefined],
    ["max=0", undefined, 0],
  ];
  for (const [value, timeout, max] of rows) {
    test(`reads ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseKeepAliveHint(value), { timeout, max });
    });
  }
});

describe("decideReuse", () => {
  test("keeps an HTTP/1.1 response for the client's idle timeout", () => {
    assert.deepEqual(decideReuse(head(), false, policy), {
      reuse: true,
      idleMs: 4000,
      remainingRequests: Infinity,
    });
  });
  test("lowers the idle time below the server's hint by the safety margin", () => {
    assert.equal(decideReuse(head({ keepAlive: "timeout=3" }), false, policy).idleMs, 2000);
    assert.equal(decideReuse(head({ keepAlive: "timeout=60" }), false, policy).idleMs, 4000);
  });
  test('with keepAliveHint "sets", the hint decides both ways; idleTimeout only without one', () => {
    const sets = { ...policy, keepAliveHint: "sets" as const };
    assert.equal(decideReuse(head({ keepAlive: "timeout=60" }), false, sets).idleMs, 59_000);
    assert.equal(decideReuse(head({ keepAlive: "timeout=3" }), false, sets).idleMs, 2000);
    assert.equal(decideReuse(head({ keepAlive: "timeout=1" }), false, sets).idleMs, 500);
    assert.equal(decideReuse(head({ keepAlive: "max=5" }), false, sets).idleMs, 4000);
    assert.equal(decideReuse(head(), false, sets).idleMs, 4000);
  });
  test("caps the margin at half a short hint", () => {
    assert.equal(decideReuse(head({ keepAlive: "timeout=1" }), false, policy).idleMs, 500);
  });
  test("timeout=0 and max=0 end the connection", () => {
    assert.equal(decideReuse(head({ keepAlive: "timeout=0" }), false, policy).reuse, false);
    assert.equal(decideReuse(head({ keepAlive: "max=0" }), false, policy).reuse, false);
  });
  test("carries max=M as the remaining request count", () => {
    assert.equal(
      decideReuse(head({ keepAlive: "timeout=5, max=2" }), false, policy).remainingRequests,
      2,
    );
  });
  test("Connection: close from either side ends the connection", () => {
    assert.equal(decideReuse(head({ connection: "Close" }), false, policy).reuse, false);
    assert.equal(decideReuse(head(), true, policy).reuse, false);
  });
  test("HTTP/1.0 persists only with Connection: keep-alive", () => {
    assert.equal(decideReuse(head({ version: "1.0" }), false, policy).reuse, false);
    assert.equal(
      decideReuse(head({ version: "1.0", connection: "keep-alive" }), false, policy).reuse,
      true,
    );
  });
  test("a close-delimited body ends the connection", () => {
    assert.equal(
      decideReuse(head({ framing: "close", connection: "keep-alive" }), false, policy).reuse,
      false,
    );
  });
});

describe("isIdempotent", () => {
  test("names the RFC 9110 §9.2.2 methods, case-sensitively", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]) {
      assert.ok(isIdempotent(method));
    }
    for (const method of ["POST", "PATCH", "CONNECT", "get", "LOCK"]) {
      assert.ok(!isIdempotent(method));
    }
  });
});
