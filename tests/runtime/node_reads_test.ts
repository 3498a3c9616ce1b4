/**
 * lib/runtime/_node_reads.ts on real sockets: on Node a plain socket reads
 * into the shared buffer (no 'data' events, pause and EOF still work); on
 * Deno's and Bun's `node:net`, and on a TLS socket, nothing changes and
 * 'data' carries the bytes.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { connect as connectTls, createServer as createTlsServer } from "node:tls";
import { readIntoSharedBuffer } from "../../lib/runtime/_node_reads.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { delay, waitFor } from "../_support/raw_client.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";
import { closed, listening } from "./_node_server.ts";

const onNode = detectRuntime() === "node";
const decoder = new TextDecoder();

/** What one socket received, by way of the shared buffer or of 'data'. */
class Received {
  viaSharedBuffer = "";
  viaData = "";
  ended = false;
  track(socket: Socket): this {
    socket.on("data", (chunk: Uint8Array) => void (this.viaData += decoder.decode(chunk)));
    socket.on("end", () => void (this.ended = true));
    return this;
  }
}

const received = new WeakMap<Socket, Received>();
function onRead(this: Socket, length: number, buffer: Uint8Array): void {
  received.get(this)!.viaSharedBuffer += decoder.decode(buffer.subarray(0, length));
}

describe(`shared-buffer reads on ${detectRuntime()}`, () => {
  test("an accepted socket: every byte once, through one path; pause holds; EOF still ends", async () => {
    const accepted: Socket[] = [];
    let engaged: boolean | undefined;
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      received.set(socket, new Received().track(socket));
      engaged = readIntoSharedBuffer(socket, onRead);
      accepted.push(socket);
    });
    const port = await listening(server);
    const client = connect({ port, host: "127.0.0.1" });
    try {
      await waitFor(() => accepted.length === 1, "the connection");
      const socket = accepted[0];
      const record = received.get(socket)!;
      assert.equal(engaged, onNode);
      client.write("a".repeat(100));
      await waitFor(
        () => record.viaSharedBuffer.length + record.viaData.length === 100,
        "the first 100 bytes",
      );
      socket.pause();
      client.write("b".repeat(70_000)); // more than the shared buffer holds
      await delay(50);
      assert.equal(record.viaSharedBuffer.length + record.viaData.length, 100);
      socket.resume();
      await waitFor(
        () => record.viaSharedBuffer.length + record.viaData.length === 70_100,
        "all 70,100 bytes",
      );
      client.end();
      await waitFor(() => record.ended, "the end");
      const expected = "a".repeat(100) + "b".repeat(70_000);
      assert.equal(onNode ? record.viaSharedBuffer : record.viaData, expected);
      assert.equal(onNode ? record.viaData : record.viaSharedBuffer, "");
    } finally {
      client.destroy();
      await closed(server, accepted);
    }
  });

  test("a dialled socket reads through the shared buffer too", async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      socket.end("hello from the server");
    });
    const port = await listening(server);
    const client = connect({ port, host: "127.0.0.1" });
    try {
      const record = new Received().track(client);
      received.set(client, record);
      await new Promise((resolve) => client.once("connect", resolve));
      assert.equal(readIntoSharedBuffer(client, onRead), onNode);
      await waitFor(() => record.ended, "the end");
      assert.equal(record.viaSharedBuffer + record.viaData, "hello from the server");
    } finally {
      client.destroy();
      await closed(server, accepted);
    }
  });

  test("a TLS socket keeps its 'data' events", async () => {
    const accepted: Socket[] = [];
    let engaged: boolean | undefined;
    const server = createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (socket) => {
      engaged = readIntoSharedBuffer(socket, onRead);
      accepted.push(socket);
      socket.end("over TLS");
    });
    const port = await listening(server);
    const client = connectTls({ port, host: "127.0.0.1", rejectUnauthorized: false });
    try {
      const record = new Received().track(client);
      await waitFor(() => record.ended, "the end");
      assert.equal(engaged, false);
      assert.equal(record.viaData, "over TLS");
    } finally {
      client.destroy();
      await closed(server, accepted);
    }
  });
});
