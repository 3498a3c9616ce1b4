// Shared by the real-browser tests: running headless Chromium, and reading the live page's stats.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";

export const CHROMIUM: string = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const IN_CI: boolean = process.env.CI === "true";
export const MISSING: string =
  `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM=/path)`;
export const HAS_CHROMIUM: boolean = existsSync(CHROMIUM);

export interface LiveStats {
  stats: { totalConnections: number; totalRequests: number; reusedRequests: number };
  connections: { id: number; state: string }[];
  recentlyClosed: { id: number }[];
}

/** Reads /_keepwire/stats.json over a fresh connection closed after the one request, so it costs exactly one connection. */
export async function liveStats(port: number): Promise<LiveStats> {
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
