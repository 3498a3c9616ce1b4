/**
 * The connection's state transitions and its one reuse decision, as pure
 * units (no transport): each row names the rule it checks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RequestHead } from "../../lib/codec/events.ts";
import {
  type ConnectionSettings,
  Exchange,
  UNREAD_BODY_DRAIN_LIMIT,
} from "../../lib/connection/exchange.ts";
import { parseConnectionTokens } from "../../lib/codec/rules.ts";
import { ConnectionState, decideReuse, lastRequestCause } from "../../lib/connection/state.ts";

const settings: ConnectionSettings = {
  keepAliveTimeout: 5_000,
  maxRequestsPerConnection: 100,
  headersTimeout: 20_000,
  requestBodyTimeout: 30_000,
  requestTimeout: 300_000,
  sendTimeout: 60_000,
  keepAliveHint: true,
  eagerContinue: false,
  lightFetch: false,
  parser: {},
};

function exchange(head: Partial<RequestHead> = {}, index = 1): Exchange {
  const full: RequestHead = {
    type: "head",
    method: "GET",
    target: "/",
    version: "1.1",
    headers: [],
    framing: "none",
    contentLength: 0,
    connection: "",
    host: "t",
    expectContinue: false,
    ...head,
  };
  const connection = {
    id: 1,
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    secure: false,
    sendInterim: () => false,
  } as const;
  const made = new Exchange(connection, index, full, parseConnectionTokens(full.connection));
  if (full.framing === "none") made.bodyState = "ended";
  return made;
}

const NO_TOKENS = parseConnectionTokens("");
const lengthResponse = { tokens: NO_TOKENS, framing: "length" } as const;

describe("ConnectionState", () => {
  test("reading: head → body → head while keepAlive is on (RFC 9112 §9.3)", () => {
    const state = new ConnectionState();
    state.headParsed();
    assert.equal(state.reading, "body");
    state.bodyEnded();
    assert.equal(state.reading, "head");
  });

  test("keepAlive off mid-body: reading closes when that body ends, not before (§9.6)", () => {
    const state = new ConnectionState();
    state.headParsed();
    state.disableKeepAlive();
    assert.equal(state.reading, "body");
    state.bodyEnded();
    assert.equal(state.reading, "closed");
  });

  test("keepAlive off between requests closes reading at once; it never comes back on", () => {
    const state = new ConnectionState();
    state.disableKeepAlive();
    assert.equal(state.reading, "closed");
    state.bodyEnded();
    assert.deepEqual([state.reading, state.keepAlive], ["closed", "off"]);
  });
});

describe("lastRequestCause(): the request's side, known at its head", () => {
  const rows: [string, Partial<RequestHead>, number, boolean, string | null][] = [
    ["HTTP/1.1 by default (§9.3)", {}, 1, false, null],
    ["Connection: close (§9.6)", { connection: "close" }, 1, false, "request_close"],
    ["HTTP/1.0 without keep-alive (§9.3)", { version: "1.0" }, 1, false, "request_close"],
    [
      "HTTP/1.0 with keep-alive (§9.3)",
      { version: "1.0", connection: "keep-alive" },
      1,
      false,
      null,
    ],
    ["the request at maxRequestsPerConnection", {}, 100, false, "max_requests"],
    ["a server shutting down", {}, 1, true, "shutdown"],
  ];
  for (const [name, head, index, shuttingDown, expected] of rows) {
    test(name, () => {
      assert.equal(lastRequestCause(exchange(head, index), settings, shuttingDown), expected);
    });
  }
});

describe("decideReuse(): once per exchange, as its response head is written", () => {
  test("HTTP/1.1 with a length-framed response persists and advertises the countdown", () => {
    assert.deepEqual(
      decideReuse(exchange({}, 3), lengthResponse.tokens, lengthResponse.framing, false, settings),
      {
        persist: true,
        connection: null,
        keepAlive: "timeout=5, max=97",
      },
    );
  });

  test("the last exchange to be read closes (keepAlive went off after it was read)", () => {
    assert.equal(
      decideReuse(exchange(), lengthResponse.tokens, lengthResponse.framing, true, settings)
        .persist,
      false,
    );
  });

  test("the handler's Connection: close closes (RFC 9110 §7.6.1)", () => {
    const response = { tokens: parseConnectionTokens("close"), framing: "length" } as const;
    assert.equal(
      decideReuse(exchange(), response.tokens, response.framing, false, settings).connection,
      "close",
    );
  });

  test("an HTTP/1.0 close-delimited response closes (RFC 9112 §6.3 rule 8)", () => {
    const head = { version: "1.0", connection: "keep-alive" } as const;
    const response = { tokens: NO_TOKENS, framing: "close" } as const;
    assert.equal(
      decideReuse(exchange(head), response.tokens, response.framing, false, settings).persist,
      false,
    );
  });

  test("an unread Content-Length body persists up to the drain bound, closes one byte over", () => {
    for (
      const [length, persist] of [[UNREAD_BODY_DRAIN_LIMIT, true], [
        UNREAD_BODY_DRAIN_LIMIT + 1,
        false,
      ]] as const
    ) {
      const unread = exchange({ method: "POST", framing: "length", contentLength: length });
      unread.bodyState = "paused";
      assert.equal(
        decideReuse(unread, lengthResponse.tokens, lengthResponse.framing, false, settings).persist,
        persist,
        `${length}`,
      );
    }
  });

  test("an unread chunked body persists: it is drained as it comes, under the same bound", () => {
    const unread = exchange({ method: "POST", framing: "chunked" });
    unread.bodyState = "drain";
    assert.equal(
      decideReuse(unread, lengthResponse.tokens, lengthResponse.framing, false, settings).persist,
      true,
    );
  });

  test("a body the client may be holding back for 100 Continue closes (RFC 9110 §10.1.1)", () => {
    const unread = exchange({
      method: "POST",
      framing: "length",
      contentLength: 5,
      expectContinue: true,
    });
    unread.bodyState = "paused";
    assert.equal(
      decideReuse(unread, lengthResponse.tokens, lengthResponse.framing, false, settings).persist,
      false,
    );
  });

  test("a body that failed closes", () => {
    const failed = exchange({ method: "POST", framing: "chunked" });
    failed.bodyState = "failed";
    assert.equal(
      decideReuse(failed, lengthResponse.tokens, lengthResponse.framing, false, settings).persist,
      false,
    );
  });
});
