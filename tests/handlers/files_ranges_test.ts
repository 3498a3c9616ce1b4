// Byte ranges over real TCP: single ranges, If-Range with strong ETags, multipart/byteranges,
// coalescing and the limits against range amplification (RFC 9110 §14, §13.1.5).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_RANGE_SPECS } from "../../lib/handlers/ranges.ts";
import type { WireResponse } from "../_support/http_reader.ts";
import { BIG, comparableFields, useServedSite } from "./_files_fixture.ts";

const shared = useServedSite();
const get = shared.get;

interface Part {
  headers: Map<string, string>;
  body: Uint8Array;
}

/** Splits a multipart/byteranges body by its boundary, independently of the server's code. */
function parseMultipart(response: WireResponse): Part[] {
  const match = /^multipart\/byteranges; boundary=(\S+)$/.exec(
    response.headers.get("content-type") ?? "",
  );
  assert.ok(match !== null, response.headers.get("content-type"));
  const latin1 = new TextDecoder("latin1").decode(response.body);
  const delimiter = `--${match[1]}`;
  assert.ok(latin1.endsWith(`\r\n${delimiter}--\r\n`), "closing delimiter");
  const pieces = latin1.slice(0, -`\r\n${delimiter}--\r\n`.length).split(`\r\n${delimiter}\r\n`);
  assert.ok(pieces[0].startsWith(`${delimiter}\r\n`));
  pieces[0] = pieces[0].slice(delimiter.length + 2);
  return pieces.map((piece) => {
    const blank = piece.indexOf("\r\n\r\n");
    const headers = new Map<string, string>();
    for (const line of piece.slice(0, blank).split("\r\n")) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const body = Uint8Array.from(piece.slice(blank + 4), (char) => char.charCodeAt(0));
    return { headers, body };
  });
}

describe("file server: single ranges", () => {
  test("answers a single Range with 206 and Content-Range", async () => {
    const cases: Array<[string, string, string]> = [
      ["bytes=0-4", "bytes 0-4/12", "Hello"],
      ["bytes=7-", "bytes 7-11/12", "file!"],
      ["bytes=-5", "bytes 7-11/12", "file!"],
      ["bytes=7-100", "bytes 7-11/12", "file!"],
      ["bytes=-100", "bytes 0-11/12", "Hello, file!"],
    ];
    for (const [range, contentRange, body] of cases) {
      const response = await get("/hello.txt", { range });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get("content-range"), contentRange);
      assert.equal(response.headers.get("content-length"), String(body.length));
      assert.equal(response.text, body);
    }
  });

  test("answers a range in the middle of a large file", async () => {
    const response = await get("/big.bin", { range: "bytes=70000-200000" });
    assert.equal(response.status, 206);
    assert.equal(response.body.byteLength, 130001);
    assert.equal(response.body[0], 70000 % 251);
    assert.equal(response.body[130000], 200000 % 251);
  });

  test("answers an unsatisfiable Range with 416 and bytes */size", async () => {
    for (const range of ["bytes=12-", "bytes=100-200", "bytes=-0", "bytes=20-30,40-"]) {
      const response = await get("/hello.txt", { range });
      assert.equal(response.status, 416, range);
      assert.equal(response.headers.get("content-range"), "bytes */12");
    }
  });

  test("ignores a malformed Range or another unit and sends the whole file", async () => {
    for (const range of ["items=0-1", "bytes=5-2", "bytes=x-", "bytes", "bytes=0-1,x"]) {
      const response = await get("/hello.txt", { range });
      assert.equal(response.status, 200, range);
      assert.equal(response.text, "Hello, file!");
    }
  });
});

describe("file server: If-Range (resuming a download)", () => {
  test("resumes with 206 when If-Range carries the current strong ETag", async () => {
    const etag = (await get("/big.bin", {}, "HEAD")).headers.get("etag")!;
    assert.ok(!etag.startsWith("W/"), etag);
    const response = await get("/big.bin", { range: "bytes=300000-", "if-range": etag });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get("content-range"), `bytes 300000-${BIG - 1}/${BIG}`);
    assert.equal(response.body.byteLength, BIG - 300000);
    assert.equal(response.body[0], 300000 % 251);
  });

  test("sends everything (200) when If-Range names another or a weak tag", async () => {
    const etag = (await get("/hello.txt", {}, "HEAD")).headers.get("etag")!;
    for (const ifRange of ['"some-etag"', `W/${etag}`]) {
      const response = await get("/hello.txt", { range: "bytes=0-4", "if-range": ifRange });
      assert.equal(response.status, 200, ifRange);
      assert.equal(response.text, "Hello, file!");
    }
  });

  test("resumes with a date only when it equals Last-Modified", async () => {
    const exact = { range: "bytes=0-4", "if-range": "Fri, 01 Mar 2024 12:00:00 GMT" };
    assert.equal((await get("/hello.txt", exact)).status, 206);
    const other = { range: "bytes=0-4", "if-range": "Fri, 01 Mar 2024 12:00:01 GMT" };
    assert.equal((await get("/hello.txt", other)).status, 200);
  });
});

describe("file server: multipart/byteranges", () => {
  test("answers two ranges with 206 multipart/byteranges and an exact length", async () => {
    const response = await get("/big.bin", { range: "bytes=0-9,200000-200009" });
    assert.equal(response.status, 206);
    assert.equal(response.framing, "length");
    assert.equal(response.headers.get("content-range"), undefined);
    const parts = parseMultipart(response);
    assert.equal(parts.length, 2);
    assert.deepEqual(
      parts.map((part) => part.headers.get("content-range")),
      [`bytes 0-9/${BIG}`, `bytes 200000-200009/${BIG}`],
    );
    for (const part of parts) {
      assert.equal(part.headers.get("content-type"), "application/octet-stream");
    }
    assert.deepEqual([...parts[0].body], Array.from({ length: 10 }, (_, i) => i % 251));
    assert.deepEqual([...parts[1].body], Array.from({ length: 10 }, (_, i) => (200000 + i) % 251));
  });

  test("sends the parts in ascending order and skips unsatisfiable ranges", async () => {
    const response = await get("/big.bin", { range: "bytes=5000-5001, 999999-, 0-1" });
    const parts = parseMultipart(response);
    assert.deepEqual(
      parts.map((part) => [part.headers.get("content-range"), [...part.body]]),
      [[`bytes 0-1/${BIG}`, [0, 1]], [`bytes 5000-5001/${BIG}`, [5000 % 251, 5001 % 251]]],
    );
  });

  test("coalesces overlapping and nearby ranges, so parts never exceed the file", async () => {
    const overlapping = await get("/big.bin", { range: "bytes=0-,0-,0-,0-,0-" });
    assert.equal(overlapping.status, 206);
    assert.equal(overlapping.headers.get("content-range"), `bytes 0-${BIG - 1}/${BIG}`);
    assert.equal(overlapping.body.byteLength, BIG);
    const nearby = await get("/big.bin", { range: "bytes=100-199,150-249,260-299" });
    assert.equal(nearby.headers.get("content-range"), `bytes 100-299/${BIG}`);
    assert.equal(nearby.body.byteLength, 200);
  });

  test(`ignores a Range of more than ${MAX_RANGE_SPECS} ranges (200, the whole file)`, async () => {
    const specs = (count: number) =>
      "bytes=" + Array.from({ length: count }, (_, i) => `${i * 1000}-${i * 1000 + 1}`).join(",");
    const atLimit = await get("/big.bin", { range: specs(MAX_RANGE_SPECS) });
    assert.equal(atLimit.status, 206);
    assert.equal(parseMultipart(atLimit).length, MAX_RANGE_SPECS);
    const over = await get("/big.bin", { range: specs(MAX_RANGE_SPECS + 1) });
    assert.equal(over.status, 200);
    assert.equal(over.body.byteLength, BIG);
  });

  test("answers HEAD of a multi-range request with GET's fields and length", async () => {
    const range = { range: "bytes=0-9,500-509" };
    const got = await get("/big.bin", range);
    const head = await get("/big.bin", range, "HEAD");
    assert.equal(head.status, 206);
    assert.deepEqual(comparableFields(head), comparableFields(got));
    assert.equal(head.headers.get("content-length"), String(got.body.byteLength));
  });
});
