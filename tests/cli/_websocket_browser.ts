// Chromium's own WebSocket against keepwire's server (issue 16), over ws: and wss: (the test
// files websocket_browser_test.ts and websocket_tls_browser_test.ts run this suite). A server in
// this process (keepwire's serve with upgradeWebSocket, the runtime running the test) sees the
// server's side of every case; the page (_websocket_page.ts) reports the browser's side:
// - text, binary as ArrayBuffer and as Blob, and a 16 MiB message both ways, echoed, with the
//   subprotocol chosen and permessage-deflate (RFC 7692) negotiated, as Chromium offers it;
// - a compressible ~4 MiB message through a byte-counting relay: far fewer bytes on the wire;
// - a clean close started by the page (4000) and one started by the server (4001): code and
//   reason seen on both sides, `wasClean` on both (RFC 6455 §7.1.5, §7.4);
// - an abrupt close: the `keepwire echo` process serving /ws is killed mid-connection, so no
//   close frame ever comes, and the page sees 1006 (§7.1.5, §7.4.1).
// Chromium trusts the committed test certificate by its key only (TRUST_TEST_CERT).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { upgradeWebSocket } from "../../lib/websocket/upgrade.ts";
import { TEST_CERT, TEST_KEY, tlsFixturePath } from "../_support/tls.ts";
import { type CliProcess, startCli } from "./_cli_process.ts";
import { chromium, HAS_CHROMIUM, IN_CI, MISSING, TRUST_TEST_CERT } from "./_chromium.ts";
import {
  BIG_MESSAGE_BYTES,
  COMPRESSIBLE_COUNT,
  COMPRESSIBLE_REPEAT,
  fingerprint,
  noise,
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
    const { socket, response } = upgradeWebSocket(request, { protocol: ["kw-test"] });
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

/** A TCP relay to `port` that counts the bytes each way (TLS or not, it only forwards). */
async function startRelay(
  port: number,
): Promise<
  {
    relay: NetServer;
    port: number;
    up: () => number;
    down: () => number;
    close: () => Promise<void>;
  }
> {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const relay = createServer((browser) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(browser).add(upstream);
    browser.on("data", (chunk: Uint8Array) => {
      up += chunk.byteLength;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Uint8Array) => {
      down += chunk.byteLength;
      browser.write(chunk);
    });
    browser.on("end", () => upstream.end());
    upstream.on("end", () => browser.end());
    browser.on("error", () => upstream.destroy());
    upstream.on("error", () => browser.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const address = relay.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    relay,
    port: address.port,
    up: () => up,
    down: () => down,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}

/**
 * Registers the suite over `ws:` or, with `tls`, over `wss:` (one test file each, so each
 * stays well inside the runners' per-file time limit).
 */
export function browserWebSocketSuite(tls: boolean): void {
  if (!HAS_CHROMIUM) {
    const name = `WebSocket in a browser over ${tls ? "wss" : "ws"}:`;
    if (IN_CI) {
      test(`${name} Chromium is installed (CI=true requires it)`, () => assert.fail(MISSING));
    } else test(`${name} skipped, Chromium is not installed`, { skip: MISSING }, () => {});
    return;
  }
  const scheme = tls ? "wss" : "ws";
  describe(`Chromium's WebSocket against keepwire over ${scheme}:`, () => {
    let profile = "";
    let cli: CliProcess;
    let cliPort = 0;
    let page: Awaited<ReturnType<typeof startPageServer>>;
    let relay: Awaited<ReturnType<typeof startRelay>>;

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
      relay = await startRelay(page.server.addr.port);
    });

    after(async () => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
      await relay?.close();
      await page?.server.shutdown();
      await rm(profile, { recursive: true, force: true });
    });

    test(
      "text, ArrayBuffer, Blob, 16 MiB both ways, deflate on the wire, clean and abrupt closes",
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
        assert.deepEqual(report.steps, ["echo", "compressible", "serverClose", "abrupt"]);
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
          relay.up() < compressibleBytes / 20 && relay.down() < compressibleBytes / 20,
          `deflate on the wire: ${relay.up()} bytes up, ${relay.down()} down for ${compressibleBytes} each way`,
        );

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
