// Test support for the file server tests: a site on disk and keepwire serving it over real TCP.
import { mkdir, mkdtemp, realpath, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { createFileHandler, type FileHandlerOptions } from "../../lib/handlers/files.ts";
import { serve } from "../../lib/serve.ts";
import type { Server } from "../../lib/connection/options.ts";
import { after, before } from "node:test";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse, type WireResponse } from "../_support/http_reader.ts";

export const BIG = 300 * 1024 + 7;
export const MTIME = new Date("2024-03-01T12:00:00Z");
/** A stylesheet large enough to be compressed on the fly (> 1 KiB). */
export const CSS = Array.from({ length: 200 }, (_, i) => `.rule-${i} { margin: ${i}px; }\n`).join(
  "",
);
/** A script with precompressed siblings. */
export const JS = Array.from({ length: 300 }, (_, i) => `export const value${i} = ${i * 7};\n`)
  .join("");

export interface Site {
  /** The temporary folder holding the site and things outside it. */
  base: string;
  /** The served folder. */
  root: string;
}

export async function createSite(): Promise<Site> {
  const base = await realpath(await mkdtemp(join(tmpdir(), "kw-files-")));
  const root = join(base, "site");
  await mkdir(join(root, "with-index"), { recursive: true });
  await mkdir(join(root, "plain"));
  await mkdir(join(root, ".git"));
  await mkdir(join(base, "site-private"));
  await writeFile(join(base, "secret.txt"), "top secret");
  await writeFile(join(base, "site-private", "key.txt"), "private");
  await writeFile(join(root, "hello.txt"), "Hello, file!");
  await writeFile(join(root, "style.css"), CSS);
  await writeFile(join(root, "app.js"), JS);
  await writeFile(join(root, "app.js.gz"), gzipSync(JS));
  await writeFile(join(root, "app.js.br"), brotliCompressSync(JS));
  await writeFile(join(root, "stale.js"), JS);
  await writeFile(join(root, "stale.js.br"), brotliCompressSync("old"));
  await writeFile(join(root, "logo.png"), new Uint8Array(4096).fill(7));
  await writeFile(join(root, "a b&<c>.js"), "x");
  await writeFile(join(root, "%2e%2e"), "literal name");
  await writeFile(join(root, ".env"), "SECRET=1");
  await writeFile(join(root, ".git", "config"), "[core]");
  await writeFile(join(root, "with-index", "index.html"), "<h1>index</h1>");
  await writeFile(join(root, "plain", "<img src=x onerror=alert(1)>.txt"), "x");
  await mkdir(join(root, "plain", "sub"));
  for (const name of ["file10.txt", "File2.txt", "file1.txt", "B-dir", "a-dir"]) {
    if (name.endsWith("dir")) await mkdir(join(root, "plain", name));
    else await writeFile(join(root, "plain", name), name.repeat(3));
  }
  const big = new Uint8Array(BIG);
  for (let i = 0; i < BIG; i++) big[i] = i % 251;
  await writeFile(join(root, "big.bin"), big);
  await utimes(join(root, "hello.txt"), MTIME, MTIME);
  await utimes(join(root, "stale.js.br"), MTIME, MTIME);
  await symlink(join(base, "secret.txt"), join(root, "link-out.txt"));
  await symlink(join(base, "site-private"), join(root, "dir-out"));
  await symlink(join(root, "hello.txt"), join(root, "link-in.txt"));
  await symlink(join(root, ".env"), join(root, "env-link"));
  await symlink(join(root, "nowhere"), join(root, "dangling"));
  return { base, root };
}

export async function removeSite(site: Site): Promise<void> {
  await rm(site.base, { recursive: true, force: true });
}

/** A keepwire server on port 0 serving `root`, with or without light Fetch objects. */
export function serveFiles(
  root: string,
  options: FileHandlerOptions = {},
  lightFetchObjects?: boolean,
): Promise<Server> {
  return serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      ...(lightFetchObjects === undefined ? {} : { lightFetchObjects }),
    },
    createFileHandler(root, options),
  );
}

/** One request on a fresh connection, read off the wire. */
export async function fetchRaw(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<WireResponse> {
  const client = await RawClient.connect(port);
  try {
    const fields = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
    await client.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${fields}\r\n`);
    return await readResponse(client, { head: method === "HEAD" });
  } finally {
    client.destroy();
  }
}

/** The site and server a test file shares, ready once its `before()` hooks ran. */
export interface ServedSite {
  /** The site on disk. */
  readonly site: Site;
  /** The server's port. */
  readonly port: number;
  /** One request on a fresh connection to the shared server. */
  get(target: string, headers?: Record<string, string>, method?: string): Promise<WireResponse>;
}

/**
 * Registers `before()` / `after()` hooks in the calling test file that build
 * a site, serve it, and take both down again.
 */
export function useServedSite(): ServedSite {
  let site: Site | undefined;
  let server: Server | undefined;
  before(async () => {
    site = await createSite();
    server = await serveFiles(site.root);
  });
  after(async () => {
    await server?.shutdown();
    if (site !== undefined) await removeSite(site);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the shared site is used before its before() hook");
    return value;
  };
  return {
    get site() {
      return ready(site);
    },
    get port() {
      return ready(server).addr.port;
    },
    get: (target, headers = {}, method = "GET") =>
      fetchRaw(ready(server).addr.port, target, headers, method),
  };
}

/** The fields of a response that must agree between GET and HEAD (Date and boundaries aside). */
export function comparableFields(response: WireResponse): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    if (name === "date") continue;
    fields[name] = value.replace(/boundary=\S+/, "boundary=*");
  }
  return fields;
}
