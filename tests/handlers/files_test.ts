// The file server over real TCP: paths, safety, dotfiles, listings, validators, HEAD.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createFileHandler } from "../../lib/handlers/files.ts";
import { RawClient } from "../_support/raw_client.ts";
import { readResponse } from "../_support/http_reader.ts";
import { fakeInfo } from "./_fake_server.ts";
import { BIG, comparableFields, fetchRaw, serveFiles, useServedSite } from "./_files_fixture.ts";

const shared = useServedSite();
const get = shared.get;

describe("file server: files and validators", () => {
  test("serves a file with its type, length and a strong mtime-size ETag", async () => {
    const response = await get("/hello.txt");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "12");
    assert.equal(response.headers.get("last-modified"), "Fri, 01 Mar 2024 12:00:00 GMT");
    const mtimeHex = new Date("2024-03-01T12:00:00Z").getTime().toString(16);
    assert.equal(response.headers.get("etag"), `"${mtimeHex}-c"`);
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    assert.equal(response.text, "Hello, file!");
  });

  test("streams a large file with the exact bytes, on one keep-alive connection", async () => {
    const client = await RawClient.connect(shared.port);
    for (let round = 0; round < 2; round++) {
      await client.write("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const response = await readResponse(client);
      assert.equal(response.headers.get("content-length"), String(BIG));
      assert.equal(response.body.byteLength, BIG);
      for (let i = 0; i < BIG; i += 4099) assert.equal(response.body[i], i % 251);
    }
    client.destroy();
  });

  test("answers HEAD with GET's fields, Content-Length included, and no body", async () => {
    for (const target of ["/big.bin", "/hello.txt", "/plain/", "/with-index/"]) {
      const got = await get(target);
      const head = await get(target, {}, "HEAD");
      assert.equal(head.status, 200, target);
      assert.deepEqual(comparableFields(head), comparableFields(got), target);
      assert.equal(head.headers.get("content-length"), String(got.body.byteLength), target);
    }
  });

  test("keeps HEAD's Content-Length with light and native Fetch objects alike", async () => {
    for (const light of [true, false]) {
      const other = await serveFiles(shared.site.root, {}, light);
      const head = await fetchRaw(other.addr.port, "/big.bin", {}, "HEAD");
      assert.equal(head.headers.get("content-length"), String(BIG), `light: ${light}`);
      await other.shutdown();
    }
  });

  test("refuses other methods with 405 and Allow", async () => {
    const response = await get("/hello.txt", { "content-length": "0" }, "POST");
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });

  test("answers 304 to a matching If-None-Match, weak or strong, in a list, or *", async () => {
    const etag = (await get("/hello.txt", {}, "HEAD")).headers.get("etag")!;
    for (const value of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
      const response = await get("/hello.txt", { "if-none-match": value });
      assert.equal(response.status, 304, value);
      assert.equal(response.headers.get("etag"), etag);
      assert.equal(response.body.byteLength, 0);
    }
    assert.equal((await get("/hello.txt", { "if-none-match": '"other"' })).status, 200);
  });

  test("answers 304 to If-Modified-Since at or after the mtime, and 200 before", async () => {
    const at = "Fri, 01 Mar 2024 12:00:00 GMT";
    assert.equal((await get("/hello.txt", { "if-modified-since": at })).status, 304);
    const later = "Sat, 02 Mar 2024 12:00:00 GMT";
    assert.equal((await get("/hello.txt", { "if-modified-since": later })).status, 304);
    const earlier = "Fri, 01 Mar 2024 11:59:59 GMT";
    assert.equal((await get("/hello.txt", { "if-modified-since": earlier })).status, 200);
    assert.equal((await get("/hello.txt", { "if-modified-since": "yesterday" })).status, 200);
    const both = { "if-none-match": '"other"', "if-modified-since": later };
    assert.equal((await get("/hello.txt", both)).status, 200, "If-None-Match wins");
  });
});

describe("file server: If-Match and If-Unmodified-Since (412)", () => {
  test("passes If-Match with the current strong ETag or *, and fails any other with 412", async () => {
    const etag = (await get("/hello.txt", {}, "HEAD")).headers.get("etag")!;
    for (const value of [etag, `"other", ${etag}`, "*"]) {
      const response = await get("/hello.txt", { "if-match": value });
      assert.equal(response.status, 200, value);
      assert.equal(response.text, "Hello, file!");
    }
    for (const value of ['"other"', `W/${etag}`]) {
      const response = await get("/hello.txt", { "if-match": value });
      assert.equal(response.status, 412, value);
      assert.equal(response.headers.get("etag"), etag);
    }
  });

  test("fails If-Match against a weak (gzip on the fly) variant, which * still passes", async () => {
    const accept = { "accept-encoding": "gzip" };
    const etag = (await get("/style.css", accept)).headers.get("etag")!;
    assert.equal((await get("/style.css", { ...accept, "if-match": etag })).status, 412);
    assert.equal((await get("/style.css", { ...accept, "if-match": "*" })).status, 200);
  });

  test("fails If-Unmodified-Since before the mtime, passes at or after it", async () => {
    const before = { "if-unmodified-since": "Fri, 01 Mar 2024 11:59:59 GMT" };
    assert.equal((await get("/hello.txt", before)).status, 412);
    const at = { "if-unmodified-since": "Fri, 01 Mar 2024 12:00:00 GMT" };
    assert.equal((await get("/hello.txt", at)).status, 200);
    assert.equal((await get("/hello.txt", { "if-unmodified-since": "never" })).status, 200);
  });

  test("evaluates If-Match before If-None-Match (RFC 9110 §13.2.2)", async () => {
    const etag = (await get("/hello.txt", {}, "HEAD")).headers.get("etag")!;
    const headers = { "if-match": '"other"', "if-none-match": etag };
    assert.equal((await get("/hello.txt", headers)).status, 412);
  });
});

describe("file server: folders and listings", () => {
  test("serves a folder's index.html", async () => {
    const response = await get("/with-index/");
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.text, "<h1>index</h1>");
  });

  test("redirects a folder without its trailing slash, keeping the query", async () => {
    const response = await get("/with-index?x=1");
    assert.equal(response.status, 301);
    assert.equal(response.headers.get("location"), "/with-index/?x=1");
  });

  test("lists a folder without index.html, with escaped names", async () => {
    const response = await get("/plain/");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = response.text;
    assert.ok(!html.includes("<img"));
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;.txt"));
    assert.ok(html.includes('href="%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt"'));
    assert.ok(html.includes('href="sub/"'));
    assert.ok(html.includes('href="../"'));
  });

  test("lists folders first, then files, in natural case-insensitive order", async () => {
    const html = (await get("/plain/")).text;
    const names = [...html.matchAll(/<a href="([^"]+)">/g)].map((match) => match[1]);
    assert.deepEqual(names, [
      "../",
      "a-dir/",
      "B-dir/",
      "sub/",
      "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt",
      "file1.txt",
      "File2.txt",
      "file10.txt",
    ]);
  });

  test("shows each file's size and modification time", async () => {
    const html = (await get("/")).text;
    const row = /<a href="hello\.txt">hello\.txt<\/a><\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/
      .exec(html);
    assert.ok(row !== null, html);
    assert.deepEqual([row[1], row[2]], ["12 B", "2024-03-01 12:00"]);
    assert.ok(html.includes("<td>300.0 KiB</td>"), "big.bin's size");
  });

  test("lists the root with escaped names and no parent link", async () => {
    const html = (await get("/")).text;
    assert.ok(html.includes("a b&amp;&lt;c&gt;.js"));
    assert.ok(!html.includes('href="../"'));
  });
});

describe("file server: nothing outside the folder, nothing hidden", () => {
  test("answers 404 for a missing file and for a file named like a folder", async () => {
    assert.equal((await get("/missing.txt")).status, 404);
    assert.equal((await get("/hello.txt/")).status, 404);
    assert.equal((await get("/hello.txt/x")).status, 404);
  });

  test("refuses encoded climbs, NUL and backslashes with 403", async () => {
    const targets = [
      "/..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/plain/..%2f..%2fsecret.txt",
      "/%00",
      "/hello.txt%00.png",
      "/..%5csecret.txt",
    ];
    for (const target of targets) {
      const response = await get(target);
      assert.equal(response.status, 403, target);
      assert.equal(response.text, "Forbidden\n");
    }
  });

  test("keeps dot-segments inside the folder (the URL is normalised first)", async () => {
    for (const target of ["/../secret.txt", "/%2e%2e/secret.txt", "/plain/../../secret.txt"]) {
      assert.equal((await get(target)).status, 404, target);
    }
  });

  test("decodes %-escapes exactly once", async () => {
    assert.equal((await get("/%252e%252e")).text, "literal name");
    assert.equal((await get("/a%20b%26%3Cc%3E.js")).text, "x");
  });

  test("answers a malformed %-escape with 400", async () => {
    assert.equal((await get("/%E0%A4%A")).status, 400);
    assert.equal((await get("/%ZZ")).status, 400);
  });

  test("hides symlinks that lead out of the folder, but follows those inside", async () => {
    assert.equal((await get("/link-out.txt")).status, 404);
    assert.equal((await get("/dir-out/key.txt")).status, 404);
    assert.equal((await get("/dir-out/")).status, 404);
    assert.equal((await get("/link-in.txt")).text, "Hello, file!");
  });

  test("does not list symlinks that lead out or nowhere", async () => {
    const html = (await get("/")).text;
    assert.ok(!html.includes("link-out.txt"), "a link out of the folder");
    assert.ok(!html.includes("dir-out"), "a folder link out of the folder");
    assert.ok(!html.includes("dangling"), "a dangling link");
    assert.ok(html.includes('href="link-in.txt"'), "a link inside is listed");
  });

  test("refuses dotfiles and dot-folders with 404, also through a symlink", async () => {
    for (const target of ["/.env", "/.git/config", "/.git/", "/.git", "/%2eenv", "/env-link"]) {
      const response = await get(target);
      assert.equal(response.status, 404, target);
      assert.equal(response.text, "Not Found\n", target);
    }
  });

  test("never lists dotfiles or dot-folders", async () => {
    const html = (await get("/")).text;
    assert.ok(!html.includes(".env"));
    assert.ok(!html.includes(".git"));
    assert.ok(!html.includes("env-link"), "a link to a dotfile is hidden too");
  });

  test("serves and lists dotfiles with dotfiles: true", async () => {
    const open = await serveFiles(shared.site.root, { dotfiles: true });
    try {
      const env = await fetchRaw(open.addr.port, "/.env");
      assert.equal(env.status, 200);
      assert.equal(env.text, "SECRET=1");
      assert.equal((await fetchRaw(open.addr.port, "/.git/config")).text, "[core]");
      const html = (await fetchRaw(open.addr.port, "/")).text;
      assert.ok(html.includes('href=".env"'));
      assert.ok(html.includes('href=".git/"'));
    } finally {
      await open.shutdown();
    }
  });

  test("never leaks paths or stack traces in error bodies", async () => {
    for (const target of ["/missing", "/link-out.txt", "/%00", "/%ZZ", "/.env"]) {
      const text = (await get(target)).text;
      assert.ok(!text.includes(shared.site.base), target);
      assert.ok(!text.includes("Error"), target);
      assert.ok(!text.includes(" at "), target);
    }
  });

  test("answers 404 when the served folder does not exist", async () => {
    const missing = await serveFiles(join(shared.site.base, "nowhere"));
    try {
      assert.equal((await fetchRaw(missing.addr.port, "/")).status, 404);
    } finally {
      await missing.shutdown();
    }
  });
});

describe("file handler called directly", () => {
  test("closes the file when the body is cancelled", async () => {
    const handler = createFileHandler(shared.site.root);
    const response = await handler(new Request("http://127.0.0.1/big.bin"), fakeInfo());
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    // A leaked handle would keep the process alive or warn on exit; reading again must still work.
    const again = await handler(
      new Request("http://127.0.0.1/big.bin", { headers: { range: "bytes=0-0" } }),
      fakeInfo(),
    );
    assert.equal(again.status, 206);
    assert.equal((await again.arrayBuffer()).byteLength, 1);
  });
});
