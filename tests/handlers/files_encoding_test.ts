// Content codings over real TCP: Accept-Encoding with q-values, precompressed siblings,
// gzip on the fly, Vary, validators per variant, ranges on identity only, HEAD = GET.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { comparableFields, CSS, JS, useServedSite } from "./_files_fixture.ts";

const shared = useServedSite();
const get = shared.get;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("file server: compression on the fly", () => {
  test("gzips a compressible file for a client that accepts gzip", async () => {
    const response = await get("/style.css", { "accept-encoding": "gzip, deflate" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(response.headers.get("vary"), "Accept-Encoding");
    assert.equal(response.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(text(gunzipSync(response.body)), CSS);
    assert.ok(response.body.byteLength < CSS.length / 3, `${response.body.byteLength} bytes`);
  });

  test("gives the gzip variant a weak ETag of its own, and 304s it", async () => {
    const identity = await get("/style.css");
    const zipped = await get("/style.css", { "accept-encoding": "gzip" });
    const etag = zipped.headers.get("etag")!;
    assert.ok(etag.startsWith('W/"'), etag);
    assert.equal(etag, `W/${identity.headers.get("etag")!.slice(0, -1)}-gzip"`);
    const again = await get("/style.css", { "accept-encoding": "gzip", "if-none-match": etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("vary"), "Accept-Encoding");
    assert.equal(again.headers.get("etag"), etag);
    // The identity tag does not validate the gzip variant, nor the other way round.
    const crossed = { "accept-encoding": "gzip", "if-none-match": identity.headers.get("etag")! };
    assert.equal((await get("/style.css", crossed)).status, 200);
  });

  test("sends identity without Accept-Encoding, with Vary and the strong ETag", async () => {
    const response = await get("/style.css");
    assert.equal(response.headers.get("content-encoding"), undefined);
    assert.equal(response.headers.get("vary"), "Accept-Encoding");
    assert.equal(response.headers.get("content-length"), String(CSS.length));
    assert.match(response.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(response.text, CSS);
  });

  test("follows q-values, *, x-gzip and identity;q=0", async () => {
    const cases: Array<[string, string | undefined]> = [
      ["gzip;q=0", undefined],
      ["gzip;q=0.001", "gzip"], // a listed coding beats an unlisted identity
      ["identity, gzip;q=0.5", undefined], // a listed identity at q=1 beats gzip at 0.5
      ["*", "gzip"],
      ["*;q=0, identity", undefined],
      ["x-gzip", "gzip"],
      ["br", undefined], // no brotli on the fly
      ["deflate", undefined],
      ["", undefined],
    ];
    for (const [accept, expected] of cases) {
      const response = await get("/style.css", { "accept-encoding": accept });
      assert.equal(response.headers.get("content-encoding"), expected, accept);
      const body = expected === "gzip" ? text(gunzipSync(response.body)) : response.text;
      assert.equal(body, CSS, accept);
    }
  });

  test("leaves small bodies alone unless the client refuses identity", async () => {
    const small = await get("/hello.txt", { "accept-encoding": "gzip" });
    assert.equal(small.headers.get("content-encoding"), undefined);
    assert.equal(small.headers.get("vary"), undefined, "the same bytes for every client");
    assert.equal(small.text, "Hello, file!");
    const refused = await get("/hello.txt", { "accept-encoding": "gzip, identity;q=0" });
    assert.equal(refused.headers.get("content-encoding"), "gzip");
    assert.equal(refused.headers.get("vary"), "Accept-Encoding");
    assert.equal(text(gunzipSync(refused.body)), "Hello, file!");
  });

  test("never compresses images, and does not Vary for them", async () => {
    const response = await get("/logo.png", { "accept-encoding": "gzip, br" });
    assert.equal(response.headers.get("content-encoding"), undefined);
    assert.equal(response.headers.get("vary"), undefined);
    assert.equal(response.body.byteLength, 4096);
  });

  test("answers HEAD with GET's fields and no invented length", async () => {
    const accept = { "accept-encoding": "gzip" };
    const got = await get("/style.css", accept);
    const head = await get("/style.css", accept, "HEAD");
    // The server frames both the same way: a length when the gzip body was
    // complete within its 4 KiB look-ahead, else none (chunked for GET).
    const headLength = head.headers.get("content-length");
    if (headLength !== undefined) assert.equal(headLength, String(got.body.byteLength));
    const fields = comparableFields(got);
    const headFields = comparableFields(head);
    for (const name of ["content-length", "transfer-encoding"]) {
      delete fields[name];
      delete headFields[name];
    }
    assert.deepEqual(headFields, fields);
  });

  test("gzips a listing in memory and states its length", async () => {
    const response = await get("/", { "accept-encoding": "gzip" });
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(response.framing, "length");
    assert.ok(text(gunzipSync(response.body)).includes("hello.txt"));
  });
});

describe("file server: precompressed siblings", () => {
  test("serves file.br to a client that prefers brotli, with its length and strong ETag", async () => {
    const response = await get("/app.js", { "accept-encoding": "gzip, deflate, br" });
    assert.equal(response.headers.get("content-encoding"), "br");
    assert.equal(response.headers.get("vary"), "Accept-Encoding");
    assert.equal(response.framing, "length");
    assert.equal(text(brotliDecompressSync(response.body)), JS);
    assert.match(response.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+-br"$/);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
  });

  test("serves file.gz when brotli is not accepted, and each sibling 304s on its own tag", async () => {
    const response = await get("/app.js", { "accept-encoding": "gzip, br;q=0" });
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(text(gunzipSync(response.body)), JS);
    const etag = response.headers.get("etag")!;
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+-gz(ip)?"$/);
    const again = await get("/app.js", { "accept-encoding": "gzip", "if-none-match": etag });
    assert.equal(again.status, 304);
  });

  test("ignores a sibling older than its file", async () => {
    const response = await get("/stale.js", { "accept-encoding": "br" });
    assert.equal(response.headers.get("content-encoding"), undefined);
    assert.equal(response.text, JS);
    const zipped = await get("/stale.js", { "accept-encoding": "br, gzip" });
    assert.equal(zipped.headers.get("content-encoding"), "gzip", "gzip on the fly instead");
    assert.equal(text(gunzipSync(zipped.body)), JS);
  });

  test("answers HEAD for a sibling with GET's fields, Content-Length included", async () => {
    const accept = { "accept-encoding": "br" };
    const got = await get("/app.js", accept);
    const head = await get("/app.js", accept, "HEAD");
    assert.deepEqual(comparableFields(head), comparableFields(got));
    assert.equal(head.headers.get("content-length"), String(got.body.byteLength));
  });

  test("applies ranges to the identity coding only", async () => {
    const response = await get("/app.js", { "accept-encoding": "br, gzip", range: "bytes=0-5" });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get("content-encoding"), undefined);
    assert.equal(response.text, JS.slice(0, 6));
    const css = await get("/style.css", { "accept-encoding": "gzip", range: "bytes=-4" });
    assert.equal(css.status, 206);
    assert.equal(css.headers.get("content-encoding"), undefined);
    assert.equal(css.text, CSS.slice(-4));
  });

  test("picks a sibling up as soon as it is newer than the file", async () => {
    const future = new Date(Date.now() + 60_000);
    await utimes(join(shared.site.root, "stale.js.br"), future, future);
    const response = await get("/stale.js", { "accept-encoding": "br" });
    assert.equal(response.headers.get("content-encoding"), "br");
    assert.equal(text(brotliDecompressSync(response.body)), "old");
  });
});
