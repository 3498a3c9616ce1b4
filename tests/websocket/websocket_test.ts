import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/codec/websocket/frame_writer.ts";
import {
  negotiatePerMessageDeflate,
  parseExtensions,
} from "../../lib/codec/websocket/extensions.ts";
import { KeepwireWebSocket, type KeepwireWebSocketOptions } from "../../lib/websocket/websocket.ts";
import { duplexPair, RawPeer } from "./_peer.ts";

const MASK = new Uint8Array([0x11, 0x22, 0x33, 0x44]);
const text = (value: string, fin = true, opcode = 1) =>
  encodeFrame({ opcode, payload: new TextEncoder().encode(value), mask: MASK, fin });
const binary = (bytes: number[]) =>
  encodeFrame({ opcode: 2, payload: new Uint8Array(bytes), mask: MASK });
const closeFrame = (code?: number, reason = "") =>
  encodeFrame({
    opcode: 8,
    payload: code === undefined
      ? new Uint8Array(0)
      : new Uint8Array([code >> 8, code & 0xff, ...new TextEncoder().encode(reason)]),
    mask: MASK,
  });
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Opened {
  socket: KeepwireWebSocket;
  peer: RawPeer;
  log: string[];
  messages: unknown[];
  closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
}

function open(options: KeepwireWebSocketOptions = {}): Opened {
  const [socketSide, peerSide] = duplexPair();
  const socket = new KeepwireWebSocket(options);
  const log: string[] = [];
  const messages: unknown[] = [];
  socket.onopen = () => log.push("open");
  socket.onmessage = (event) => {
    log.push("message");
    messages.push(event.data);
  };
  socket.onerror = () => log.push("error");
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    socket.addEventListener("close", (event) => {
      log.push("close");
      const { code, reason, wasClean } = event as Event & {
        code: number;
        reason: string;
        wasClean: boolean;
      };
      resolve({ code, reason, wasClean });
    });
  });
  socket.attach(socketSide);
  return { socket, peer: new RawPeer(peerSide), log, messages, closed };
}

async function until(condition: () => boolean, timeout = 2000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("KeepwireWebSocket lifecycle", () => {
  test("CONNECTING until attached; send() then throws InvalidStateError", () => {
    const socket = new KeepwireWebSocket();
    assert.equal(socket.readyState, KeepwireWebSocket.CONNECTING);
    assert.throws(
      () => socket.send("x"),
      (error: unknown) => (error as DOMException).name === "InvalidStateError",
    );
  });
  test("attach fires open; text and binary messages arrive as MessageEvents", async () => {
    const { socket, peer, log, messages } = open();
    assert.equal(socket.readyState, socket.OPEN);
    socket.binaryType = "arraybuffer";
    await peer.send(text("héllo"));
    await peer.send(binary([1, 2, 3]));
    await until(() => messages.length === 2);
    assert.deepEqual(log, ["open", "message", "message"]);
    assert.equal(messages[0], "héllo");
    assert.ok(messages[1] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(messages[1] as ArrayBuffer)], [1, 2, 3]);
    socket.close();
  });
  test("binaryType blob (the default) delivers Blobs", async () => {
    const { socket, peer, messages } = open();
    assert.equal(socket.binaryType, "blob");
    await peer.send(binary([9]));
    await until(() => messages.length === 1);
    assert.ok(messages[0] instanceof Blob);
    assert.deepEqual([...new Uint8Array(await (messages[0] as Blob).arrayBuffer())], [9]);
    socket.close();
  });
  test("send() writes unmasked frames in order, whatever the data type", async () => {
    const { socket, peer } = open();
    socket.send("a");
    socket.send(new Blob(["b"]));
    socket.send(new Uint8Array([99]).buffer);
    socket.send(new DataView(new Uint8Array([0, 100, 0]).buffer, 1, 1));
    socket.send("e");
    const frames: Awaited<ReturnType<RawPeer["next"]>>[] = [];
    for (let i = 0; i < 5; i++) frames.push(await peer.next());
    assert.deepEqual(
      frames.map((frame) =>
        frame !== "eof" && frame.type === "frame" ? `${frame.kind}:${decode(frame.payload)}` : frame
      ),
      ["text:a", "binary:b", "binary:c", "binary:d", "text:e"],
    );
    await until(() => socket.bufferedAmount === 0);
    socket.close();
  });
  test("bufferedAmount counts what the connection has not accepted yet", async () => {
    const [socketSide, peerSide] = duplexPair();
    const socket = new KeepwireWebSocket();
    socket.attach(socketSide);
    // Nobody reads peerSide: a TransformStream accepts one chunk, then back-pressure.
    for (let i = 0; i < 10; i++) socket.send("x".repeat(1000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(socket.bufferedAmount >= 8000, `bufferedAmount ${socket.bufferedAmount}`);
    const peer = new RawPeer(peerSide);
    for (let i = 0; i < 10; i++) await peer.next();
    await until(() => socket.bufferedAmount === 0);
  });
  test("frames sent in one turn go out in one write", async () => {
    const writes: number[] = [];
    const socket = new KeepwireWebSocket();
    socket.attach({
      readable: new ReadableStream(),
      writable: new WritableStream({ write: (chunk) => void writes.push(chunk.length) }),
    });
    for (let i = 0; i < 100; i++) socket.send("hello"); // 7 bytes a frame
    await until(() => socket.bufferedAmount === 0);
    assert.deepEqual(writes, [700]);
  });
  test("a 16 MiB binary message is echoed, in 64 KiB reads", async () => {
    const { socket, peer } = open();
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    const payload = new Uint8Array(16 << 20).map((_, i) => i * 7);
    const frame = encodeFrame({ opcode: 2, payload, mask: MASK });
    for (let at = 0; at < frame.length; at += 65536) {
      await peer.send(frame.subarray(at, at + 65536));
    }
    const echoed = await peer.next(30_000);
    assert.ok(echoed !== "eof" && echoed.type === "frame");
    assert.equal(echoed.payload.length, payload.length);
    assert.ok(echoed.payload.every((byte, i) => byte === payload[i]));
    socket.close();
  });
  test("a ping is answered with a pong carrying its payload (§5.5.2, §5.5.3)", async () => {
    const { socket, peer } = open();
    await peer.send(encodeFrame({ opcode: 9, payload: new Uint8Array([1, 2]), mask: MASK }));
    const pong = await peer.next();
    assert.ok(pong !== "eof" && pong.type === "pong");
    assert.deepEqual([...pong.payload], [1, 2]);
    socket.close();
  });
});

describe("KeepwireWebSocket closing handshake (§7)", () => {
  test("the peer closes: the code is echoed, the server ends the connection, close is clean", async () => {
    const { socket, peer, closed, log } = open();
    await peer.send(closeFrame(4000, "bye"));
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 4000, reason: "" }]);
    assert.deepEqual(await closed, { code: 4000, reason: "bye", wasClean: true });
    assert.equal(socket.readyState, socket.CLOSED);
    assert.deepEqual(log, ["open", "close"]);
  });
  test("an empty Close is answered with an empty Close and reported as 1005", async () => {
    const { peer, closed } = open();
    await peer.send(closeFrame());
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1005, reason: "" }]);
    assert.deepEqual(await closed, { code: 1005, reason: "", wasClean: true });
  });
  test("close() sends a Close, then waits for the answer; no data after it", async () => {
    const { socket, peer, closed } = open();
    socket.close(1000, "done");
    assert.equal(socket.readyState, socket.CLOSING);
    socket.send("dropped");
    assert.deepEqual(await peer.next(), { type: "close", code: 1000, reason: "done" });
    await peer.send(closeFrame(1000));
    assert.deepEqual(await peer.rest(), []);
    assert.deepEqual(await closed, { code: 1000, reason: "", wasClean: true });
  });
  test("messages sent before close() go out before the Close, even a Blob (§5.5.1)", async () => {
    const { socket, peer } = open();
    socket.send(new Blob(["blob"]));
    socket.send("after");
    socket.close(1000);
    const kinds: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const frame = await peer.next();
      kinds.push(
        frame !== "eof" && frame.type === "frame"
          ? decode(frame.payload)
          : frame !== "eof" && frame.type,
      );
    }
    assert.deepEqual(kinds, ["blob", "after", "close"]);
  });
  test("a client-role socket masks what it sends and waits for the server to end the connection (§7.1.1)", async () => {
    const [socketSide, peerSide] = duplexPair();
    const socket = new KeepwireWebSocket({ role: "client" });
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) =>
      socket.addEventListener(
        "close",
        (event) => resolve(event as Event & { code: number; wasClean: boolean }),
      )
    );
    socket.attach(socketSide);
    const server = new RawPeer(peerSide, "server");
    socket.send("masked");
    const frame = await server.next();
    assert.ok(frame !== "eof" && frame.type === "frame" && decode(frame.payload) === "masked");
    await server.send(encodeFrame({ opcode: 8, payload: new Uint8Array([0x03, 0xe8]) }));
    assert.deepEqual(await server.next(), { type: "close", code: 1000, reason: "" });
    assert.equal(socket.readyState, socket.CLOSING, "waits for the server's FIN");
    await server.end();
    assert.equal((await closed).code, 1000);
    assert.equal((await closed).wasClean, true);
  });
  test("close() without an answer gives up after closeTimeout: 1006, not clean", async () => {
    const [socketSide, peerSide] = duplexPair();
    const socket = new KeepwireWebSocket({ closeTimeout: 50 });
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) =>
      socket.addEventListener(
        "close",
        (event) => resolve(event as Event & { code: number; wasClean: boolean }),
      )
    );
    socket.attach(socketSide);
    const peer = new RawPeer(peerSide);
    socket.close();
    assert.deepEqual(await peer.next(), { type: "close", code: 1005, reason: "" });
    const result = await closed;
    assert.equal(result.code, 1006);
    assert.equal(result.wasClean, false);
  });
  test("the connection ending without a Close is 1006, not clean (§7.1.5)", async () => {
    const { peer, closed, log } = open();
    await peer.end();
    assert.deepEqual(await closed, { code: 1006, reason: "", wasClean: false });
    assert.deepEqual(log, ["open", "close"]);
  });
  test("close() with a reason and no code closes with 1000 (WHATWG)", async () => {
    const { socket, peer } = open();
    socket.close(undefined, "why");
    assert.deepEqual(await peer.next(), { type: "close", code: 1000, reason: "why" });
  });
  test("close() refuses codes that may not be sent and long reasons", () => {
    const { socket } = open();
    assert.throws(
      () => socket.close(1005),
      (error: unknown) => (error as DOMException).name === "InvalidAccessError",
    );
    assert.throws(
      () => socket.close(999),
      (error: unknown) => (error as DOMException).name === "InvalidAccessError",
    );
    assert.throws(
      () => socket.close(1000, "x".repeat(124)),
      (error: unknown) => (error as DOMException).name === "SyntaxError",
    );
    socket.close(1000, "x".repeat(123));
  });
  test("close() before attach sends the Close as soon as the connection is handed over", async () => {
    const [socketSide, peerSide] = duplexPair();
    const socket = new KeepwireWebSocket();
    socket.close(1001);
    socket.attach(socketSide);
    const peer = new RawPeer(peerSide);
    assert.deepEqual(await peer.next(), { type: "close", code: 1001, reason: "" });
    assert.equal(socket.readyState, socket.CLOSING);
  });
});

describe("KeepwireWebSocket fails the connection (§7.1.7)", () => {
  test("an unmasked client frame: Close 1002, then error and close events", async () => {
    const { peer, closed, log } = open();
    await peer.send(encodeFrame({ opcode: 1, payload: new Uint8Array([0x61]) }));
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1002, reason: "" }]);
    assert.deepEqual(await closed, { code: 1006, reason: "", wasClean: false });
    assert.deepEqual(log, ["open", "error", "close"]);
  });
  test("a message over maxMessageSize: Close 1009", async () => {
    const { peer, closed } = open({ maxMessageSize: 4 });
    await peer.send(text("1234"));
    await peer.send(text("12345"));
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1009, reason: "" }]);
    assert.equal((await closed).wasClean, false);
  });
  test("text that is not UTF-8: Close 1007", async () => {
    const { peer } = open();
    await peer.send(encodeFrame({ opcode: 1, payload: new Uint8Array([0xff]), mask: MASK }));
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1007, reason: "" }]);
  });
});

describe("KeepwireWebSocket idle ping", () => {
  test("a quiet connection gets a Ping; an unanswered one is dropped", async () => {
    const { peer, closed } = open({ idlePingInterval: 30 });
    const ping = await peer.next();
    assert.ok(ping !== "eof" && ping.type === "ping");
    // No answer: after another interval the socket gives up.
    assert.equal((await closed).code, 1006);
  });
  test("a pong keeps the connection", async () => {
    const { socket, peer } = open({ idlePingInterval: 30 });
    for (let i = 0; i < 3; i++) {
      const ping = await peer.next();
      assert.ok(ping !== "eof" && ping.type === "ping");
      await peer.send(encodeFrame({ opcode: 10, payload: new Uint8Array(0), mask: MASK }));
    }
    assert.equal(socket.readyState, socket.OPEN);
    socket.close();
  });
});

describe("KeepwireWebSocket permessage-deflate (RFC 7692)", () => {
  const deflate = negotiatePerMessageDeflate(parseExtensions("permessage-deflate"))!;
  test("compressed messages are inflated; large outgoing ones are compressed", async () => {
    const { socket, peer, messages } = open({ deflate });
    assert.equal(socket.extensions, "permessage-deflate");
    // "Hello" compressed, RFC 7692 §7.2.3.1
    await peer.send(
      encodeFrame({
        opcode: 1,
        payload: new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
        compressed: true,
        mask: MASK,
      }),
    );
    // The same again with the window of the first (§7.2.3.2, context takeover)
    await peer.send(
      encodeFrame({
        opcode: 1,
        payload: new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00]),
        compressed: true,
        mask: MASK,
      }),
    );
    await until(() => messages.length === 2);
    assert.deepEqual(messages, ["Hello", "Hello"]);
    const long = "compressible ".repeat(100);
    socket.send(long);
    socket.send("short");
    const first = await peer.next();
    const second = await peer.next();
    assert.ok(
      first !== "eof" && first.type === "frame" && first.compressed && first.payload.length < 200,
    );
    assert.ok(second !== "eof" && second.type === "frame" && !second.compressed);
    socket.close();
  });
  test("a message that inflates past maxMessageSize fails with 1009", async () => {
    const { peer } = open({ deflate, maxMessageSize: 1000 });
    // 2000 zero bytes, deflated: fixed-Huffman literal then long back-references.
    const bytes = new Uint8Array(
      await new Response(
        new Blob([new Uint8Array(2000)]).stream().pipeThrough(new CompressionStream("deflate-raw")),
      ).arrayBuffer(),
    );
    await peer.send(encodeFrame({ opcode: 2, payload: bytes, compressed: true, mask: MASK }));
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1009, reason: "" }]);
  });
  test("data that is not DEFLATE fails with 1007", async () => {
    const { peer } = open({ deflate });
    await peer.send(
      encodeFrame({
        opcode: 2,
        payload: new Uint8Array([0xff, 0xff]),
        compressed: true,
        mask: MASK,
      }),
    );
    assert.deepEqual(await peer.rest(), [{ type: "close", code: 1007, reason: "" }]);
  });
});
