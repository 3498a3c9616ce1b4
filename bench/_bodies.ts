/**
 * Body throughput: one large download (`GET /bytes?n=N`) or upload
 * (`POST /echo` with an N-byte body), timed by curl pinned to the load CPU,
 * with the server's peak RSS.
 *
 * curl rather than a socket client in this process: on this machine a
 * node:net client under Deno read at 300–400 MB/s where curl read the same
 * node:http download at 750+ MB/s, so it would have measured itself.
 *
 * `/echo` streams the body and counts it, answering JSON with its first MiB;
 * the node:http anchor does the same work. The requests say
 * `Connection: close`; curl's `Expect: 100-continue` is turned off so no
 * server waits a second for it.
 *
 * @module
 */

import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryKiB, runCommand, sleep } from "./_process.ts";

/** RSS is sampled this often during a transfer, on top of VmHWM at the end. */
const SAMPLE_MS = 50;
/** A transfer slower than 2 MB/s is broken, not slow: give up. */
const MIN_BYTES_PER_MS = 2_000;

/** One transfer's figures. */
export interface BodyResult {
  direction: "download" | "upload";
  bytes: number;
  seconds: number;
  /** Payload megabytes (10^6 bytes) per second; 0 when the status was not 200. */
  megabytesPerSecond: number;
  status: number;
  baselineKiB: number;
  peakKiB: number;
}

let uploadFile: { path: string; bytes: number } | undefined;

/** A file of `bytes` × "x" to upload (valid UTF-8, so `/echo`'s JSON stays the same size). */
function fileOf(bytes: number): string {
  if (uploadFile?.bytes === bytes) return uploadFile.path;
  removeUploadFile();
  const path = join(tmpdir(), `keepwire-bench-upload-${bytes}.bin`);
  const piece = new Uint8Array(1024 * 1024).fill(0x78);
  const fd = openSync(path, "w");
  try {
    for (let left = bytes; left > 0; left -= piece.byteLength) {
      writeSync(fd, left >= piece.byteLength ? piece : piece.subarray(0, left));
    }
  } finally {
    closeSync(fd);
  }
  uploadFile = { path, bytes };
  return path;
}

/** Deletes the upload file, if one was made. */
export function removeUploadFile(): void {
  if (uploadFile !== undefined) rmSync(uploadFile.path, { force: true });
  uploadFile = undefined;
}

/** Runs one transfer of `bytes` against the echo routes of the server at `port` (process `pid`). */
export async function measureBody(
  pid: number,
  port: number,
  direction: "download" | "upload",
  bytes: number,
  cpus: string,
): Promise<BodyResult> {
  const origin = `http://127.0.0.1:${port}`;
  const transferArgs = direction === "download" ? [`${origin}/bytes?n=${bytes}`] : [
    "-X",
    "POST",
    "-T",
    fileOf(bytes),
    "-H",
    "Content-Type: application/octet-stream",
    "-H",
    "Expect:",
    `${origin}/echo`,
  ];
  await sleep(500);
  const baselineKiB = await memoryKiB(pid, "VmRSS");
  let peakKiB = baselineKiB;
  const sampler = setInterval(() => {
    memoryKiB(pid, "VmRSS").then((kib) => peakKiB = Math.max(peakKiB, kib), () => {});
  }, SAMPLE_MS);
  try {
    const result = await runCommand("taskset", [
      "-c",
      cpus,
      "curl",
      "--silent",
      "--show-error",
      "--output",
      "/dev/null",
      "-H",
      "Connection: close",
      "--write-out",
      "%{http_code} %{size_download} %{time_total}",
      ...transferArgs,
    ], 30_000 + bytes / MIN_BYTES_PER_MS);
    peakKiB = Math.max(peakKiB, await memoryKiB(pid, "VmHWM"));
    const [status, downloaded, seconds] = result.stdout.trim().split(" ").map(Number);
    if (result.code !== 0) throw new Error(`curl exited ${result.code}: ${result.stderr.trim()}`);
    if (status === 200 && direction === "download" && downloaded !== bytes) {
      throw new Error(`download ended after ${downloaded} of ${bytes} body bytes`);
    }
    return {
      direction,
      bytes,
      seconds,
      megabytesPerSecond: status === 200 ? bytes / 1e6 / seconds : 0,
      status,
      baselineKiB,
      peakKiB,
    };
  } finally {
    clearInterval(sampler);
  }
}
