#!/usr/bin/env node
/**
 * `npm start`: serve the demo site with the keepwire CLI under Deno.
 * Extra arguments pass through: `npm start -- --port 9000`.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
const child = spawn(deno, args, { cwd: root, stdio: "inherit" });
// Ctrl-C reaches the child through the terminal's process group; exit with its status.
child.on("error", (error) => {
  console.error(`could not start ${deno}: ${error.message}`);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
