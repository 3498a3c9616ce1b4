/**
 * The npm package checked the way a Node user meets it, for `npm test`:
 *
 * 1. build the package (scripts/build_npm.ts) into a temporary folder and
 *    `npm pack` it;
 * 2. publint (strict) and @arethetypeswrong/cli on the tarball;
 * 3. install the tarball, offline, into a fresh project outside the repo;
 * 4. a smoke test there that serves and makes keep-alive requests, once
 *    through `import` and once through `require`, on every Node binary given
 *    (20, 22, 24) and, through `import`, on Bun;
 * 5. a TypeScript consumer compiled with `strict` against the shipped types
 *    (ESM and CommonJS flavours);
 * 6. the `keepwire` bin: `--help`, and `echo` serving a request then
 *    shutting down on SIGTERM.
 *
 * Each step is one recorded check; a step that cannot run because an
 * earlier one failed is recorded as failed too, so nothing passes unseen.
 *
 * Plain Node JavaScript, like test.mjs, which imports it.
 */

import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Starts a server from the package, makes three requests on one connection and checks keep-alive held. */
const SMOKE_BODY = `
const server = await serve({ port: 0, hostname: "127.0.0.1", keepAliveTimeout: 3000 }, (request, info) =>
  new Response(\`\${request.method} \${new URL(request.url).pathname} #\${info.connection.id}/\${info.connection.requestIndex}\`),
);
const socket = net.connect(server.addr.port, "127.0.0.1");
await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
let buffered = "";
socket.setEncoding("latin1");
socket.on("data", (text) => { buffered += text; });
async function exchange(path) {
  socket.write(\`GET \${path} HTTP/1.1\\r\\nHost: smoke\\r\\n\\r\\n\`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const headEnd = buffered.indexOf("\\r\\n\\r\\n");
    if (headEnd !== -1) {
      const head = buffered.slice(0, headEnd);
      const length = Number(/\\r\\ncontent-length: *(\\d+)/i.exec(head)?.[1]);
      if (buffered.length >= headEnd + 4 + length) {
        const body = buffered.slice(headEnd + 4, headEnd + 4 + length);
        buffered = buffered.slice(headEnd + 4 + length);
        return { head, body };
      }
    }
    if (Date.now() > deadline) throw new Error("no response to " + path + ": " + JSON.stringify(buffered));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const seen = [];
for (const path of ["/a", "/b", "/c"]) {
  const { head, body } = await exchange(path);
  if (!head.startsWith("HTTP/1.1 200")) throw new Error("status: " + head);
  if (!/\\r\\nkeep-alive: timeout=3, max=\\d+/i.test(head)) throw new Error("no Keep-Alive hint: " + head);
  seen.push(body);
}
const ids = new Set(seen.map((body) => body.split("#")[1].split("/")[0]));
if (ids.size !== 1 || !seen[2].endsWith("/3") || !seen[0].startsWith("GET /a ")) {
  throw new Error("keep-alive not kept: " + JSON.stringify(seen));
}
if (server.stats.reusedRequests !== 2) throw new Error("stats: " + JSON.stringify(server.stats));
socket.end();
await server.shutdown();
console.log(FLAVOUR + ": 3 requests on one connection: " + seen.join(", "));
`;

const SMOKE_ESM = `import { serve } from "keepwire";
import net from "node:net";
const FLAVOUR = "import";
${SMOKE_BODY}`;

// CommonJS has no top-level await: the same body runs inside an async function.
const SMOKE_CJS = `const { serve } = require("keepwire");
const net = require("node:net");
const FLAVOUR = "require";
(async () => {
${SMOKE_BODY}
})().catch((error) => { console.error(error); process.exit(1); });
`;

const CONSUMER_ESM =
  `import { serve, type Handler, type Server, type ServeOptions, ProtocolError } from "keepwire";
import { serve as serveOnNode } from "keepwire/node";
import { main } from "keepwire/cli";

const options: ServeOptions = { port: 0, keepAliveTimeout: 5_000, maxRequestsPerConnection: 100 };
const handler: Handler = (request, info) =>
  new Response(\`\${request.method} on \${info.connection.id}/\${info.connection.requestIndex} (\${info.httpVersion})\`);
const server: Server = await serve(options, handler);
const port: number = server.addr.port;
const reused: number = server.stats.reusedRequests;
await server.shutdown();
const nodeServer: Server = await serveOnNode({ port: 0 }, () => new Response(null, { status: 204 }));
await nodeServer.shutdown();
const status: number = new ProtocolError(400, "bad", "bad request").status;
const exitCode: Promise<number> = main(["--help"]);
export { exitCode, port, reused, status };
`;

const CONSUMER_CJS = `import keepwire = require("keepwire");
const handler: keepwire.Handler = () => new Response("hi");
export async function start(): Promise<keepwire.Server> {
  return await keepwire.serve({ port: 0 }, handler);
}
`;

/** Collects a child process's output; resolves with its exit code. */
function capture(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 127, output: output + error.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** `keepwire echo` from the installed bin: one request, then SIGTERM must exit 0. */
function binServesAndStops(node, bin, cwd, env) {
  return new Promise((resolve) => {
    const child = spawn(node, [bin, "echo", "--port", "0"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stderr.on("data", (chunk) => (output += chunk));
    child.stdout.on("data", async (chunk) => {
      const before = output;
      output += chunk;
      const url = /Listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url === undefined || /Listening on/.test(before)) return;
      try {
        const response = await fetch(new URL("/", url));
        output += `GET / -> ${response.status}, ${(await response.text()).length} bytes\n`;
        if (response.status !== 200) throw new Error("echo did not answer 200");
      } catch (error) {
        output += `request failed: ${error}\n`;
      }
      child.kill("SIGTERM");
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const served = /GET \/ -> 200/.test(output);
      resolve({ code: served ? code ?? 1 : 1, output });
    });
  });
}

/** Lines of the shipped declarations that type something as `any`, comments aside. */
function anyLeaks(typesDir) {
  const leaks = [];
  for (const entry of readdirSync(typesDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    readFileSync(path, "utf8").split("\n").forEach((line, index) => {
      const code = line.replace(/\/\/.*$/, "");
      if (/^\s*(\/\*\*|\*)/.test(code)) return;
      if (/(:\s*any\b|<any\b|\bany\[\]|\bany\s*[|>,;)=])/.test(code)) {
        leaks.push(`${path}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  return leaks;
}

/**
 * Runs every check; `run(command, args, options)` streams and returns
 * `{ code, output }`, `recordCheck(name, { code })` records the outcome.
 */
export async function checkNpmPackage({ root, run, recordCheck, nodes, bun, env }) {
  const bin = (name) => join(root, "node_modules", ".bin", name);
  const work = mkdtempSync(join(tmpdir(), "keepwire-npm-"));
  const step = (name, result) => {
    recordCheck(name, result);
    return result.code === 0;
  };
  const skipped = (name) => recordCheck(name, { code: 1, output: "an earlier step failed" });
  try {
    const packageDir = join(work, "package");
    const built = await run(bin("deno"), ["run", "-A", "scripts/build_npm.ts", packageDir]);
    if (!(await step("npm build", built))) {
      for (const name of ["npm pack", "publint", "attw", "npm install tarball"]) skipped(name);
      return;
    }
    const leaks = anyLeaks(join(packageDir, "types"));
    for (const leak of leaks) console.log(`any in the public types: ${leak}`);
    step("no `any` in the shipped types", { code: leaks.length === 0 ? 0 : 1 });
    const packed = await run("npm", ["pack", "--pack-destination", work], { cwd: packageDir });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    if (!(await step("npm pack", tarball ? packed : { code: 1 }))) {
      for (const name of ["publint", "attw", "npm install tarball"]) skipped(name);
      return;
    }
    const tarballPath = join(work, tarball);
    await step(
      "publint (strict) on tarball",
      await run(bin("publint"), ["run", tarballPath, "--strict"]),
    );
    await step("attw on tarball", await run(bin("attw"), [tarballPath]));

    const project = join(work, "consumer");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "keepwire-consumer", private: true, version: "0.0.0" }, null, 2),
    );
    const installed = await run(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarballPath],
      { cwd: project },
    );
    if (!(await step("npm install tarball (offline)", installed))) return;

    writeFileSync(join(project, "smoke.mjs"), SMOKE_ESM);
    writeFileSync(join(project, "smoke.cjs"), SMOKE_CJS);
    for (const node of nodes) {
      const version = (await capture(node, ["--version"], { env })).output.trim();
      for (const file of ["smoke.mjs", "smoke.cjs"]) {
        await step(`npm smoke node ${version} ${file}`, await run(node, [file], { cwd: project }));
      }
    }
    await step("npm smoke bun smoke.mjs", await run(bun, ["smoke.mjs"], { cwd: project }));

    // The consumer type-checks against the installed package and Node's types only.
    mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
    symlinkSync(
      join(root, "node_modules", "@types", "node"),
      join(project, "node_modules", "@types", "node"),
    );
    symlinkSync(
      join(root, "node_modules", "undici-types"),
      join(project, "node_modules", "undici-types"),
    );
    writeFileSync(join(project, "consumer.mts"), CONSUMER_ESM);
    writeFileSync(join(project, "consumer.cts"), CONSUMER_CJS);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2022", "dom"],
          types: ["node"],
        },
        files: ["consumer.mts", "consumer.cts"],
      }),
    );
    await step(
      "npm types: strict TypeScript consumer",
      await run(bin("tsc"), ["-p", "tsconfig.json"], { cwd: project }),
    );

    const keepwireBin = join(project, "node_modules", ".bin", "keepwire");
    const help = await run(nodes[0], [keepwireBin, "--help"], { cwd: project });
    await step("npm bin: keepwire --help", {
      code: help.code === 0 && /usage/i.test(help.output) ? 0 : 1,
    });
    const echo = await binServesAndStops(nodes[0], keepwireBin, project, env);
    console.log(echo.output);
    await step("npm bin: keepwire echo, SIGTERM", echo);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
