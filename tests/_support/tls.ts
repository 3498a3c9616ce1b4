/**
 * The TLS fixture: a self-signed certificate for `localhost` and 127.0.0.1,
 * valid for a hundred years, committed beside this file so no test needs a
 * network CA or a clock-sensitive key. Made with:
 *
 *   openssl req -x509 -newkey rsa:2048 -days 36500 -nodes -subj /CN=localhost \
 *     -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
 *     -addext basicConstraints=critical,CA:FALSE -keyout key.pem -out cert.pem
 *
 * `CA:FALSE` matters: openssl marks a self-signed certificate as a CA by
 * default, and Deno's TLS (rustls/webpki) refuses a CA certificate as the
 * server's own ("CaUsedAsEndEntity") even when it is trusted with `ca`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of a file in tests/_support/tls/. Resolved through `..`
 * because the Node runner bundles each test and sets `import.meta.url` to
 * the test file (tests/<area>/x_test.ts), not to this one: from either
 * folder, `../_support/tls/` is the same place.
 */
export function tlsFixturePath(name: "cert.pem" | "key.pem"): string {
  return fileURLToPath(new URL(`../_support/tls/${name}`, import.meta.url));
}

/** The certificate, PEM (also the CA that trusts it). */
export const TEST_CERT: string = readFileSync(tlsFixturePath("cert.pem"), "utf8");
/** Its private key, PEM. */
export const TEST_KEY: string = readFileSync(tlsFixturePath("key.pem"), "utf8");
