/**
 * The Transport contract (lib/transport.ts) on real sockets, for
 * whichever runtime runs this file: Deno, Bun and Node each pick their own
 * shim through detectRuntime(), and the node:net client is the same on all.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { delay, RawClient, waitFor } from "../_support/raw_client.ts";
import { echo, type RecordingServer, startRecordingServer } from "../_support/recording_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes whose value depends on their position, so reordering or loss shows. */
function patterned(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + (index >> 8)) & 0xff;
  return bytes;
}

async function withServer(
  behaviour: Parameters<typeof startRecordingServer>[0],
  body: (server: RecordingServer) => Promise<void> | void,
): Promise<void> {
  const server = await startRecordingServer(behaviour);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe(`Transport shim on ${detectRuntime()}`, () => {
  test("binds a real port when asked for port 0", async () => {
    await withServer(echo, (server) => {
      assert.equal(server.listener.addr.transport, "tcp");
      assert.equal(server.listener.addr.hostname, "127.0.0.1");
      assert.ok(server.port > 0 && server.port < 65536, `port ${server.port}`);
    });
  });

  test("reports the client's address and port as remoteAddr", async () => {
    await withServer(echo, async (server) => {
      const client = await RawClient.connect(server.port);
      const connection = await server.connection();
      assert.deepEqual(connection.transport.remoteAddr, {
        transport: "tcp",
        hostname: "127.0.0.1",
        port: client.localPort,
      });
      client.destroy();
    });
  });

  test("round-trips bytes through an echo handler", async () => {
    await withServer(echo, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await client.readUntil("\r\n\r\n"), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const binary = new Uint8Array([0, 1, 2, 254, 255, 13, 10]);
      await client.write(binary);
      assert.deepEqual(await client.readBytes(binary.byteLength), binary);
      client.destroy();
    });
  });

  test("hands the handler chunks it may keep (never reused)", async () => {
    await withServer(echo, async (server) => {
      const client = await RawClient.connect(server.port);
      for (const letter of ["a", "b", "c", "d"]) {
        await client.write(letter.repeat(100));
        await client.readBytes(100);
      }
      const connection = await server.connection();
      assert.equal(
        connection.text,
        "a".repeat(100) + "b".repeat(100) + "c".repeat(100) + "d".repeat(100),
      );
      client.destroy();
    });
  });

  test("delivers many small server writes in order", async () => {
    const parts = Array.from({ length: 2_000 }, (_, index) => `${index};`);
    await withServer({
      onData: (connection) => {
        for (const part of parts) connection.transport.write(encoder.encode(part));
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("go");
      const expected = parts.join("");
      const received = await client.readBytes(encoder.encode(expected).byteLength);
      assert.equal(decoder.decode(received), expected);
      client.destroy();
    });
  });

  test("delivers many small client writes in order", async () => {
    await withServer({}, async (server) => {
      const client = await RawClient.connect(server.port);
      let expected = "";
      for (let index = 0; index < 500; index++) {
        const part = `${index},`;
        expected += part;
        void client.write(part);
      }
      await client.write("!");
      const connection = await server.connection();
      await waitFor(() => connection.text.length === expected.length + 1, "all client bytes");
      assert.equal(connection.text, expected + "!");
      client.destroy();
    });
  });

  test("queues an 8 MiB write to a slow reader, returns false, then fires onDrain", async () => {
    const payload = patterned(8 * 1024 * 1024);
    const writeResults: boolean[] = [];
    await withServer({
      onData: (connection) => void writeResults.push(connection.transport.write(payload)),
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      client.pause();
      await client.write("go");
      const connection = await server.connection();
      await waitFor(() => writeResults.length === 1, "the server's write");
      assert.deepEqual(writeResults, [false]);
      await delay(50);
      assert.equal(connection.drains, 0, "onDrain before the reader caught up");
      client.resume();
      const received = await client.readBytes(payload.byteLength, 20_000);
      assert.ok(received.every((byte, index) => byte === payload[index]), "received bytes differ");
      await waitFor(() => connection.drains === 1, "onDrain");
      client.destroy();
    });
  });

  test("writes made while a large one is still queued follow it, and the drain still comes", async () => {
    const payload = patterned(8 * 1024 * 1024);
    const tail = ["one", "two", "three"].map((word) => encoder.encode(word));
    const writeResults: boolean[] = [];
    await withServer({
      onData: (connection) => {
        writeResults.push(connection.transport.write(payload));
        for (const bytes of tail) writeResults.push(connection.transport.write(bytes));
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      client.pause();
      await client.write("go");
      const connection = await server.connection();
      await waitFor(() => writeResults.length === 4, "the server's writes");
      assert.equal(writeResults[0], false);
      client.resume();
      const received = await client.readBytes(payload.byteLength + 11, 20_000);
      assert.ok(
        payload.every((byte, index) => byte === received[index]),
        "the large write's bytes differ",
      );
      assert.equal(decoder.decode(received.subarray(payload.byteLength)), "onetwothree");
      await waitFor(() => connection.drains >= 1, "onDrain");
      assert.equal(connection.closes.length, 0);
      client.destroy();
    });
  });

  test("end() behind a large write still queued: every byte arrives, then the FIN, no error", async () => {
    const first = patterned(8 * 1024 * 1024);
    const second = patterned(4 * 1024 * 1024);
    await withServer({
      onData: (connection) => {
        connection.transport.write(first);
        connection.transport.write(second);
        connection.transport.end();
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port, "127.0.0.1", { allowHalfOpen: true });
      client.pause();
      await client.write("go");
      const connection = await server.connection();
      await delay(50);
      client.resume();
      const received = await client.readToEnd(20_000);
      assert.equal(received.byteLength, first.byteLength + second.byteLength);
      assert.ok(
        second.every((byte, index) => byte === received[first.byteLength + index]),
        "the second write's bytes differ",
      );
      client.end();
      await waitFor(() => connection.closes.length === 1, "onClose after both FINs");
      assert.deepEqual(connection.closes, [undefined]);
    });
  });

  test("a write to a peer that reset the connection ends in onClose with an error, once", async () => {
    // The server does not read (paused), so only its writes can see the reset.
    await withServer({ onData: (connection) => connection.transport.pause() }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("hi");
      const connection = await server.connection();
      await waitFor(() => connection.text === "hi", "first bytes");
      client.reset();
      await delay(50);
      // The first writes may still be taken by the kernel; a later one meets the reset.
      for (let index = 0; index < 50 && connection.closes.length === 0; index++) {
        connection.transport.write(patterned(64 * 1024));
        await delay(10);
      }
      await waitFor(() => connection.closes.length === 1, "onClose");
      assert.ok(connection.closes[0] instanceof Error, `onClose(${String(connection.closes[0])})`);
      await delay(50);
      assert.equal(connection.closes.length, 1);
    });
  });

  test("end() half-closes: the client sees EOF and can still send", async () => {
    await withServer({
      onData: (connection, chunk) => {
        if (decoder.decode(chunk) === "bye?") {
          connection.transport.write(encoder.encode("bye"));
          connection.transport.end();
        }
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port, "127.0.0.1", { allowHalfOpen: true });
      await client.write("bye?");
      assert.equal(decoder.decode(await client.readToEnd()), "bye");
      const connection = await server.connection();
      await client.write("still here");
      await waitFor(() => connection.text === "bye?still here", "data after the server's FIN");
      assert.equal(connection.closes.length, 0);
      client.end();
      await waitFor(() => connection.closes.length === 1, "onClose after both FINs");
      assert.equal(connection.ends, 1);
      assert.equal(connection.closes[0], undefined);
      await client.closed;
    });
  });

  test("onEnd fires when the client half-closes, and the server can still answer", async () => {
    await withServer({
      onEnd: (connection) => {
        connection.transport.write(encoder.encode(`got ${connection.text}`));
        connection.transport.end();
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("request");
      client.end();
      assert.equal(decoder.decode(await client.readToEnd()), "got request");
      const connection = await server.connection();
      await waitFor(() => connection.closes.length === 1, "onClose");
      assert.equal(connection.ends, 1);
      await delay(20);
      assert.equal(connection.closes.length, 1);
    });
  });

  test("a small write just before close() still reaches the peer, then the close", async () => {
    await withServer({
      onData: (connection) => {
        connection.transport.write(encoder.encode("last words"));
        connection.transport.close();
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port, "127.0.0.1", { allowHalfOpen: true });
      await client.write("x");
      assert.equal(decoder.decode(await client.readToEnd()), "last words");
      const connection = await server.connection();
      await waitFor(() => connection.closes.length === 1, "onClose");
      assert.deepEqual(connection.closes, [undefined]);
    });
  });

  test("pause() stops onData until resume()", async () => {
    await withServer({
      onData: (connection) => connection.transport.pause(),
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("first");
      const connection = await server.connection();
      await waitFor(() => connection.text === "first", "the first chunk");
      await client.write("second");
      await delay(50);
      assert.equal(connection.text, "first");
      connection.transport.resume();
      await waitFor(() => connection.text === "firstsecond", "data after resume");
      client.destroy();
    });
  });

  test("close() fires onClose exactly once, without an error", async () => {
    await withServer({
      onData: (connection) => {
        connection.transport.close();
        connection.transport.close();
      },
    }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("x");
      await Promise.race([client.ended, client.closed]);
      const connection = await server.connection();
      await waitFor(() => connection.closes.length > 0, "onClose");
      await delay(30);
      assert.deepEqual(connection.closes, [undefined]);
    });
  });

  test("a client reset fires onClose exactly once", async () => {
    await withServer({}, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.write("x");
      const connection = await server.connection();
      await waitFor(() => connection.text === "x", "first bytes");
      client.reset();
      await waitFor(() => connection.closes.length > 0, "onClose");
      await delay(30);
      assert.equal(connection.closes.length, 1);
      // A write after the reset must neither throw nor fire a second onClose.
      connection.transport.write(encoder.encode("late"));
      await delay(30);
      assert.equal(connection.closes.length, 1);
    });
  });

  test("a closed listener refuses new connections and keeps open ones", async () => {
    await withServer(echo, async (server) => {
      const open = await RawClient.connect(server.port);
      await server.listener.close();
      await assert.rejects(
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect({ port: server.port, host: "127.0.0.1" });
            socket.once("connect", () => {
              socket.destroy();
              resolve();
            });
            socket.once("error", reject);
          }),
        (error: Error & { code?: string }) => error.code === "ECONNREFUSED",
      );
      await open.write("still served");
      assert.equal(await open.readUntil("served"), "still served");
      open.destroy();
    });
  });
});
