/**
 * What the three runtime files share beyond the byte queue: the role of a
 * socket, Unix socket files, TLS handshake deadlines and ALPN, and telling
 * a refused certificate from other failures.
 *
 * `node:fs` and `node:net` are used on every runtime here: Deno and Bun
 * implement both, and a socket file is a file-system question.
 *
 * @module
 */

import { lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { CertificateError } from "../transport.ts";

/**
 * Where a socket came from, which decides what the peer's FIN means: an
 * accepted socket stays writable (the server half-closes, RFC 9112 §9.6),
 * a dialled one closes.
 */
export type SocketRole = "accepted" | "dialled";

/**
 * The only application protocol keepwire speaks over TLS (RFC 7301). A
 * client offering `h2` and `http/1.1` gets `http/1.1`; one offering only
 * `h2` is refused at the handshake (`no_application_protocol`).
 */
export const ALPN_PROTOCOLS: string[] = ["http/1.1"];

/**
 * Make `path` free for a new Unix socket: a socket file that nothing listens
 * on any more (a server that died without cleaning up) is removed; a live
 * one, or a file that is not a socket, is an error and is left alone.
 */
export async function prepareUnixPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw addressInUse(path, "is not a socket");
  if (await somethingListens(path)) throw addressInUse(path, "has a live listener");
  try {
    unlinkSync(path);
  } catch {
    // Removed by someone else meanwhile: free either way.
  }
}

/** Remove the socket file a closed listener leaves (Deno and Bun leave it). */
export function removeUnixPath(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function addressInUse(path: string, why: string): Error {
  return Object.assign(new Error(`listen EADDRINUSE: ${path} ${why}`), { code: "EADDRINUSE" });
}

/** The error a handshake that took too long is reported with. */
export function handshakeTimeoutError(ms: number): Error {
  return Object.assign(new Error(`TLS handshake not complete within ${ms} ms`), {
    code: "ERR_TLS_HANDSHAKE_TIMEOUT",
  });
}

/**
 * Calls `onTimeout` after `ms` unless the returned cancel function runs
 * first; 0 or undefined never fires.
 */
export function handshakeDeadline(ms: number | undefined, onTimeout: () => void): () => void {
  if (ms === undefined || ms <= 0) return () => {};
  const timer = setTimeout(onTimeout, ms);
  return () => clearTimeout(timer);
}

// OpenSSL's X509 verification codes as Node and Bun report them, plus
// Node's host-name check (tls.checkServerIdentity).
const CERTIFICATE_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*|CERT_.*|.*_CERT_.*|HOSTNAME_MISMATCH|ERR_TLS_CERT_.*)$/;

/**
 * `error` as a {@linkcode CertificateError} when it says the peer's
 * certificate was refused (OpenSSL codes on Node and Bun, rustls' "invalid
 * peer certificate" on Deno); otherwise `error` itself.
 */
export function classifyTlsError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const refused = (typeof code === "string" && CERTIFICATE_CODES.test(code)) ||
    /invalid peer certificate|certificate verify failed/i.test(message);
  return refused ? new CertificateError(message, error) : error;
}

/** PEM strings as one list, for the runtimes that want an array of CAs. */
export function caList(ca: string | readonly string[] | undefined): string[] | undefined {
  if (ca === undefined) return undefined;
  return typeof ca === "string" ? [ca] : [...ca];
}
