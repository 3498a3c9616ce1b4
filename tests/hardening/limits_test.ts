/**
 * Connection and body limits under abuse, over real sockets: eviction of
 * idle connections at maxConnections, 413 answered politely, uploads a
 * handler never reads, and the idle-timeout race a reverse proxy runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import { closesWithin, readResponse } from "../_support/http_reader.ts";
import { delay, RawClient, waitFor } from "../_support/raw_client.ts";
import { latin1Bytes, nextTurn, startRecording } from "./_wire.ts";

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
/** Scheduling slack on a loaded 2-core machine. */
const SLACK = 8_000;
/** The server's eviction grace (lib/connection/server.ts), plus a margin. */
const PAST_GRACE = 1_300;

const ok: Handler = () => new Response("ok");

async function request(client: RawClient): Promise<number> {
  await client.write(GET);
  return (await readResponse(client, { timeoutMs: SLACK })).status;
}

/** True when the client sees the server end the connection without a byte. */
async function refused(client: RawClient): Promise<boolean> {
  const rest = await client.readToEnd(SLACK).catch(() => null);
  return rest !== null && rest.byteLength === 0;
}

describe("maxConnections", () => {
  test("at the limit, the longest-idle connection is closed to make room, then the next", async () => {
    const recording = await startRecording({ maxConnections: 3 }, ok);
    try {
      const [a, b, c] = [
        await recording.connect(),
        await recording.connect(),
        await recording.connect(),
      ];
      // Idle since: a first, then b, then c.
      for (const client of [a, b, c]) {
        assert.equal(await request(client), 200);
        await delay(100);
      }
      await delay(PAST_GRACE);
      const d = await recording.connect();
      assert.equal(await request(d), 200, "the new connection is served");
      assert.ok(await closesWithin(a, SLACK), "the longest-idle connection (a) was closed");
      assert.equal(await request(b), 200, "b was spared");
      // b just worked (grace again); c is now the longest idle past its grace.
      await delay(PAST_GRACE);
      assert.equal(await request(b), 200);
      const e = await recording.connect();
      assert.equal(await request(e), 200);
      assert.ok(await closesWithin(c, SLACK), "then c, idle longest, was closed");
      assert.equal(await request(d), 200, "d stays");
    } finally {
      await recording.close();
    }
  });

  test("recently idle connections get a grace period: a new connection is refused instead", async () => {
    const recording = await startRecording({ maxConnections: 2 }, ok);
    try {
      const [a, b] = [await recording.connect(), await recording.connect()];
      assert.equal(await request(a), 200);
      assert.equal(await request(b), 200);
      const c = await recording.connect();
      assert.ok(await refused(c), "the third connection is closed without an answer");
      assert.equal(await request(a), 200, "a kept its connection");
      assert.equal(await request(b), 200, "b kept its connection");
    } finally {
      await recording.close();
    }
  });

  test("busy connections are never evicted", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const recording = await startRecording(
      { maxConnections: 1 },
      async () => (await released, new Response("late")),
    );
    try {
      const a = await recording.connect();
      await a.write(GET);
      await delay(PAST_GRACE); // long past any grace, but busy the whole time
      const b = await recording.connect();
      assert.ok(await refused(b), "no room while the only connection is busy");
      release();
      const response = await readResponse(a, { timeoutMs: SLACK });
      assert.equal(response.text, "late");
    } finally {
      release();
      await recording.close();
    }
  });
});

describe("bodies over the limit and bodies never read", () => {
  const UPLOAD = 1024 * 1024;

  /**
   * Sends `head` and the first 64 KiB of the body, reads the response the
   * server answers early, then goes on sending the rest of the body as a
   * real client does (it sent before it could read), then FIN. A server
   * that closed without lingering would reset these writes.
   */
  async function sendAfterEarlyAnswer(port: number, head: string, body: Uint8Array) {
    const client = await RawClient.connect(port, "127.0.0.1", { allowHalfOpen: true });
    client.setNoDelay();
    await client.write(head);
    await client.write(body.subarray(0, 65_536));
    const response = await readResponse(client, { timeoutMs: SLACK });
    for (let at = 65_536; at < body.length; at += 65_536) {
      await client.write(body.subarray(at, at + 65_536)).catch(() => {});
      await nextTurn();
    }
    client.end();
    await client.readToEnd(SLACK).catch(() => {});
    const error = client.error;
    client.destroy();
    return { response, error };
  }

  test("Content-Length over maxBodySize: 413, then a polite close while the client still sends", async () => {
    const recording = await startRecording({ maxBodySize: 1024 }, ok);
    try {
      const { response, error } = await sendAfterEarlyAnswer(
        recording.server.addr.port,
        `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${UPLOAD}\r\n\r\n`,
        new Uint8Array(UPLOAD).fill(0x62),
      );
      assert.equal(response.status, 413);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(error, undefined, `no reset: ${error?.message}`);
    } finally {
      await recording.close();
    }
  });

  test("a chunked body growing past maxBodySize: 413 mid-body, then a polite close", async () => {
    const handler: Handler = async (request) => new Response(`${(await request.text()).length}`);
    const recording = await startRecording({ maxBodySize: 1024 }, handler);
    try {
      const chunk = "4000\r\n" + "c".repeat(0x4000) + "\r\n";
      const { response, error } = await sendAfterEarlyAnswer(
        recording.server.addr.port,
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        latin1Bytes(chunk.repeat(48)),
      );
      assert.equal(response.status, 413);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(error, undefined, `no reset: ${error?.message}`);
    } finally {
      await recording.close();
    }
  });

  test("a handler that never reads a large upload: its answer arrives whole, then a polite close", async () => {
    const recording = await startRecording({}, () => new Response("not reading"));
    try {
      const { response, error } = await sendAfterEarlyAnswer(
        recording.server.addr.port,
        `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${UPLOAD}\r\n\r\n`,
        new Uint8Array(UPLOAD).fill(0x64),
      );
      assert.equal(response.status, 200);
      assert.equal(response.text, "not reading");
      assert.equal(response.headers.get("connection"), "close", "over the drain limit: close");
      assert.equal(error, undefined, `no reset: ${error?.message}`);
    } finally {
      await recording.close();
    }
  });

  test("a handler that never reads a small upload: the body is drained and the connection kept", async () => {
    const recording = await startRecording({}, () => new Response("not reading"));
    try {
      const client = await recording.connect();
      const body = "e".repeat(64 * 1024);
      await client.write(
        `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}${GET}`,
      );
      const first = await readResponse(client, { timeoutMs: SLACK });
      assert.equal(first.text, "not reading");
      assert.equal(first.headers.get("connection") ?? "", "");
      const second = await readResponse(client, { timeoutMs: SLACK });
      assert.equal(second.status, 200, "the next request on the same connection is served");
    } finally {
      await recording.close();
    }
  });
});

describe("request-lines over the limit", () => {
  // RFC 9112 §3: 414 names the target; a method with no SP within the
  // limit is longer than any method implemented (501). Issue 12.
  const rows: [string, string, number][] = [
    ["a long target gets 414", "GET /" + "a".repeat(200) + " HTTP/1.1", 414],
    ["a method with no SP within the limit gets 501", "M".repeat(200) + " / HTTP/1.1", 501],
    ["an endless method gets 501 before its line ends", "M".repeat(200), 501],
  ];
  for (const [name, line, status] of rows) {
    test(name, async () => {
      let handled = 0;
      const counting: Handler = () => (handled++, new Response("ok"));
      const recording = await startRecording({ maxRequestLineSize: 100 }, counting);
      try {
        const client = await recording.connect();
        await client.write(line.endsWith("1.1") ? line + "\r\nHost: t\r\n\r\n" : line);
        const response = await readResponse(client, { timeoutMs: SLACK });
        assert.equal(response.status, status);
        assert.equal(response.headers.get("connection"), "close");
        assert.equal(handled, 0, "the handler never runs");
      } finally {
        await recording.close();
      }
    });
  }
});

describe("the idle-timeout race", () => {
  const TIMEOUT = 1_000;

  test("an idle connection closes after the advertised timeout, never before", async () => {
    const recording = await startRecording({ keepAliveTimeout: TIMEOUT }, ok);
    try {
      const client = await recording.connect();
      await client.write(GET);
      const response = await readResponse(client, { timeoutMs: SLACK });
      const answeredAt = Date.now();
      assert.match(response.headers.get("keep-alive") ?? "", /^timeout=1, max=\d+$/);
      await client.ended;
      const idleFor = Date.now() - answeredAt;
      assert.ok(idleFor >= TIMEOUT - 20, `closed after ${idleFor} ms, never before ${TIMEOUT}`);
      assert.equal(client.error, undefined, "a FIN, not a reset");
    } finally {
      await recording.close();
    }
  });

  test("connections that never send a byte are closed by the idle timeout, not before", async () => {
    const recording = await startRecording({ keepAliveTimeout: TIMEOUT }, ok);
    try {
      const silent = await Promise.all(Array.from({ length: 50 }, () => recording.connect()));
      const openedAt = Date.now();
      await delay(TIMEOUT / 2);
      assert.equal(recording.server.stats.openConnections, 50, "none closed before the timeout");
      const closed = await Promise.all(silent.map((client) => closesWithin(client, SLACK)));
      assert.deepEqual(closed.filter((was) => !was), [], "every silent connection was closed");
      assert.ok(Date.now() - openedAt >= TIMEOUT - 20);
      await waitFor(
        () => recording.server.stats.openConnections === 0,
        "the server to let go",
        SLACK,
      );
    } finally {
      await recording.close();
    }
  });

  test("a client reusing the connection within the hint never sees a reset", async () => {
    const recording = await startRecording({ keepAliveTimeout: TIMEOUT }, ok);
    try {
      const client = await recording.connect();
      for (let round = 0; round < 5; round++) {
        assert.equal(await request(client), 200, `round ${round}`);
        // Honour the hint as undici does: reuse only well within it.
        await delay(TIMEOUT * 0.75);
      }
      assert.equal(await request(client), 200);
      assert.equal(client.error, undefined);
      assert.equal(recording.server.stats.totalConnections, 1, "one connection all along");
    } finally {
      await recording.close();
    }
  });
});
