/**
 * Upgrade requests keepwire cannot honour, on its own server over real
 * sockets: each gets a client error on the wire (400, or 426 naming the
 * protocol) and a typed error in the handler (RFC 6455 §4.1/§4.2.1, RFC
 * 9110 §7.8), never a 500 or a broken 101.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { serve } from "../../lib/serve.ts";
import type { Handler } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { upgradeConnection } from "../../lib/connection/upgrade_connection.ts";
import { UpgradeRefusedError } from "../../lib/codec/upgrade_refused.ts";
import { WebSocketHandshakeError } from "../../lib/codec/websocket/errors.ts";

// `close`: the refusals end the connection, so `exchange` can read to the end.
const WS_FIELDS = "Upgrade: websocket\r\nConnection: Upgrade, close\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/** Starts `handler`, sends `raw`, and returns everything read until the server closes. */
async function exchange(handler: Handler, raw: string): Promise<string> {
  const server = await serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  try {
    const socket = connect(server.addr.port, "127.0.0.1");
    socket.on("error", () => {});
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      // A 101 leaves the connection open: the head is all we need.
      if (/^HTTP\/1\.1 101 [^]*\r\n\r\n/.test(answer)) socket.destroy();
    });
    socket.write(raw);
    await new Promise((resolve) => socket.once("close", resolve));
    return answer;
  } finally {
    await server.shutdown();
  }
}

/** A handler that tries `upgrade` and records what it threw, letting it propagate. */
function recording(upgrade: (request: Request) => Response, thrown: unknown[]): Handler {
  return (request) => {
    try {
      return upgrade(request);
    } catch (error) {
      thrown.push(error);
      throw error;
    }
  };
}

const webSocket = (request: Request) => upgradeWebSocket(request).response;
const rawEcho = (protocol?: string) => (request: Request) => {
  const { response, connection } = upgradeConnection(request, { protocol });
  connection.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
  return response;
};

function status(answer: string): number {
  return Number(answer.match(/^HTTP\/1\.[01] (\d{3}) /)?.[1]);
}

/** The refusal's fields and the handler's error, checked together. */
function assertRefused(
  answer: string,
  thrown: unknown[],
  expected: { status: number; code: string; upgrade?: string; type?: typeof UpgradeRefusedError },
) {
  assert.equal(status(answer), expected.status, answer.split("\r\n")[0]);
  if (expected.upgrade === undefined) assert.doesNotMatch(answer, /\r\nupgrade:/i);
  else {
    assert.match(answer, new RegExp(`\\r\\nupgrade: ${expected.upgrade}\\r\\n`, "i"));
    // RFC 9110 §7.8: Upgrade is always sent with Connection: upgrade.
    assert.match(answer, /\r\nconnection: [^\r]*upgrade/i);
  }
  assert.equal(thrown.length, 1);
  const error = thrown[0];
  assert.ok(error instanceof (expected.type ?? UpgradeRefusedError), String(error));
  assert.ok(error instanceof UpgradeRefusedError);
  assert.equal(error.status, expected.status);
  assert.equal(error.code, expected.code);
}

describe("upgradeWebSocket refuses what RFC 6455 §4.2.1 does not allow", () => {
  test("HTTP/1.0: 426 with Upgrade: websocket (RFC 9110 §7.8 ignores Upgrade in 1.0)", async () => {
    const thrown: unknown[] = [];
    const answer = await exchange(
      recording(webSocket, thrown),
      `GET /ws HTTP/1.0\r\nHost: x\r\n${WS_FIELDS}\r\n`,
    );
    assertRefused(answer, thrown, {
      status: 426,
      code: "http-version",
      upgrade: "websocket",
      type: WebSocketHandshakeError,
    });
  });

  for (const method of ["POST", "PUT", "OPTIONS", "HEAD"]) {
    test(`${method}: 400 (§4.1: the handshake is a GET)`, async () => {
      const thrown: unknown[] = [];
      const answer = await exchange(
        recording(webSocket, thrown),
        `${method} /ws HTTP/1.1\r\nHost: x\r\n${WS_FIELDS}\r\n`,
      );
      assertRefused(answer, thrown, {
        status: 400,
        code: "method-not-get",
        type: WebSocketHandshakeError,
      });
    });
  }

  test("a GET with a Content-Length body: 400, and the connection reads on past the body", async () => {
    const thrown: unknown[] = [];
    let after = 0;
    const answer = await exchange(
      (request, info) => {
        if (new URL(request.url).pathname === "/after") {
          after++;
          return new Response("after");
        }
        return recording(webSocket, thrown)(request, info);
      },
      `GET /ws HTTP/1.1\r\nHost: x\r\n${
        WS_FIELDS.replace(", close", "")
      }Content-Length: 5\r\n\r\nhello` +
        "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assertRefused(answer, thrown, {
      status: 400,
      code: "request-content",
      type: WebSocketHandshakeError,
    });
    // The body was framed by its length and skipped: the next request is answered.
    assert.equal(after, 1);
    assert.match(answer, /\r\n\r\nafter$/);
  });

  test("a GET with a chunked body: 400", async () => {
    const thrown: unknown[] = [];
    const answer = await exchange(
      recording(webSocket, thrown),
      `GET /ws HTTP/1.1\r\nHost: x\r\n${WS_FIELDS}Transfer-Encoding: chunked\r\n` +
        "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assertRefused(answer, thrown, { status: 400, code: "request-content" });
  });

  test("Content-Length: 0 is no content: the upgrade goes ahead", async () => {
    const answer = await exchange(
      webSocket,
      `GET /ws HTTP/1.1\r\nHost: x\r\n${WS_FIELDS}Content-Length: 0\r\n\r\n`,
    );
    assert.equal(status(answer), 101, answer);
  });

  test("a handler can catch the typed error and answer its own way", async () => {
    const answer = await exchange(
      (request) => {
        try {
          return upgradeWebSocket(request).response;
        } catch (error) {
          if (!(error instanceof UpgradeRefusedError)) throw error;
          return new Response(`refused: ${error.code}`, { status: 418 });
        }
      },
      `POST /ws HTTP/1.1\r\nHost: x\r\n${WS_FIELDS}\r\n`,
    );
    assert.equal(status(answer), 418);
    assert.match(answer, /refused: method-not-get$/);
  });

  test("a 101 for a Request the handler copied (keepwire could not see through it) is still refused: 426 over HTTP/1.0", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      const answer = await exchange(
        (request) =>
          upgradeWebSocket(new Request(request.url, { headers: request.headers })).response,
        `GET /ws HTTP/1.0\r\nHost: x\r\n${WS_FIELDS}\r\n`,
      );
      assert.equal(status(answer), 426, answer);
      assert.match(answer, /\r\nupgrade: websocket\r\n/i);
    } finally {
      console.error = original;
    }
    assert.match(String(errors[0]), /cannot be upgraded/);
  });
});

describe("upgradeConnection refuses what RFC 9110 §7.8 does not allow", () => {
  test("HTTP/1.0: 426 naming the protocol", async () => {
    const thrown: unknown[] = [];
    const answer = await exchange(
      recording(rawEcho(), thrown),
      "GET / HTTP/1.0\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: raw-echo\r\n\r\n",
    );
    assertRefused(answer, thrown, { status: 426, code: "http-version", upgrade: "raw-echo" });
  });

  test("a protocol the client did not offer: 426 naming it", async () => {
    const thrown: unknown[] = [];
    const answer = await exchange(
      recording(rawEcho("raw-echo"), thrown),
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: other/2\r\n\r\n",
    );
    assertRefused(answer, thrown, { status: 426, code: "not-offered", upgrade: "raw-echo" });
  });

  test("no upgrade asked for: 426 naming the protocol, 400 when none is named", async () => {
    const named: unknown[] = [];
    const answer = await exchange(
      recording(rawEcho("raw-echo"), named),
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assertRefused(answer, named, {
      status: 426,
      code: "no-upgrade-requested",
      upgrade: "raw-echo",
    });
    const unnamed: unknown[] = [];
    const plain = await exchange(
      recording(rawEcho(), unnamed),
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assertRefused(plain, unnamed, { status: 400, code: "no-upgrade-requested" });
  });

  test("a request with content: 400", async () => {
    const thrown: unknown[] = [];
    const answer = await exchange(
      recording(rawEcho(), thrown),
      "POST / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: raw-echo\r\n" +
        "Content-Length: 3\r\n\r\nabc",
    );
    assertRefused(answer, thrown, { status: 400, code: "request-content" });
  });

  test("any method without content may upgrade (RFC 9110 §7.8 names none): POST gets its 101", async () => {
    const answer = await exchange(
      rawEcho(),
      "POST / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: raw-echo\r\n\r\n",
    );
    assert.equal(status(answer), 101, answer);
    assert.match(answer, /\r\nUpgrade: raw-echo\r\n/);
  });
});
