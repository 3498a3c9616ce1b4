#!/usr/bin/env node
/**
 * `npm test`: every test file on Deno, Bun and Node, then one closing line
 * `N passed, M failed` summed over the runtimes.
 *
 *   node scripts/test.mjs            everything, plus the type and publish checks
 *   node scripts/test.mjs codec      only test files (and doc-tested modules) whose path contains "codec"
 *   node scripts/test.mjs --quick    the quick tier: pure tests on Deno and the machine's Node only
 *   node scripts/test.mjs npm        only the npm package checks (scripts/npm_package_checks.mjs)
 *
 * The quick tier holds the test files whose imports, followed through the
 * repository, never reach a socket, a child process or a runtime shim: the
 * codec, the pure rules, in-memory lifecycle tests. A new test joins the
 * right tier by what it imports. `--quick codec` narrows it. Its files run
 * together (one module on Deno, one bundle on Node) and Deno and Node run
 * side by side. Doc tests, Bun, Node 22/24 and the checks are left to the
 * full run.
 *
 * Each runner's output is streamed as it comes and its summary is parsed
 * afterwards. A runner that exits non-zero, or whose summary cannot be
 * parsed, fails the run and counts one failure even when it reported none
 * (a type error stops Deno before any test runs), so the closing line never
 * says "0 failed" for a failed run. A check that is not a test runner (type
 * check, publish dry run, an npm package step) counts one pass or one failure.
 *
 * Plain Node 20 JavaScript on purpose: it must run on a clean clone right
 * after `npm ci`, before anything is built.
 */

import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForNode, extraNodeBinaries, systemNode } from "./_node_bundle.mjs";
import { purityCheck } from "./_quick_tier.mjs";
import { checkNpmPackage } from "./npm_package_checks.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);

const flags = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
const [filter] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const quick = flags.includes("--quick");
for (const unknown of flags.filter((flag) => flag !== "--quick")) {
  console.error(`unknown option ${unknown} (known: --quick)`);
  process.exit(2);
}
/** The whole suite: no filter, no tier. Only then do the checks beyond the test runners run. */
const everything = filter === undefined && !quick;
const binDir = join(root, "node_modules", ".bin");
// One directory per run: several people may run the suite in one checkout.
const buildDir = join(root, ".test-build", `run-${process.pid}`);
/** A hung test must not hang CI: each runner is killed after this long. */
const RUNNER_TIMEOUT_MS = Number(process.env.KEEPWIRE_TEST_TIMEOUT_MS ?? 20 * 60_000);
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

const isPure = purityCheck(root);
const matches = (path) =>
  (filter === undefined || path.includes(filter)) && (!quick || isPure(path));
const testFiles = listTs("tests", (name) => name.endsWith("_test.ts")).filter(matches);
// Doc tests stay out of the quick tier: Deno runs every example as a module
// of its own, which costs more than all the quick test files together.
const libraryFiles = quick
  ? []
  : [...listTs("lib", (name) => !name.endsWith("_test.ts")), "mod.ts"].filter(matches);

/**
 * Run a command, streaming its output; resolve with its exit code, all
 * output, and how long it took in seconds. With `buffered`, the output is
 * printed whole when the command ends instead (for runners side by side).
 */
function run(command, args, { buffered = false, ...options } = {}) {
  const shown = command.startsWith(root) ? relative(root, command) : command.split(sep).at(-1);
  const commandLine = `\n$ ${[shown, ...args].join(" ")}`;
  if (!buffered) console.log(commandLine);
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...options,
    });
    let output = "";
    const collect = (stream) => (chunk) => {
      if (!buffered) stream.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on("data", collect(process.stdout));
    child.stderr.on("data", collect(process.stderr));
    const timer = setTimeout(() => {
      output += `\n[test.mjs] killed after ${RUNNER_TIMEOUT_MS} ms\n`;
      child.kill("SIGKILL");
    }, RUNNER_TIMEOUT_MS);
    const finish = (result) => {
      clearTimeout(timer);
      if (buffered) process.stdout.write(`${commandLine}\n${result.output}`);
      resolve({ ...result, seconds: seconds() });
    };
    child.on("error", (error) => finish({ code: 127, output: `${output}\n${error.message}` }));
    child.on("close", (code, signal) => finish({ code: code ?? (signal ? 128 : 1), output }));
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
      const leaves = cases.filter(({ name }) => !parents.has(name));
      const run = leaves.filter(({ skipped }) => !skipped);
      const failed = run.filter((leaf) => leaf.failed).length;
      return { passed: run.length - failed, failed, skipped: leaves.length - run.length };
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
  const skipped = [...text.matchAll(/^\s*(\d+) skip\s*$/gm)].at(-1);
  if (!passed || !failed) return undefined;
  return {
    passed: Number(passed[1]),
    failed: Number(failed[1]),
    skipped: Number(skipped?.[1] ?? 0),
  };
}

/** node --test, spec reporter ("ℹ pass 12") or TAP ("# pass 12"). */
function parseNode(output) {
  const text = stripAnsi(output);
  const passed = [...text.matchAll(/^(?:ℹ|#) pass (\d+)\s*$/gm)].at(-1);
  const failed = [...text.matchAll(/^(?:ℹ|#) fail (\d+)\s*$/gm)].at(-1);
  const cancelled = [...text.matchAll(/^(?:ℹ|#) cancelled (\d+)\s*$/gm)].at(-1);
  const skipped = [...text.matchAll(/^(?:ℹ|#) skipped (\d+)\s*$/gm)].at(-1);
  if (!passed || !failed) return undefined;
  return {
    passed: Number(passed[1]),
    failed: Number(failed[1]) + Number(cancelled?.[1] ?? 0),
    skipped: Number(skipped?.[1] ?? 0),
  };
}

const results = [];

/** Record a test runner's outcome. */
function record(name, { code, output, seconds }, parse) {
  const counts = parse(output);
  const ok = code === 0 && counts !== undefined && counts.failed === 0;
  let failed = counts?.failed ?? 0;
  if (!ok && failed === 0) failed = 1;
  results.push({
    name,
    passed: counts?.passed ?? 0,
    failed,
    // A skipped test is neither: its runner says why (runtime-specific tests).
    note: `${counts?.skipped ? `${counts.skipped} skipped, ` : ""}${
      counts === undefined ? "summary not found" : `exit ${code}`
    }, ${seconds} s`,
  });
}

/** Record a check step (type check, publish dry run, npm package step): one pass or one failure. */
function recordCheck(name, { code, seconds }) {
  results.push({
    name,
    passed: code === 0 ? 1 : 0,
    failed: code === 0 ? 0 : 1,
    note: `${code === 0 ? "ok" : `exit ${code}`}${seconds === undefined ? "" : `, ${seconds} s`}`,
  });
}

/**
 * One module that imports each of `files`, written into `buildDir`: the
 * quick tier runs its test files together, in one module on Deno and one
 * bundle and process on Node (Bun runs every test file in one process
 * too), because a module or process per file cost more CPU than the quick
 * tests themselves.
 */
function writeTogetherEntry(name, files) {
  const entry = join(buildDir, name);
  const imports = files.map((file) => relative(buildDir, join(root, file)).split(sep).join("/"));
  writeFileSync(entry, imports.map((path) => `import "${path}";\n`).join(""));
  return entry;
}

/**
 * Bundle the test files for Node into `buildDir`, a few at a time; resolves
 * with the bundles to run. Each file gets a bundle of its own, in which
 * import.meta.url keeps pointing at the source file, as on Deno and Bun.
 * `together` bundles them into one instead, except any file that reads
 * import.meta, which keeps a bundle of its own.
 */
async function bundleTestsForNode(together) {
  const ownBundle = (file) => ({
    root,
    entry: file,
    outfile: join(buildDir, file.replace(/\.ts$/, ".mjs")),
    sourceImportMetaUrl: true,
  });
  const readsImportMeta = (file) => readFileSync(join(root, file), "utf8").includes("import.meta");
  const shared = together ? testFiles.filter((file) => !readsImportMeta(file)) : [];
  const pending = testFiles.filter((file) => !shared.includes(file)).map(ownBundle);
  if (shared.length > 0) {
    const entry = writeTogetherEntry("node_tests.ts", shared);
    pending.push({ root, entry, outfile: join(buildDir, "node_tests.mjs") });
  }
  const outputs = [];
  const worker = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      outputs.push(await bundleForNode(next));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return outputs.sort();
}

/** The modules deno.json exports: what JSR documents and scores. */
function publicEntryPoints() {
  const { exports } = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  return Object.values(exports).map((path) => path.replace(/^\.\//, ""));
}

/** Deno: the test files and the doc tests of the library modules. */
async function testOnDeno(deno, { together = false, buffered = false } = {}) {
  const tier = quick ? "quick tier, " : "";
  console.log(
    `\n=== Deno: ${tier}${testFiles.length} test files, doc tests of ${libraryFiles.length} modules ===`,
  );
  if (everything) recordCheck("deno check mod.ts", await run(deno, ["check", "mod.ts"]));
  const junitPath = join(buildDir, "deno-junit.xml");
  const modules = together && testFiles.length > 0
    ? [relative(root, writeTogetherEntry("deno_tests.ts", testFiles)), ...libraryFiles]
    : [...testFiles, ...libraryFiles];
  record(
    "deno",
    await run(deno, ["test", "-A", "--doc", `--junit-path=${junitPath}`, ...modules], { buffered }),
    (output) => parseDeno(output, junitPath),
  );
}

/** The publish, documentation and @example checks (whole suite only). */
async function checkDeno(deno) {
  recordCheck(
    "deno publish --dry-run",
    await run(deno, ["publish", "--dry-run", "--allow-dirty"]),
  );
  recordCheck("deno doc --lint", await run(deno, ["doc", "--lint", ...publicEntryPoints()]));
  recordCheck(
    "@example on every public symbol",
    await run(deno, ["run", "-A", "scripts/check_doc_examples.ts"]),
  );
}

/** Bun runs the TypeScript test files as they are. */
async function testOnBun(bun) {
  if (testFiles.length === 0) return;
  console.log(`\n=== Bun: ${testFiles.length} test files ===`);
  record(
    "bun",
    await run(bun, ["test", "--timeout", "30000", ...testFiles.map((file) => `./${file}`)]),
    parseBun,
  );
}

/** Node runs esbuild bundles of the test files, on each of `binaries`. */
async function testOnNode(binaries, { together = false, buffered = false } = {}) {
  if (testFiles.length === 0) return;
  const tier = quick ? "quick tier, " : "";
  console.log(`\n=== Node: ${tier}${testFiles.length} test files, bundled into .test-build/ ===`);
  let bundles;
  try {
    bundles = await bundleTestsForNode(together);
  } catch (error) {
    console.error(error);
    results.push({ name: "node (esbuild)", passed: 0, failed: 1, note: "bundling failed" });
    return;
  }
  // node --test applies the timeout to each file's process as well as to
  // each test: all quick tests in one process take more than a minute on a
  // busy machine.
  const timeoutMs = together ? 300_000 : 60_000;
  const nodeArgs = ["--test", "--test-reporter=spec", `--test-timeout=${timeoutMs}`, ...bundles];
  for (const binary of binaries) {
    const version = await run(binary, ["--version"], { buffered });
    record(`node ${version.output.trim()}`, await run(binary, nodeArgs, { buffered }), parseNode);
  }
}

async function main() {
  if (filter === "npm" && !quick) {
    await checkPackage();
    return summarize();
  }
  if (testFiles.length === 0 && libraryFiles.length === 0) {
    console.error(`no ${quick ? "quick " : ""}test files match ${JSON.stringify(filter ?? "")}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  const deno = join(binDir, "deno");
  const bun = join(binDir, "bun");
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });

  if (quick) {
    console.log(`\nQuick tier, ${testFiles.length} test files:\n  ${testFiles.join("\n  ")}`);
    // Deno and Node side by side (two cores), each runner's output printed
    // whole when it ends.
    await Promise.all([
      testOnDeno(deno, { together: true, buffered: true }),
      testOnNode([systemNode()], { together: true, buffered: true }),
    ]);
  } else {
    await testOnDeno(deno);
    if (everything) await checkDeno(deno);
    await testOnBun(bun);
    await testOnNode([systemNode(), ...extraNodeBinaries(root)]);
  }

  rmSync(buildDir, { recursive: true, force: true });

  if (everything) await checkPackage();
  if (everything) await checkHardening(deno);
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
    nodes: [systemNode(), ...extraNodeBinaries(root)],
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
