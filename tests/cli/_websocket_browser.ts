// Chromium's own WebSocket against keepwire's server (issue 16), over ws: and wss: (the test
// files websocket_browser_test.ts and websocket_tls_browser_test.ts run this suite). A server in
// this process (keepwire's serve with upgradeWebSocket, the runtime running the test) sees the
// server's side of every case; the page (_websocket_page.ts) reports the browser's side:
// - text, binary as ArrayBuffer and as Blob, and a 16 MiB message both ways, echoed, with the
//   subprotocol chosen and permessage-deflate (RFC 7692) negotiated, as Chromium offers it;
//   Over ws: a relay reads the head of each frame Chromium sends: the 16 MiB message goes out
//   fragmented (continuation frames, RFC 6455 §5.4) and the server reassembles it; RSV1 marks
//   a compressed message on its first frame only (RFC 7692 §6.1);
// - a compressible ~4 MiB message through a byte-counting relay: far fewer bytes on the wire;
// - ping: a server socket with a 200 ms idle ping outlives 1.5 s of the page's silence, which
//   it survives only if Chromium answers each Ping with a Pong (§5.5.2, §5.5.3);
// - a clean close started by the page (4000) and one started by the server (4001): code and
//   reason seen on both sides, `wasClean` on both (RFC 6455 §7.1.5, §7.4);
// - an abrupt close: the `keepwire echo` process serving /ws is killed mid-connection, so no
//   close frame ever comes, and the page sees 1006 (§7.1.5, §7.4.1).
// Chromium trusts the committed test certificate by its key only (TRUST_TEST_CERT).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { TEST_CERT, TEST_KEY, tlsFixturePath } from "../_support/tls.ts";
import { type CliProcess, startCli } from "./_cli_process.ts";
import { chromium, TRUST_TEST_CERT, withChromium } from "./_chromium.ts";
import { type FrameHead, type Relay, startRelay } from "./_relay.ts";
import {
  BIG_MESSAGE_BYTES,
  COMPRESSIBLE_COUNT,
  COMPRESSIBLE_REPEAT,
  fingerprint,
  noise,
  PING_INTERVAL_MS,
  PING_SILENCE_MS,
  TEXT_MESSAGE,
  WEBSOCKET_PAGE,
} from "./_websocket_page.ts";

interface CloseSeen {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** What the server side saw, per case. */
interface ServerSide {
  protocol?: string;
  extensions?: string;
  messages: { kind: "text" | "binary"; size: number; fingerprint: number; text?: string }[];
  close?: CloseSeen;
}

// deno-lint-ignore no-explicit-any
type PageReport = Record<string, any>;

/**
 * The test server: the page, its WebSocket cases, and the page's reports. `/hold.js` is
 * answered once the page reports it is done, so Chromium's `--dump-dom` waits for it.
 */
async function startPageServer(
  tls: boolean,
  killCli: () => Promise<void>,
): Promise<
  {
    server: Server;
    sides: Map<string, ServerSide>;
    report: Promise<PageReport>;
    latest: () => PageReport;
  }
> {
  const sides = new Map<string, ServerSide>();
  let latest: PageReport = {};
  let finished!: (report: PageReport) => void;
  const report = new Promise<PageReport>((resolve) => (finished = resolve));
  const server = await serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen() {},
    ...(tls ? { tls: { cert: TEST_CERT, key: TEST_KEY } } : {}),
  }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/page.html") {
      return new Response(WEBSOCKET_PAGE, {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    if (url.pathname === "/hold.js") {
      await report;
      return new Response("document.getElementById('status').textContent = 'finished';", {
        headers: { "content-type": "text/javascript" },
      });
    }
    if (url.pathname === "/report") {
      latest = JSON.parse(await request.text());
      if (latest.done) finished(latest);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/kill") {
      await killCli();
      return new Response(null, { status: 204 });
    }
    if (url.pathname !== "/ws") return new Response("not found", { status: 404 });
    const name = url.searchParams.get("case") ?? "";
    const side: ServerSide = { messages: [] };
    sides.set(name + (sides.has(name) ? "+" : ""), side);
    const { socket, response } = upgradeWebSocket(request, {
      protocol: ["kw-test"],
      idlePingInterval: name === "ping" ? PING_INTERVAL_MS : 0,
    });
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      side.protocol = socket.protocol;
      side.extensions = socket.extensions;
      if (name === "server-close") {
        socket.send("closing soon");
        socket.close(4001, "server says bye");
      }
    };
    socket.onmessage = (event) => {
      const data = (event as MessageEvent).data as string | ArrayBuffer;
      const bytes = typeof data === "string"
        ? new TextEncoder().encode(data)
        : new Uint8Array(data);
      side.messages.push({
        kind: typeof data === "string" ? "text" : "binary",
        size: bytes.byteLength,
        fingerprint: fingerprint(bytes),
        text: typeof data === "string" && data.length < 100 ? data : undefined,
      });
      socket.send(data);
    };
    socket.onclose = (event) => {
      const { code, reason, wasClean } = event as CloseEvent;
      side.close = { code, reason, wasClean };
    };
    return response;
  });
  return { server, sides, report, latest: () => latest };
}

/**
 * Registers the suite over `ws:` or, with `tls`, over `wss:` (one test file each, so each
 * stays well inside the runners' per-file time limit).
 */
export function browserWebSocketSuite(tls: boolean): void {
  withChromium(`WebSocket in a browser over ${tls ? "wss" : "ws"}`, () => describeSuite(tls));
}

function describeSuite(tls: boolean): void {
  const scheme = tls ? "wss" : "ws";
  describe(`Chromium's WebSocket against keepwire over ${scheme}:`, () => {
    let profile = "";
    let cli: CliProcess;
    let cliPort = 0;
    let page: Awaited<ReturnType<typeof startPageServer>>;
    let relay: Relay;

    before(async () => {
      profile = await mkdtemp(join(tmpdir(), `kw-chromium-${scheme}-`));
      const tlsArgs = tls
        ? ["--cert", tlsFixturePath("cert.pem"), "--key", tlsFixturePath("key.pem")]
        : [];
      cli = await startCli(["echo", "--port", "0", ...tlsArgs]);
      ({ port: cliPort } = await cli.listening());
      page = await startPageServer(tls, async () => {
        cli.child.kill("SIGKILL");
        await cli.exited;
      });
      relay = await startRelay(page.server.addr.port, !tls);
    });

    after(async () => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
      await relay?.close();
      await page?.server.shutdown();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "text, ArrayBuffer, Blob, 16 MiB both ways (fragmented), deflate on the wire, pings, clean and abrupt closes",
      { timeout: 90_000 },
      async () => {
        const http = tls ? "https" : "http";
        const origin = `${http}://127.0.0.1:${page.server.addr.port}`;
        const query = new URLSearchParams({
          ws: `${scheme}://127.0.0.1:${page.server.addr.port}`,
          relay: `${scheme}://127.0.0.1:${relay.port}`,
          cli: `${scheme}://127.0.0.1:${cliPort}`,
        });
        const dumped = chromium(profile, [
          ...(tls ? [TRUST_TEST_CERT] : []),
          "--timeout=70000",
          "--dump-dom",
          `${origin}/page.html?${query}`,
        ], 80_000);
        let dom = "";
        try {
          dom = await dumped;
        } finally {
          if (!dom.includes(">finished<")) {
            console.error("the page's last report:", JSON.stringify(page.latest()));
          }
        }
        const report = page.latest();
        assert.equal(report.error, undefined, `the page failed: ${report.error}`);
        assert.deepEqual(report.steps, ["echo", "compressible", "ping", "serverClose", "abrupt"]);
        assert.ok(dom.includes(">finished<"), `the page did not finish:\n${dom.slice(-400)}`);

        // Echo: the subprotocol and permessage-deflate, as both ends see them.
        const echo = report.echo;
        const server = page.sides.get("echo")!;
        assert.equal(echo.protocol, "kw-test");
        assert.equal(server.protocol, "kw-test");
        assert.match(echo.extensions, /^permessage-deflate\b/);
        assert.match(server.extensions ?? "", /^permessage-deflate\b/);
        assert.equal(echo.text, TEXT_MESSAGE);
        assert.deepEqual(echo.arrayBuffer, { isArrayBuffer: true, same: true });
        assert.deepEqual(echo.blob, { isBlob: true, same: true });
        const bigFingerprint = fingerprint(noise(BIG_MESSAGE_BYTES, 3));
        assert.equal(echo.bigSent, bigFingerprint, "the page made the same 16 MiB");
        assert.deepEqual(
          { length: echo.bigReceived.length, fingerprint: echo.bigReceived.fingerprint },
          { length: BIG_MESSAGE_BYTES, fingerprint: bigFingerprint },
        );
        // What the server received, message by message: text, the ArrayBuffer, the Blob
        // (binary on the wire), the 16 MiB.
        assert.deepEqual(server.messages.map(({ kind, size }) => [kind, size]), [
          ["text", new TextEncoder().encode(TEXT_MESSAGE).byteLength],
          ["binary", 1000],
          ["binary", 3000],
          ["binary", BIG_MESSAGE_BYTES],
        ]);
        assert.equal(server.messages[0].text, TEXT_MESSAGE);
        assert.equal(server.messages[1].fingerprint, fingerprint(noise(1000, 1)));
        assert.equal(server.messages[2].fingerprint, fingerprint(noise(3000, 2)));
        assert.equal(server.messages[3].fingerprint, bigFingerprint);
        // The page closed: both sides saw its code and reason, cleanly.
        // (The answering close frame need not repeat the reason, RFC 6455 §5.5.1: keepwire's
        // repeats only the code, and Chromium reports the frame it received.)
        assert.deepEqual(server.close, { code: 4000, reason: "page is done", wasClean: true });
        assert.deepEqual([echo.close.code, echo.close.wasClean], [4000, true]);

        // How Chromium framed the echo case's messages (readable over ws: only).
        const [echoWire, compressibleWire] = relay.connections;
        assert.equal(
          relay.connections.length,
          2,
          "the echo and compressible cases came through the relay",
        );
        if (!tls) {
          const messages = messagesOf(echoWire.frames);
          assert.deepEqual(messages.map((m) => m.opcode), [1, 2, 2, 2]);
          const big = messages[3];
          assert.ok(
            big.frames.length > 1,
            `the 16 MiB message went out in ${big.frames.length} frame(s)`,
          );
          assert.ok(big.frames.slice(1).every((f) => f.opcode === 0 && !f.rsv1));
          assert.equal(echoWire.frames.at(-1)?.opcode, 8, "a Close frame last");
          const compressible = messagesOf(compressibleWire.frames);
          assert.equal(compressible.length, 1);
          assert.ok(compressible[0].frames[0].rsv1, "the compressible message went out compressed");
        }

        // Compressible: ~4 MiB each way crossed the relay in a small fraction of that.
        const compressibleBytes = COMPRESSIBLE_REPEAT.length * COMPRESSIBLE_COUNT;
        assert.match(report.compressible.extensions, /^permessage-deflate\b/);
        assert.deepEqual(
          { length: report.compressible.length, same: report.compressible.same },
          { length: compressibleBytes, same: true },
        );
        assert.deepEqual(report.compressible.close, { code: 1000, reason: "", wasClean: true });
        assert.deepEqual(
          page.sides.get("echo+")?.messages.map(({ kind, size }) => [kind, size]),
          [["text", compressibleBytes]],
        );
        assert.ok(
          compressibleWire.up < compressibleBytes / 20 &&
            compressibleWire.down < compressibleBytes / 20,
          `deflate on the wire: ${compressibleWire.up} bytes up, ${compressibleWire.down} down for ${compressibleBytes} each way`,
        );

        // Ping: the server pinged after each 200 ms of silence and would have dropped a
        // silent peer after 400 ms; the socket lived through 1.5 s, so Chromium ponged.
        assert.ok(PING_SILENCE_MS >= 5 * PING_INTERVAL_MS);
        assert.equal(report.ping.closedEarly, null, JSON.stringify(report.ping.closedEarly));
        assert.equal(report.ping.echoed, "still here");
        assert.deepEqual(report.ping.close, { code: 1000, reason: "", wasClean: true });
        assert.deepEqual(page.sides.get("ping")?.messages.map((m) => m.text), ["still here"]);
        assert.deepEqual(page.sides.get("ping")?.close, { code: 1000, reason: "", wasClean: true });

        // The server closed: its code and reason reached the page, and the page's answer it.
        const serverClose = { code: 4001, reason: "server says bye", wasClean: true };
        assert.equal(report.serverClose.said, "closing soon");
        assert.deepEqual(report.serverClose.close, serverClose);
        assert.deepEqual(page.sides.get("server-close")?.close, serverClose);

        // Abrupt: the echo CLI answered, then died with the connection open: 1006, not clean.
        assert.equal(report.abrupt.echoed, "hello, cli");
        assert.match(report.abrupt.extensions, /^permessage-deflate\b/);
        assert.equal(report.abrupt.killed, 204);
        assert.equal(report.abrupt.close.code, 1006);
        assert.equal(report.abrupt.close.wasClean, false);
        const exit = await cli.exited;
        assert.ok(
          exit.signal === "SIGKILL" || exit.code === 137,
          `the echo CLI was killed: ${JSON.stringify(exit.signal ?? exit.code)}`,
        );
      },
    );
  });
}

/** The data messages among frames: each a first frame (text 1 or binary 2) and its continuations. */
function messagesOf(frames: FrameHead[]): { opcode: number; frames: FrameHead[] }[] {
  const messages: { opcode: number; frames: FrameHead[] }[] = [];
  let open: { opcode: number; frames: FrameHead[] } | null = null;
  for (const frame of frames) {
    if (frame.opcode >= 8) continue; // control frames may come between fragments (§5.4)
    if (frame.opcode === 0) {
      assert.ok(open !== null, "a continuation frame without a message");
      open.frames.push(frame);
    } else {
      assert.equal(open, null, "a new message inside a fragmented one");
      open = { opcode: frame.opcode, frames: [frame] };
      messages.push(open);
    }
    if (frame.fin) open = null;
  }
  assert.equal(open, null, "a message left unfinished");
  return messages;
}
