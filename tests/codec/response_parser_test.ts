import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../lib/codec/errors.ts";
import { ResponseParser } from "../../lib/codec/response_parser.ts";
import { encodeChunk, encodeLastChunk } from "../../lib/codec/chunks.ts";
import type { Framing } from "../../lib/codec/events.ts";
import { encodeResponseHead } from "../../lib/codec/response_writer.ts";
import {
  bytes,
  checkInvalid,
  checkValid,
  data,
  drive,
  end,
  head,
  interim,
  type InvalidCase,
  text,
  type ValidCase,
} from "./_response_parser_support.ts";

const CL = (n: number) => ["Content-Length", String(n)];

// deno-fmt-ignore
const valid: ValidCase[] = [
  // the common case: a length-framed body
  { name: "a Content-Length body", input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", events: [head({ headers: CL(5), framing: "length", contentLength: 5 }), data("hello"), end()] },
  // Content-Length: 0 frames an empty body, nothing to read
  { name: "Content-Length: 0", input: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", events: [head({ headers: CL(0) }), end()] },
  // RFC 9112 §6.3 item 1: 204 has no content
  { name: "204 without framing fields", input: "HTTP/1.1 204 No Content\r\n\r\n", events: [head({ status: 204, statusText: "No Content" }), end()] },
  // 304 with the Content-Length of the representation: still no content
  { name: "304 with Content-Length", input: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", events: [head({ status: 304, statusText: "Not Modified", headers: CL(10) }), end()] },
  // a HEAD answer carries the GET's framing fields but no content
  { name: "HEAD with Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", methods: ["HEAD"], events: [head({ method: "HEAD", headers: CL(10) }), end()] },
  { name: "HEAD with chunked", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", methods: ["HEAD"], events: [head({ method: "HEAD", headers: ["Transfer-Encoding", "chunked"] }), end()] },
  // chunked with an extension and a trailer
  { name: "a chunked body with trailers", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nDigest: z\r\n\r\n", events: [head({ headers: ["Transfer-Encoding", "chunked"], framing: "chunked" }), data("abcde"), end(["Digest", "z"])] },
  // HTTP/1.0 with a length persists like any framed response
  { name: "HTTP/1.0 with Content-Length", input: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", events: [head({ version: "1.0", headers: [...CL(2), "Connection", "keep-alive"], framing: "length", contentLength: 2, connection: "keep-alive" }), data("ok"), end()] },
  // RFC 9112 §6.3 item 8: no framing field, the body runs to EOF
  { name: "a close-delimited body", input: "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall\r\nof it", closeDelimited: true, events: [head({ version: "1.0", headers: ["Server", "old"], framing: "close" }), data("all\r\nof it"), end()] },
  { name: "an empty close-delimited body", input: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", closeDelimited: true, events: [head({ headers: ["Connection", "close"], framing: "close", connection: "close" }), end()] },
  // interim responses come before the final one (RFC 9110 §15.2)
  { name: "100 Continue then 200", input: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", methods: ["POST"], events: [interim(100, "Continue"), head({ method: "POST", headers: CL(1), framing: "length", contentLength: 1 }), data("x"), end()] },
  { name: "103 Early Hints with a Link then 204", input: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", events: [interim(103, "Early Hints", ["Link", "</a.css>; rel=preload"]), interim(102, "Processing"), head({ status: 204, statusText: "No Content" }), end()] },
  // the SP before an empty reason phrase is often left out
  { name: "a status-line without reason", input: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", events: [head({ statusText: "", headers: CL(0) }), end()] },
  { name: "an empty reason after SP", input: "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", events: [head({ statusText: "", headers: CL(0) }), end()] },
  // reason phrases may hold spaces, tabs and obs-text; never interpreted
  { name: "a reason with spaces, tab and obs-text", input: "HTTP/1.1 200 Tr\xe8s\tbien OK\r\nContent-Length: 0\r\n\r\n", events: [head({ statusText: "Tr\xe8s\tbien OK", headers: CL(0) }), end()] },
  // unknown statuses up to 999 are passed on
  { name: "status 599 and 999", input: "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\nHTTP/1.1 999 X\r\nContent-Length: 0\r\n\r\n", methods: ["GET", "GET"], events: [head({ status: 599, statusText: "Odd", headers: CL(0) }), end(), head({ status: 999, statusText: "X", headers: CL(0) }), end()] },
  // the keep-alive hint and Connection tokens are collected for the pool
  { name: "Keep-Alive and Connection fields", input: "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nconnection: keep-alive\r\nKEEP-ALIVE: max=9\r\nContent-Length: 0\r\n\r\n", events: [head({ headers: ["Keep-Alive", "timeout=5", "connection", "keep-alive", "KEEP-ALIVE", "max=9", ...CL(0)], connection: "keep-alive", keepAlive: "timeout=5, max=9" }), end()] },
  // a repeated, equal Content-Length is one length
  { name: "a repeated equal Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz", events: [head({ headers: [...CL(1), ...CL(1)], framing: "length", contentLength: 1 }), data("z"), end()] },
  // a stray CRLF after a body is skipped
  { name: "a stray CRLF before the status-line", input: "\r\nHTTP/1.1 204 No Content\r\n\r\n", events: [head({ status: 204, statusText: "No Content" }), end()] },
  // pipelined: responses consume the announced methods in order
  { name: "pipelined GET, HEAD, GET", input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", methods: ["GET", "HEAD", "GET"], events: [head({ headers: CL(1), framing: "length", contentLength: 1 }), data("a"), end(), head({ method: "HEAD", headers: CL(9) }), end(), head({ headers: CL(1), framing: "length", contentLength: 1 }), data("b"), end()] },
];

// deno-fmt-ignore
const invalid: InvalidCase[] = [
  { name: "a bare LF after the status-line", input: "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", status: 400, code: "bare-lf" },
  { name: "a bare CR in the reason", input: "HTTP/1.1 200 O\rK\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "NUL in the reason", input: "HTTP/1.1 200 O\x00K\r\n\r\n", status: 400, code: "invalid-reason" },
  { name: "a two-digit status", input: "HTTP/1.1 20 OK\r\n\r\n", status: 400, code: "invalid-status" },
  { name: "a status below 100", input: "HTTP/1.1 099 Low\r\n\r\n", status: 400, code: "invalid-status" },
  { name: "two spaces before the status", input: "HTTP/1.1  200 OK\r\n\r\n", status: 400, code: "invalid-status" },
  { name: "no space after the status", input: "HTTP/1.1 200OK\r\n\r\n", status: 400, code: "invalid-status-line" },
  { name: "a four-digit status", input: "HTTP/1.1 2000 OK\r\n\r\n", status: 400, code: "invalid-status-line" },
  { name: "a lowercase version", input: "http/1.1 200 OK\r\n\r\n", status: 400, code: "invalid-version" },
  { name: "HTTP/2.0", input: "HTTP/2.0 200 OK\r\n\r\n", status: 505, code: "unsupported-version" },
  { name: "a short line", input: "HTTP/1.1 200\r", status: 400, code: "incomplete-message" },
  { name: "101 without an upgrade asked", input: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", status: 400, code: "unexpected-upgrade" },
  { name: "a response nobody asked for", input: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", methods: [], status: 400, code: "unexpected-response" },
  { name: "a second response to one request", input: "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", status: 400, code: "unexpected-response", before: [head({ status: 204, statusText: "No Content" }), end()] },
  { name: "Content-Length with Transfer-Encoding", input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "content-length-with-transfer-encoding" },
  { name: "an unknown transfer coding", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501, code: "unsupported-transfer-coding" },
  { name: "chunked not last", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, \r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "duplicate-chunked" },
  { name: "Transfer-Encoding in HTTP/1.0", input: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "transfer-encoding-http10" },
  { name: "conflicting lengths", input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 400, code: "conflicting-content-length" },
  { name: "a signed length", input: "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "obs-fold", input: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", status: 400, code: "obs-fold" },
  { name: "whitespace before a colon", input: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", status: 400, code: "whitespace-before-colon" },
  { name: "EOF inside a head", input: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", status: 400, code: "incomplete-message" },
  { name: "EOF inside a length body", input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", status: 400, code: "incomplete-message", before: [head({ headers: CL(5), framing: "length", contentLength: 5 }), data("hel")] },
  { name: "EOF inside a chunked body", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", status: 400, code: "incomplete-message", before: [head({ headers: ["Transfer-Encoding", "chunked"], framing: "chunked" }), data("abc")] },
  { name: "chunk data longer than its size", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-data-end", before: [head({ headers: ["Transfer-Encoding", "chunked"], framing: "chunked" }), data("a")] },
  { name: "a forbidden trailer", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 3\r\n\r\n", status: 400, code: "forbidden-trailer", before: [head({ headers: ["Transfer-Encoding", "chunked"], framing: "chunked" })] },
];

describe("ResponseParser accepts", () => {
  for (const row of valid) test(row.name, () => checkValid(row));
});

describe("ResponseParser rejects", () => {
  for (const row of invalid) {
    test(`${row.name} with ${row.status} ${row.code}`, () => checkInvalid(row));
  }
});

/** "HTTP/1.1 200 aaa…" of exactly `length` bytes, CRLF excluded. */
function statusLine(length: number): string {
  return "HTTP/1.1 200 " + "a".repeat(length - 13);
}

describe("ResponseParser limits", () => {
  const options = { maxStatusLineSize: 40 };
  test("accepts a status-line at maxStatusLineSize", () =>
    checkValid({
      name: "",
      input: statusLine(40) + "\r\nContent-Length: 0\r\n\r\n",
      options,
      events: [head({ statusText: "a".repeat(27), headers: CL(0) }), end()],
    }));
  test("rejects a status-line one byte over", () =>
    checkInvalid({
      name: "",
      input: statusLine(41) + "\r\nContent-Length: 0\r\n\r\n",
      options,
      status: 400,
      code: "status-line-too-long",
    }));
  // "Content-Length: 0\r\n" (19) + "X: " + value + "\r\n" (5 + n) + "\r\n" (2)
  const section = (size: number) => "Content-Length: 0\r\nX: " + "v".repeat(size - 26) + "\r\n\r\n";
  test("accepts a header section at maxHeaderSize", () =>
    checkValid({
      name: "",
      input: "HTTP/1.1 200 OK\r\n" + section(64),
      options: { maxHeaderSize: 64 },
      events: [head({ headers: [...CL(0), "X", "v".repeat(38)] }), end()],
    }));
  test("rejects a header section one byte over with 431", () =>
    checkInvalid({
      name: "",
      input: "HTTP/1.1 200 OK\r\n" + section(65),
      options: { maxHeaderSize: 64 },
      status: 431,
      code: "header-section-too-large",
    }));
  test("accepts maxHeaderCount fields and rejects one more", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join("");
    const list = (n: number) => Array.from({ length: n }, (_, i) => [`X-${i}`, `${i}`]).flat();
    checkValid({
      name: "",
      input: "HTTP/1.1 204 No Content\r\n" + fields(3) + "\r\n",
      options: { maxHeaderCount: 3 },
      events: [head({ status: 204, statusText: "No Content", headers: list(3) }), end()],
    });
    checkInvalid({
      name: "",
      input: "HTTP/1.1 204 No Content\r\n" + fields(4) + "\r\n",
      options: { maxHeaderCount: 3 },
      status: 431,
      code: "too-many-headers",
    });
  });
  test("refuses a Content-Length over maxBodySize at the head", () =>
    checkInvalid({
      name: "",
      input: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n",
      options: { maxBodySize: 10 },
      status: 413,
      code: "body-too-large",
    }));
  test("accepts a close-delimited body at maxBodySize and refuses one byte more", () => {
    checkValid({
      name: "",
      input: "HTTP/1.1 200 OK\r\n\r\n" + "b".repeat(10),
      options: { maxBodySize: 10 },
      closeDelimited: true,
      events: [head({ framing: "close" }), data("b".repeat(10)), end()],
    });
    const outcome = drive([bytes("HTTP/1.1 200 OK\r\n\r\n" + "b".repeat(11))], ["GET"], {
      maxBodySize: 10,
    });
    assert.deepEqual(outcome.error, { status: 413, code: "body-too-large" });
  });
  test("refuses a chunked body over maxBodySize", () =>
    checkInvalid({
      name: "",
      input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n",
      options: { maxBodySize: 10 },
      status: 413,
      code: "body-too-large",
      before: [head({ headers: ["Transfer-Encoding", "chunked"], framing: "chunked" })],
    }));
  test("accepts maxInterimResponses 1xx heads and refuses one more", () => {
    const continues = (n: number) => "HTTP/1.1 100 Continue\r\n\r\n".repeat(n);
    checkValid({
      name: "",
      input: continues(2) + "HTTP/1.1 204 No Content\r\n\r\n",
      options: { maxInterimResponses: 2 },
      events: [
        interim(100, "Continue"),
        interim(100, "Continue"),
        head({ status: 204, statusText: "No Content" }),
        end(),
      ],
    });
    checkInvalid({
      name: "",
      input: continues(3),
      options: { maxInterimResponses: 2 },
      status: 400,
      code: "too-many-interim-responses",
      before: [interim(100, "Continue"), interim(100, "Continue")],
    });
  });
});

describe("ResponseParser lifecycle", () => {
  test("reports idle, head, body, idle and closed", () => {
    const parser = new ResponseParser();
    assert.equal(parser.state, "idle");
    parser.expect("GET");
    assert.equal(parser.pending, 1);
    parser.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"));
    assert.equal(parser.state, "head");
    assert.equal(parser.next(), null);
    parser.push(bytes("\r\nh"));
    assert.equal(parser.next()?.type, "head");
    assert.equal(parser.pending, 0);
    assert.equal(parser.state, "body");
    assert.equal(parser.next()?.type, "data");
    parser.push(bytes("i"));
    assert.equal(parser.next()?.type, "data");
    assert.equal(parser.next()?.type, "end");
    assert.equal(parser.state, "idle");
    parser.finish();
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "closed");
  });

  test("treats EOF between responses as closed, leaving pending ones to the caller", () => {
    const parser = new ResponseParser();
    parser.expect("GET");
    parser.finish();
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "closed");
    assert.equal(parser.pending, 1);
  });

  test("returns body data as views into the pushed chunk", () => {
    const parser = new ResponseParser();
    parser.expect("GET");
    const chunk = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    parser.push(chunk);
    parser.next();
    const event = parser.next();
    assert.ok(event?.type === "data");
    assert.equal(event.bytes.buffer, chunk.buffer);
  });

  test("makes every call throw the same error after a rejection, push included", () => {
    const parser = new ResponseParser();
    parser.expect("GET");
    parser.push(bytes("HTTP/1.1 200 OK\nX: y\r\n\r\n"));
    let first: unknown;
    assert.throws(() => parser.next(), (error) => (first = error) instanceof ProtocolError);
    assert.throws(() => parser.next(), (error) => error === first);
    assert.throws(() => parser.push(bytes("x")), (error) => error === first);
    assert.throws(() => parser.finish(), (error) => error === first);
  });

  test("refuses CONNECT, whose 2xx would be a tunnel", () => {
    assert.throws(() => new ResponseParser().expect("CONNECT"), TypeError);
  });

  test("refuses push() after finish()", () => {
    const parser = new ResponseParser();
    parser.finish();
    assert.throws(() => parser.push(bytes("x")), TypeError);
  });
});

interface RoundTrip {
  status: number;
  headers: string[];
  framing: Framing;
  body: string;
  trailers?: string[];
  method?: string;
}

function encode(row: RoundTrip): Uint8Array {
  const parts: Uint8Array[] = [encodeResponseHead(row)];
  if (row.framing.kind === "chunked") {
    for (let i = 0; i < row.body.length; i += 7) {
      parts.push(encodeChunk(bytes(row.body.slice(i, i + 7))));
    }
    parts.push(encodeLastChunk(row.trailers));
  } else if (row.body !== "") {
    parts.push(bytes(row.body));
  }
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe("ResponseParser round trips with the response writer", () => {
  const rows: RoundTrip[] = [
    {
      status: 200,
      headers: ["Content-Type", "text/plain"],
      framing: { kind: "length", length: 12 },
      body: "hello, world",
    },
    { status: 404, headers: [], framing: { kind: "length", length: 0 }, body: "" },
    {
      status: 201,
      headers: ["X-A", "1", "X-A", "2"],
      framing: { kind: "chunked" },
      body: "a chunked body that spans chunks",
      trailers: ["Digest", "sha=x"],
    },
    { status: 204, headers: ["X-Empty", ""], framing: { kind: "none" }, body: "" },
    { status: 304, headers: ["ETag", '"v1"'], framing: { kind: "none" }, body: "" },
    { status: 200, headers: [], framing: { kind: "length", length: 4 }, body: "", method: "HEAD" },
    {
      status: 299,
      headers: ["Latin", "caf\xe9"],
      framing: { kind: "length", length: 3 },
      body: "\x00\r\n",
    },
  ];
  for (const row of rows) {
    test(`${row.method ?? "GET"} ${row.status} ${row.framing.kind}`, () => {
      const wire = encode(row);
      const outcome = drive([wire], [row.method ?? "GET"]);
      assert.equal(outcome.error, undefined);
      const [first, ...rest] = outcome.events;
      assert.ok(first.type === "head");
      assert.equal(first.status, row.status);
      const expectedHeaders = [...row.headers];
      if (row.framing.kind === "length") {
        expectedHeaders.push("Content-Length", String(row.framing.length));
      }
      if (row.framing.kind === "chunked") expectedHeaders.push("Transfer-Encoding", "chunked");
      assert.deepEqual(first.headers, expectedHeaders);
      const expectedRest = row.body === ""
        ? [end(row.trailers)]
        : [data(row.body), end(row.trailers)];
      assert.deepEqual(rest, expectedRest);
      // and the same whole, byte by byte and split everywhere
      checkValid({
        name: "",
        input: text(wire),
        methods: [row.method ?? "GET"],
        events: outcome.events,
      });
    });
  }
});

describe("ResponseParser after an upgrade request (RFC 9110 §15.2.2)", () => {
  const wire = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" +
    "\x81\x02hiHTTP/1.1 200 OK\r\n\r\n";
  const bytes = new Uint8Array([...wire].map((c) => c.charCodeAt(0)));
  const afterHead = wire.indexOf("\x81");

  // Whole, byte by byte, and split at every point: a 101 is the final head,
  // nothing after it is parsed, and the rest is the new protocol's.
  for (let split = 0; split <= bytes.byteLength; split++) {
    const pieces = split === bytes.byteLength
      ? [...bytes].map((b) => new Uint8Array([b]))
      : [bytes.subarray(0, split), bytes.subarray(split)];
    test(split === bytes.byteLength ? "byte by byte" : `split at ${split}`, () => {
      const parser = new ResponseParser();
      parser.expect("GET", { upgrade: true });
      const events = [];
      for (const piece of pieces) {
        parser.push(piece);
        for (let event = parser.next(); event !== null; event = parser.next()) events.push(event);
      }
      assert.deepEqual(events.map((event) => event.type), ["interim", "head"]);
      const head = events[1];
      assert.ok(head.type === "head");
      assert.equal(head.status, 101);
      assert.equal(head.framing, "none");
      assert.equal(parser.state, "closed");
      assert.deepEqual(parser.takeBuffered(), bytes.subarray(afterHead));
    });
  }

  test("a 200 to an upgrade request is an ordinary response", () => {
    const parser = new ResponseParser();
    parser.expect("GET", { upgrade: true });
    parser.push(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno"));
    assert.deepEqual(
      [parser.next()?.type, parser.next()?.type, parser.next()?.type],
      ["head", "data", "end"],
    );
  });
});
