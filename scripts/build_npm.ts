/**
 * `npm run build` (`deno run -A scripts/build_npm.ts`): the npm package in npm/.
 *
 * - npm/esm/*.js: one ESM bundle per entry point, with shared code split
 *   into npm/esm/chunks/ so classes such as ProtocolError exist once even
 *   when both `keepwire` and `keepwire/node` are imported; the runtime shims
 *   stay behind `import()` so Node never loads the Deno or Bun shim.
 * - npm/cjs/*.cjs: one CommonJS bundle per entry point (the `keepwire` bin
 *   itself is the ESM build; `require("keepwire/cli")` gets `main()`).
 * - npm/{deno,bun,node,cli}/package.json: redirects for resolvers that
 *   predate `exports` (TypeScript's node10), so every subpath has types.
 * - npm/types/: declarations from tsc, `.d.ts` for import and `.d.cts` for
 *   require, with `.ts` import specifiers rewritten to `.js` / `.cjs`.
 * - npm/package.json, README.md, LICENSE.
 *
 * It then checks the result the way a user would: a scratch project with
 * npm/ linked as node_modules/keepwire imports and requires it under Node
 * and type-checks an ESM and a CommonJS consumer with tsc.
 *
 * @module
 */

import * as esbuild from "esbuild";
import { systemNode } from "./_node_bundle.mjs";

const root = new URL("../", import.meta.url).pathname;
/** `deno run -A scripts/build_npm.ts [out-dir]`: npm/ unless another folder is given (test runs use their own). */
const outDir = Deno.args[0] === undefined
  ? `${root}npm/`
  : `${Deno.args[0].startsWith("/") ? "" : Deno.cwd() + "/"}${Deno.args[0].replace(/\/?$/, "/")}`;
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

/** Package subpath → source file; entries whose file does not exist yet are skipped. */
const ENTRY_POINTS: { subpath: string; name: string; source: string; cjs: boolean }[] = [
  { subpath: ".", name: "mod", source: "mod.ts", cjs: true },
  { subpath: "./deno", name: "deno", source: "lib/runtime/deno.ts", cjs: true },
  { subpath: "./bun", name: "bun", source: "lib/runtime/bun.ts", cjs: true },
  { subpath: "./node", name: "node", source: "lib/runtime/node.ts", cjs: true },
  { subpath: "./cli", name: "cli", source: "lib/cli.ts", cjs: true },
];

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[], cwd = root): Promise<void> {
  console.log(`$ ${command.replace(root, "")} ${args.join(" ")}`);
  const { code } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...walk(path));
    else files.push(path);
  }
  return files;
}

/** Rewrite relative `.ts` specifiers (in quotes) to the given extension. */
function rewriteSpecifiers(text: string, extension: ".js" | ".cjs"): string {
  return text.replace(
    /(["'])(\.{1,2}\/[^"'\n]*?)\.ts\1/g,
    (_, quote, path) => `${quote}${path}${extension}${quote}`,
  );
}

const entries = ENTRY_POINTS.filter((entry) => {
  if (exists(root + entry.source)) return true;
  console.log(`skipping ${entry.subpath}: ${entry.source} does not exist`);
  return false;
});
const version = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).version as string;

if (exists(outDir)) Deno.removeSync(outDir, { recursive: true });

// ESM: one build, split, so shared modules are shared at runtime too.
await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(entries.map((entry) => [entry.name, entry.source])),
  outdir: `${outDir}esm`,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["node:*"],
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
});

// CJS: no splitting in esbuild's CommonJS output, so one bundle per entry.
for (const entry of entries.filter((entry) => entry.cjs)) {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry.source],
    outfile: `${outDir}cjs/${entry.name}.cjs`,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "es2022",
    external: ["node:*"],
    logLevel: "warning",
    // import.meta is empty in CommonJS; isMainModule() then answers false.
    logOverride: { "empty-import-meta": "silent" },
  });
}
await esbuild.stop();

const cli = entries.find((entry) => entry.name === "cli");
if (cli !== undefined) {
  const path = `${outDir}esm/cli.js`;
  const text = Deno.readTextFileSync(path);
  if (!text.startsWith("#!")) Deno.writeTextFileSync(path, `#!/usr/bin/env node\n${text}`);
  Deno.chmodSync(path, 0o755);
}

// Declarations. tsc keeps `.ts` specifiers in .d.ts output even with
// rewriteRelativeImportExtensions (that option only touches emitted JS), so
// they are rewritten below.
const tsconfig = `${outDir}tsconfig.build.json`;
Deno.mkdirSync(outDir, { recursive: true });
Deno.writeTextFileSync(
  tsconfig,
  JSON.stringify({
    compilerOptions: {
      declaration: true,
      emitDeclarationOnly: true,
      allowImportingTsExtensions: true,
      rewriteRelativeImportExtensions: true,
      rootDir: root,
      outDir: `${outDir}types`,
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["es2022", "dom", "dom.iterable"],
      types: ["node"],
      typeRoots: [`${root}node_modules/@types`],
      strict: true,
      skipLibCheck: true,
    },
    files: entries.map((entry) => root + entry.source),
  }),
);
await run(bin("tsc"), ["-p", tsconfig]);
Deno.removeSync(tsconfig);
for (const path of walk(`${outDir}types`)) {
  if (!path.endsWith(".d.ts")) continue;
  const text = Deno.readTextFileSync(path);
  Deno.writeTextFileSync(path, rewriteSpecifiers(text, ".js"));
  Deno.writeTextFileSync(path.replace(/\.d\.ts$/, ".d.cts"), rewriteSpecifiers(text, ".cjs"));
}

const typesOf = (entry: { source: string }, extension: ".d.ts" | ".d.cts") =>
  `./types/${entry.source.replace(/\.ts$/, extension)}`;
const exportsMap: Record<string, unknown> = {};
for (const entry of entries) {
  const esm = { types: typesOf(entry, ".d.ts"), default: `./esm/${entry.name}.js` };
  exportsMap[entry.subpath] = entry.cjs
    ? {
      import: esm,
      require: { types: typesOf(entry, ".d.cts"), default: `./cjs/${entry.name}.cjs` },
    }
    : esm;
}
exportsMap["./package.json"] = "./package.json";
const mod = entries.find((entry) => entry.subpath === ".")!;
const packageJson = {
  name: "keepwire",
  version,
  description: "HTTP/1.x server for persistent (keep-alive) connections on Deno, Bun and Node.",
  license: "MIT",
  type: "module",
  main: `./cjs/${mod.name}.cjs`,
  module: `./esm/${mod.name}.js`,
  types: typesOf(mod, ".d.ts"),
  exports: exportsMap,
  ...(cli !== undefined ? { bin: { keepwire: "./esm/cli.js" } } : {}),
  files: [
    "esm",
    "cjs",
    "types",
    ...entries.filter((entry) => entry.subpath !== ".").map((entry) => entry.name),
  ],
  // Node 20, 22 and 24 are what the package checks run on.
  engines: { node: ">=20" },
  // Importing the CLI entry runs the command line when it is the main module.
  sideEffects: ["./esm/cli.js", "./cjs/cli.cjs"],
  keywords: ["http", "http1", "keep-alive", "server", "deno", "bun", "node"],
};
Deno.writeTextFileSync(`${outDir}package.json`, JSON.stringify(packageJson, null, 2) + "\n");
for (const entry of entries.filter((entry) => entry.subpath !== ".")) {
  Deno.mkdirSync(`${outDir}${entry.name}`);
  Deno.writeTextFileSync(
    `${outDir}${entry.name}/package.json`,
    JSON.stringify(
      {
        private: true,
        main: `../cjs/${entry.name}.cjs`,
        types: `.${typesOf(entry, ".d.cts")}`,
      },
      null,
      2,
    ) + "\n",
  );
}
for (const file of ["README.md", "LICENSE"]) {
  if (exists(root + file)) Deno.copyFileSync(root + file, outDir + file);
  else console.log(`warning: ${file} is missing, not copied`);
}

// Check the package as a user gets it.
const scratch = Deno.makeTempDirSync({ prefix: "keepwire-npm-check-" });
try {
  Deno.mkdirSync(`${scratch}/node_modules/@types`, { recursive: true });
  Deno.symlinkSync(outDir, `${scratch}/node_modules/keepwire`);
  Deno.symlinkSync(`${root}node_modules/@types/node`, `${scratch}/node_modules/@types/node`);
  Deno.symlinkSync(`${root}node_modules/undici-types`, `${scratch}/node_modules/undici-types`);
  Deno.writeTextFileSync(
    `${scratch}/esm.mts`,
    `import { ProtocolError, detectRuntime, listenForRuntime } from "keepwire";
import { listenNode } from "keepwire/node";
import { createConnection } from "node:net";
const error: ProtocolError = new ProtocolError(400, "bad", "bad request");
if (error.status !== 400 || detectRuntime() !== "node") throw new Error("esm exports broken");
if ((await listenForRuntime()) !== listenNode) throw new Error("listenForRuntime did not pick the shared node shim");
const listener = await listenNode({ port: 0, hostname: "127.0.0.1" }, (transport) => ({
  onData: (chunk: Uint8Array) => { transport.write(chunk); transport.end(); },
  onEnd: () => {}, onDrain: () => {}, onClose: () => {},
}));
const echoed = await new Promise<string>((resolve) => {
  const socket = createConnection(listener.addr.port, "127.0.0.1", () => socket.write("ping"));
  let text = "";
  socket.on("data", (chunk) => (text += chunk.toString()));
  socket.on("end", () => { socket.end(); resolve(text); });
});
await listener.close();
if (echoed !== "ping") throw new Error("echo through keepwire/node failed: " + echoed);
console.log("esm: ok");
`,
  );
  Deno.writeTextFileSync(
    `${scratch}/cjs.cts`,
    `import keepwire = require("keepwire");
import shim = require("keepwire/node");
const error = new keepwire.ProtocolError(431, "too-large", "header section too large");
if (error.status !== 431 || typeof shim.listenNode !== "function") throw new Error("cjs exports broken");
console.log("cjs: ok");
`,
  );
  Deno.writeTextFileSync(
    `${scratch}/tsconfig.json`,
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022"],
        types: ["node"],
        strict: true,
        outDir: "out",
      },
      files: ["esm.mts", "cjs.cts"],
    }),
  );
  // Type-check the consumers against the emitted .d.ts/.d.cts (without
  // skipLibCheck, so the declarations themselves must resolve), then run them.
  await run(bin("tsc"), ["-p", "tsconfig.json"], scratch);
  // The machine's Node 20, the oldest supported, not node_modules/.bin's Node 22.
  await run(systemNode(), ["out/esm.mjs"], scratch);
  await run(systemNode(), ["out/cjs.cjs"], scratch);
} finally {
  Deno.removeSync(scratch, { recursive: true });
}
console.log(
  `built npm/ (keepwire ${version}): ${entries.map((entry) => entry.subpath).join(", ")}`,
);
