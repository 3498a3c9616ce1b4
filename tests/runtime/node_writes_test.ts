/**
 * lib/runtime/_node_writes.ts on real sockets: on Node a plain socket with
 * nothing queued is written through its handle; anything queued, a corked
 * or ended stream, a TLS socket, and Deno's and Bun's `node:net` leave the
 * write to `socket.write`.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { connect as connectTls, createServer as createTlsServer } from "node:tls";
import {
  directWriteHandle,
  type DirectWriter,
  writeDirectly,
} from "../../lib/runtime/_node_writes.ts";
import { detectRuntime } from "../../lib/runtime/detect.ts";
import { waitFor } from "../_support/raw_client.ts";
import { TEST_CERT, TEST_KEY } from "../_support/tls.ts";
import { closed, listening } from "./_node_server.ts";

const onNode = detectRuntime() === "node";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const unexpected: DirectWriter = {
  directWriteDone: (status) => assert.fail(`a small write was held (status ${status})`),
};

describe(`direct writes on ${detectRuntime()}`, () => {
  test("a plain socket with nothing queued is written through its handle, in order with socket.write", async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => void accepted.push(socket));
    const port = await listening(server);
    const client = connect({ port, host: "127.0.0.1" });
    let text = "";
    client.on("data", (chunk: Uint8Array) => void (text += decoder.decode(chunk)));
    try {
      await waitFor(() => accepted.length === 1, "the connection");
      const socket = accepted[0];
      const handle = directWriteHandle(socket);
      assert.equal(handle !== null, onNode);
      if (handle === null) return;
      assert.equal(writeDirectly(socket, handle, encoder.encode("one,"), unexpected), 0);
      socket.cork();
      socket.write("two,");
      assert.equal(writeDirectly(socket, handle, encoder.encode("x"), unexpected), -1, "corked");
      socket.uncork();
      assert.equal(writeDirectly(socket, handle, encoder.encode("three,"), unexpected), 0);
      socket.end("four");
      assert.equal(writeDirectly(socket, handle, encoder.encode("x"), unexpected), -1, "ended");
      await waitFor(() => text === "one,two,three,four", "every byte, in order");
    } finally {
      client.destroy();
      await closed(server, accepted);
    }
  });

  test("a TLS socket is left to socket.write", async () => {
    const accepted: Socket[] = [];
    let handle: unknown = "not asked";
    const server = createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (socket) => {
      handle = directWriteHandle(socket);
      accepted.push(socket);
      socket.end("over TLS");
    });
    const port = await listening(server);
    const client = connectTls({ port, host: "127.0.0.1", rejectUnauthorized: false });
    let text = "";
    client.on("data", (chunk: Uint8Array) => void (text += decoder.decode(chunk)));
    try {
      await waitFor(() => text === "over TLS", "the TLS bytes");
      assert.equal(handle, null);
    } finally {
      client.destroy();
      await closed(server, accepted);
    }
  });
});
