// Shared by the real-browser tests: running headless Chromium, and reading the live page's stats.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import process from "node:process";
import { test } from "node:test";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { TEST_CERT } from "../_support/tls.ts";

export const CHROMIUM: string = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const IN_CI: boolean = process.env.CI === "true";
export const MISSING: string =
  `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM=/path)`;
export const HAS_CHROMIUM: boolean = existsSync(CHROMIUM);

/**
 * Registers the tests of `suite` when Chromium is installed; otherwise one
 * test named after `what` in their place: failing in CI, which requires
 * Chromium, and skipped elsewhere.
 */
export function withChromium(what: string, suite: () => void): void {
  if (HAS_CHROMIUM) return suite();
  if (IN_CI) {
    test(`${what}: Chromium is installed (CI=true requires it)`, () => assert.fail(MISSING));
  } else {
    test(`${what}: skipped, Chromium is not installed`, { skip: MISSING }, () => {});
  }
}

export interface LiveStats {
  stats: {
    totalConnections: number;
    totalRequests: number;
    reusedRequests: number;
    upgradedConnections: number;
    failedHandshakes?: number;
  };
  connections: { id: number; state: string }[];
  recentlyClosed: { id: number }[];
}

/**
 * Chromium's flag that trusts the committed test certificate (tests/_support/tls/) and no other:
 * the SHA-256 of its SubjectPublicKeyInfo, base64. Chromium still builds and checks the chain and
 * the name (the certificate names 127.0.0.1); only a certificate with this key gets past an
 * unknown issuer. A blanket `--ignore-certificate-errors` would prove nothing about TLS.
 */
export const TRUST_TEST_CERT: string = `--ignore-certificate-errors-spki-list=${
  createHash("sha256")
    .update(new X509Certificate(TEST_CERT).publicKey.export({ type: "spki", format: "der" }))
    .digest("base64")
}`;

/**
 * Reads /_keepwire/stats.json over a fresh connection closed after the one request, so it costs
 * exactly one connection; with `tls`, over HTTPS trusting the test certificate.
 */
export async function liveStats(port: number, { tls = false } = {}): Promise<LiveStats> {
  if (tls) return JSON.parse(await httpsGet(port, "/_keepwire/stats.json"));
  const client = await RawClient.connect(port);
  await client.write(
    "GET /_keepwire/stats.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
  );
  const response = await readResponse(client);
  client.destroy();
  assert.equal(response.status, 200);
  return JSON.parse(response.text);
}

/** Runs headless Chromium once with the flags the issue fixes, talking to 127.0.0.1 only; resolves with stdout. */
export function chromium(profile: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    // Every host name fails to resolve except the loopback address the test serves on.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, flags, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => (stdout += text));
    child.stderr!.on("data", (text: string) => (stderr = (stderr + text).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Chromium did not finish within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`Chromium exited with ${code}:\n${stderr}`));
    });
  });
}

/** GET over a fresh TLS connection (no agent, `Connection: close`) trusting the test certificate; the body as text. */
export function httpsGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({
      host: "127.0.0.1",
      port,
      path,
      ca: TEST_CERT,
      agent: false,
      headers: { connection: "close" },
    }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on(
        "end",
        () =>
          response.statusCode === 200
            ? resolve(text)
            : reject(new Error(`GET ${path}: ${response.statusCode}`)),
      );
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

/** Browsers open at most 6 connections per host for HTTP/1.1 (Chromium's per-group limit). */
export const MAX_BROWSER_CONNECTIONS = 6;
/** The assets of scripts/demo_site's page. */
export const DEMO_ASSETS = 60;

/**
 * The demo page reported all its assets, and the server's own counters show the browser
 * carried them on few connections, each reused: between the two looks (each one
 * connection with one request), at most {@linkcode MAX_BROWSER_CONNECTIONS} connections
 * and every request past each connection's first a reused one. Every connection the
 * server ever accepted is on the live page, however short it lived: ids 1..N, none skipped.
 */
export function assertLoadedOverKeepAlive(
  dom: string,
  before: LiveStats,
  afterLoad: LiveStats,
): void {
  assert.ok(
    dom.includes(`data-loaded="${DEMO_ASSETS}"`),
    `the page did not report ${DEMO_ASSETS} loaded assets:\n${dom.slice(-600)}`,
  );
  const connections = afterLoad.stats.totalConnections - before.stats.totalConnections - 1;
  const requests = afterLoad.stats.totalRequests - before.stats.totalRequests - 1;
  assert.ok(
    connections >= 1 && connections <= MAX_BROWSER_CONNECTIONS,
    `browser used ${connections} connections`,
  );
  assert.ok(
    requests >= DEMO_ASSETS + 1,
    `browser made ${requests} requests, expected the page and ${DEMO_ASSETS} assets`,
  );
  assert.ok(
    afterLoad.stats.reusedRequests - before.stats.reusedRequests >= requests - connections,
  );
  const ids = [...afterLoad.connections, ...afterLoad.recentlyClosed].map((c) => c.id)
    .sort((a, b) => a - b);
  assert.deepEqual(
    ids,
    Array.from({ length: afterLoad.stats.totalConnections }, (_, i) => i + 1),
  );
}
