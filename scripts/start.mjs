#!/usr/bin/env node
/**
 * `npm start`: serve the demo site with the keepwire CLI under Deno.
 * Extra arguments pass through: `npm start -- --port 9000`.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP sent to this process are forwarded to
 * the server, which shuts down gracefully; this process waits for it and
 * exits with its status. The server runs in its own process group, so a
 * Ctrl-C in the terminal reaches it once (through here), not twice: a
 * second signal tells the CLI to stop at once rather than finish in-flight
 * requests. If this process is orphaned (its parent, `npm start`'s shell,
 * was killed), it stops the server the same way.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants } from "node:os";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "lib", "cli.ts");

if (!existsSync(cli)) {
  console.log("The keepwire CLI (lib/cli.ts) is not built yet; nothing to start.");
  process.exit(0);
}

const deno = join(root, "node_modules", ".bin", "deno");
const args = [
  "run",
  "-A",
  cli,
  "serve",
  join(root, "scripts", "demo_site"),
  ...process.argv.slice(2),
];
const child = spawn(deno, args, { cwd: root, stdio: "inherit", detached: true });

const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => forward(signal));

// `npm start` runs this script under `sh -c`, and a SIGTERM sent to npm's
// pid reaches only that shell, which dies without passing it on (measured
// with npm 10 and dash). This process is then orphaned: notice it and stop
// the server as if the signal had come here.
const parentAtStart = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parentAtStart) return;
  clearInterval(orphanWatch);
  forward("SIGTERM");
}, 250);
orphanWatch.unref();
child.on("error", (error) => {
  console.error(`could not start ${deno}: ${error.message}`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
