/**
 * The `keepwire` command line: `keepwire serve [dir]`, `keepwire echo` and
 * `keepwire proxy --to URL`.
 *
 * ```sh
 * deno run -A lib/cli.ts serve site --port 8080
 * bun lib/cli.ts echo --port 0 --keep-alive-timeout 2
 * ```
 *
 * The first line on stdout is always `Listening on http://HOST:PORT/` (tests
 * and scripts parse it): `https://` with `--cert`/`--key`, and
 * `http+unix://PATH/` (the path percent-encoded) with `--unix`. SIGINT or
 * SIGTERM shuts the server down gracefully and exits 0; a second signal
 * exits at once with 1. Usage errors print one line on stderr and exit 2; a
 * server that cannot start (the port is taken, Deno lacks a permission)
 * prints one line and exits 1.
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import type { Handler, Server } from "./connection/options.ts";
import { type CliCommand, parseArgs, USAGE, UsageError } from "./cli/args.ts";
import { commandLineArgs, exitProcess, onShutdownSignal } from "./cli/process.ts";
import { isMainModule } from "./cli/main_module.ts";
import { missingPermission } from "./cli/permissions.ts";
import { VERSION } from "./cli/version.ts";
import {
  isWorkerProcess,
  onSupervisorStop,
  superviseWorkers,
  workersUseReusePort,
} from "./cli/workers.ts";
import { createEchoHandler } from "./handlers/echo.ts";
import { createFileHandler } from "./handlers/files.ts";
import { createProxyHandler, type ProxyOptions } from "./handlers/proxy.ts";
import { createLiveHandler, LIVE_PREFIX } from "./handlers/live.ts";
import { isLoopbackHostname } from "./handlers/loopback.ts";
import { splitTarget } from "./handlers/target.ts";
import { plainLightRequestUrl } from "./fetch/light_request.ts";
import { serve } from "./serve.ts";

function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** The origin the first line announces (`http+unix:` with the path percent-encoded, as curl-like tools spell it). */
function announcedOrigin(server: Server, secure: boolean): string {
  const { transport, hostname, port, path } = server.addr;
  const scheme = secure ? "https" : "http";
  if (transport === "unix") return `${scheme}+unix://${encodeURIComponent(path ?? "")}`;
  return `${scheme}://${urlHost(hostname)}:${port}`;
}

/** `--cert`/`--key` read into the `tls` option, before anything binds. */
async function readTlsFiles(
  files: CliCommand["tlsFiles"],
): Promise<{ tls?: { cert: string; key: string } }> {
  if (files === undefined) return {};
  const [cert, key] = await Promise.all([
    readFile(files.cert, "utf8"),
    readFile(files.key, "utf8"),
  ]);
  return { tls: { cert, key } };
}

/**
 * `serve`'s and `proxy`'s handler: the live page under its prefix (once
 * `startLive` has built it, and only when it is on), `inner` everywhere
 * else. The live page is built after `serve()` resolves so it observes the
 * server from its first connection: no socket is accepted before that
 * continuation runs.
 */
function withLivePage(inner: Handler): { handler: Handler; startLive(live: Handler): void } {
  let live: Handler | null = null;
  const livePrefix = LIVE_PREFIX.slice(0, -1);
  const handler: Handler = (request, info) => {
    if (live === null) return inner(request, info);
    // A plain URL is split as it is: parsing it per request here cost ~2.5 %
    // of a proxied request on Node.
    const { path } = splitTarget(plainLightRequestUrl(request) ?? request.url);
    return path.startsWith(livePrefix) &&
        (path.length === livePrefix.length || path[livePrefix.length] === "/")
      ? live(request, info)
      : inner(request, info);
  };
  return { handler, startLive: (handler) => (live = handler) };
}

/** What `serve` finds at its folder: a folder, something else, or a permission it lacks. */
async function inspectFolder(path: string): Promise<"folder" | "not a folder" | string> {
  try {
    return (await stat(path)).isDirectory() ? "folder" : "not a folder";
  } catch (error) {
    return missingPermission(error) ?? "not a folder";
  }
}

/**
 * Runs the command line and resolves with the exit status: 0 after a
 * graceful shutdown or `--help`, 1 when the server cannot start, 2 on a
 * usage error.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["--port", "x", "echo"]), 2);
 * ```
 *
 * @param argv the arguments after the program name
 * @returns the exit status
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    // Deno without a permission the command needs (--allow-env and
    // --allow-run for --workers, say): one line, not a stack trace.
    const flag = missingPermission(error);
    if (flag === undefined) throw error;
    console.error(`keepwire: Deno needs ${flag}: ${(error as Error).message}`);
    return 1;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  let command: CliCommand;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`keepwire: ${error.message}`);
    return error.exitCode;
  }
  if (command.command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command.command === "version") {
    console.log(`keepwire ${VERSION}`);
    return 0;
  }
  if (command.command === "serve") {
    const folder = await inspectFolder(command.dir);
    if (folder === "not a folder") {
      console.error(`keepwire: serve: "${command.dir}" is not a folder`);
      return 2;
    }
    if (folder !== "folder") {
      console.error(`keepwire: Deno needs ${folder} to serve "${command.dir}"`);
      return 1;
    }
  }

  const worker = isWorkerProcess();
  if ((command.workers ?? 1) > 1 && !worker) {
    const { hostname, port } = command.options;
    return await superviseWorkers(command.workers!, argv, hostname, port);
  }
  let proxyOptions: ProxyOptions | undefined;
  if (command.command === "proxy" && command.proxy !== undefined) {
    const { upstreamCaFile, ...proxy } = command.proxy;
    try {
      proxyOptions = upstreamCaFile === undefined
        ? proxy
        : { ...proxy, upstreamCa: await readFile(upstreamCaFile, "utf8") };
    } catch (error) {
      console.error(`keepwire: cannot read --upstream-ca: ${(error as Error).message}`);
      return 1;
    }
  }
  let tls: Awaited<ReturnType<typeof readTlsFiles>>;
  try {
    tls = await readTlsFiles(command.tlsFiles);
  } catch (error) {
    console.error(`keepwire: cannot read the certificate or key: ${(error as Error).message}`);
    return 1;
  }
  // The CLI runs only its own handlers, so the light Fetch objects are safe
  // on every runtime here (a library user opts in on Deno and Bun).
  const options = {
    ...command.options,
    ...tls,
    lightFetchObjects: true,
    ...(worker && workersUseReusePort() ? { reusePort: true } : {}),
  };

  let server: Server | undefined;
  const getServer = (): Server | undefined => server;
  const stopping = new AbortController();
  const proxy = proxyOptions === undefined ? null : createProxyHandler(proxyOptions);
  // The live page of a proxy shows both sides: its clients and its upstream pools.
  const site = command.command === "serve"
    ? withLivePage(createFileHandler(command.dir, { dotfiles: command.dotfiles ?? false }))
    : proxy !== null
    ? withLivePage(proxy)
    : null;
  const handler = site?.handler ?? createEchoHandler(getServer);

  try {
    server = await serve(options, handler);
  } catch (error) {
    stopping.abort();
    await proxy?.close();
    const flag = missingPermission(error);
    if (flag !== undefined) {
      const { hostname, port } = command.options;
      console.error(`keepwire: Deno needs ${flag} to listen on ${hostname}:${port}`);
      return 1;
    }
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === "string"
      ? code
      : error instanceof Error
      ? error.message
      : String(error);
    console.error(
      `keepwire: cannot listen on ${
        command.options.path ?? `${command.options.hostname}:${command.options.port}`
      }: ${reason}`,
    );
    return 1;
  }
  // Listen for signals before announcing the address: whoever reads that
  // line may signal at once.
  const stopRequested = new Promise<string>((resolve) => {
    const remove = onShutdownSignal((name) => {
      remove();
      resolve(name);
    });
    if (worker) {
      onSupervisorStop(() => {
        remove();
        resolve("supervisor");
      });
    }
  });
  // The live page shows every client's address: on by default only where no one else can look.
  const liveOn = command.live ?? isLoopbackHostname(command.options.hostname);
  if (site !== null && liveOn) {
    site.startLive(
      createLiveHandler({ getServer, signal: stopping.signal, upstreams: proxy?.upstreams }),
    );
  }
  const origin = announcedOrigin(server, tls.tls !== undefined);
  console.log(`Listening on ${origin}/`);
  if (proxy !== null) console.log(`Proxying to ${command.proxy!.upstreams.join(" ")}`);
  if (command.command === "serve") console.log(`Serving ${command.dir}`);
  if (site !== null) {
    if (liveOn) {
      console.log(`Live connections: ${origin}${LIVE_PREFIX}`);
      console.log(`Metrics: ${origin}${LIVE_PREFIX}metrics`);
    } else {
      console.log(
        command.live === false
          ? "Live page off (--no-live)"
          : `Live page off: ${command.options.hostname} is not a loopback address (--live turns it on)`,
      );
    }
  }

  const signal = await stopRequested;
  // A second signal means "now": the operator no longer wants to wait for in-flight requests.
  onShutdownSignal(() => exitProcess(1));
  // A worker's supervisor has already said why.
  if (!worker) console.error(`keepwire: ${signal}, shutting down`);
  stopping.abort();
  await server.shutdown();
  await proxy?.close();
  return 0;
}

// No top-level await, so the CommonJS build can expose main() too.
if (isMainModule(import.meta)) main(commandLineArgs()).then(exitProcess);
