/**
 * nginx as a reverse proxy for the proxy benches and the stale-connection
 * comparison (issue 17): one worker, an upstream block with a keep-alive
 * pool configured as its documentation shows (`keepalive N`,
 * `keepalive_timeout`, HTTP/1.1 and an empty `Connection` to the
 * upstream), in a temporary prefix, optionally pinned to CPUs.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Where Debian's nginx-light puts the binary (not always on a user's PATH). */
export const NGINX: string = process.env.NGINX ??
  (existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx");

/** True when the nginx binary is there (the suite skips its nginx comparison otherwise). */
export const HAS_NGINX: boolean = NGINX === "nginx" ? false : existsSync(NGINX);

/** A running nginx. */
export interface RunningNginx {
  readonly name: string;
  /** The nginx process (with `singleProcess`, the one that does the work). */
  readonly pid: number;
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  stop(): Promise<void>;
}

/** How nginx reaches its upstream. */
export interface NginxOptions {
  /** The upstream's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** `keepalive N`: idle upstream connections kept per worker (default 32). */
  readonly keepalive?: number;
  /** `keepalive_timeout` (default "60s", the naive setting). */
  readonly keepaliveTimeout?: string;
  /** CPUs to pin the worker to with taskset (default: not pinned). */
  readonly cpus?: string;
  /**
   * `master_process off`: one process does the work, so its CPU time is
   * `pid`'s (what bench_proxy_cpu.ts measures). Default false.
   */
  readonly singleProcess?: boolean;
}

function freePortNow(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts nginx (one worker, upstream keep-alive on) in front of the upstream. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const keepalive = options.keepalive ?? 32;
  const keepaliveTimeout = options.keepaliveTimeout ?? "60s";
  const dir = mkdtempSync(join(tmpdir(), "keepwire-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  const port = await freePortNow();
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;
${options.singleProcess === true ? "master_process off;\n" : ""}daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${options.upstreamPort};
    keepalive ${keepalive};
    keepalive_timeout ${keepaliveTimeout};
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );
  const command = [NGINX, "-p", dir, "-c", join(dir, "nginx.conf")];
  const child = spawn(
    options.cpus === undefined ? command[0] : "taskset",
    options.cpus === undefined ? command.slice(1) : ["-c", options.cpus, ...command],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  const kill = (signal: "SIGQUIT" | "SIGKILL") => {
    try {
      process.kill(-child.pid!, signal);
    } catch { /* gone */ }
  };
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${stderr}`, { cause: error });
  }
  return {
    name: `nginx (1 worker, keepalive ${keepalive}, keepalive_timeout ${keepaliveTimeout})`,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        kill("SIGQUIT");
        const timer = setTimeout(() => kill("SIGKILL"), 3_000);
        await exited;
        clearTimeout(timer);
      }
      kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
