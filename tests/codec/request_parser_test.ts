import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../lib/codec/errors.ts";
import { RequestParser } from "../../lib/codec/request_parser.ts";
import { DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_REQUEST_LINE_SIZE } from "../../lib/codec/limits.ts";
import { bytes, checkInvalid, checkValid, data, end, head, text } from "./_drive.ts";
import { invalidHeaders, invalidRequestLines, validHeaders, validRequestLines } from "./_corpus.ts";

describe("RequestParser request-line", () => {
  for (const row of validRequestLines) test(`accepts ${row.name}`, () => checkValid(row));
  for (const row of invalidRequestLines) {
    test(`rejects ${row.name} with ${row.status} ${row.code}`, () => checkInvalid(row));
  }
});

describe("RequestParser header fields", () => {
  for (const row of validHeaders) test(`accepts ${row.name}`, () => checkValid(row));
  for (const row of invalidHeaders) {
    test(`rejects ${row.name} with ${row.status} ${row.code}`, () => checkInvalid(row));
  }
});

/** "GET /aaa… HTTP/1.1" of exactly `length` bytes, CRLF excluded. */
function requestLine(length: number): string {
  return "GET /" + "a".repeat(length - 14) + " HTTP/1.1";
}

/** A header section (Host first) of exactly `size` bytes, blank line included. */
function headerSection(size: number): string {
  // "Host: a\r\n" (9) + "X: " + value + "\r\n" (5 + n) + "\r\n" (2)
  return H + "X: " + "v".repeat(size - 16) + "\r\n\r\n";
}

const H = "Host: a\r\n";

describe("RequestParser limits", () => {
  // the request-line limit excludes the CRLF
  test("accepts a request-line at maxRequestLineSize", () =>
    checkValid({
      name: "",
      input: requestLine(40) + "\r\n" + H + "\r\n",
      options: { maxRequestLineSize: 40 },
      events: [head({ target: "/" + "a".repeat(26), headers: ["Host", "a"] }), end()],
    }));
  test("rejects a request-line one byte over maxRequestLineSize with 414", () =>
    checkInvalid({
      name: "",
      input: requestLine(41) + "\r\n" + H + "\r\n",
      options: { maxRequestLineSize: 40 },
      status: 414,
      code: "request-line-too-long",
    }));
  test("accepts a request-line at the default limit", () =>
    checkValid({
      name: "",
      input: requestLine(DEFAULT_MAX_REQUEST_LINE_SIZE) + "\r\n" + H + "\r\n",
      events: [
        head({
          target: "/" + "a".repeat(DEFAULT_MAX_REQUEST_LINE_SIZE - 14),
          headers: ["Host", "a"],
        }),
        end(),
      ],
    }));
  test("rejects a request-line over the default limit before its end arrives", () => {
    const parser = new RequestParser();
    parser.push(bytes(requestLine(DEFAULT_MAX_REQUEST_LINE_SIZE + 2)));
    assert.throws(() => parser.next(), { status: 414, code: "request-line-too-long" });
  });
  // RFC 9112 §3: 414 is for a long request-target; the over-long line's
  // first maxRequestLineSize + 1 bytes decide which part is at fault
  // (issue 12: a long method used to get 414).
  const overLongLines: { name: string; line: string; status: number; code: string }[] = [
    // a token with no SP within the limit: longer than any method implemented
    {
      name: "a method alone over the limit",
      line: "M".repeat(41) + " / HTTP/1.1",
      status: 501,
      code: "method-too-long",
    },
    // the method fills the limit exactly; its SP comes one byte too late
    {
      name: "a method of exactly the limit",
      line: "M".repeat(40) + " / HTTP/1.1",
      status: 501,
      code: "method-too-long",
    },
    // a method that ends within the limit: the target is what is long
    {
      name: "a long method, then a long target",
      line: "M".repeat(39) + " /" + "a".repeat(20) + " HTTP/1.1",
      status: 414,
      code: "request-line-too-long",
    },
    // a byte no method may hold, before any SP: the 400 a short line gets
    {
      name: "a malformed method over the limit",
      line: "GE@T" + "T".repeat(50) + " / HTTP/1.1",
      status: 400,
      code: "invalid-method",
    },
    // a CR inside the method is a bare CR, as on a short line
    {
      name: "a bare CR in an over-long method",
      line: "GE\rT" + "T".repeat(50) + " / HTTP/1.1",
      status: 400,
      code: "bare-cr",
    },
    // no method at all
    {
      name: "a leading SP on an over-long line",
      line: " /" + "a".repeat(50) + " HTTP/1.1",
      status: 400,
      code: "invalid-request-line",
    },
  ];
  for (const row of overLongLines) {
    test(`answers ${row.name} with ${row.status} ${row.code}`, () => {
      checkInvalid({
        name: row.name,
        input: row.line + "\r\n" + H + "\r\n",
        options: { maxRequestLineSize: 40 },
        status: row.status,
        code: row.code,
      });
      // The same before the line's end arrives.
      checkInvalid({
        name: row.name,
        input: row.line,
        options: { maxRequestLineSize: 40 },
        status: row.status,
        code: row.code,
      });
    });
  }
  test("answers an endless method 501 at the default limit before its end arrives", () => {
    const parser = new RequestParser();
    parser.push(bytes("X".repeat(DEFAULT_MAX_REQUEST_LINE_SIZE + 1)));
    assert.throws(() => parser.next(), { status: 501, code: "method-too-long" });
  });
  test("accepts a method that alone fills the line up to the limit", () =>
    checkValid({
      name: "",
      input: "M".repeat(27) + " / HTTP/1.1\r\n" + H + "\r\n",
      options: { maxRequestLineSize: 40 },
      events: [head({ method: "M".repeat(27), headers: ["Host", "a"] }), end()],
    }));
  test("waits for the LF when the line is at the limit and ends in CR", () => {
    const parser = new RequestParser({ maxRequestLineSize: 40 });
    parser.push(bytes(requestLine(40) + "\r"));
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "head");
  });

  // the header section counts every field line and the blank line
  test("accepts a header section at maxHeaderSize", () =>
    checkValid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + headerSection(64),
      options: { maxHeaderSize: 64 },
      events: [head({ headers: ["Host", "a", "X", "v".repeat(48)] }), end()],
    }));
  test("rejects a header section one byte over maxHeaderSize with 431", () =>
    checkInvalid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + headerSection(65),
      options: { maxHeaderSize: 64 },
      status: 431,
      code: "header-section-too-large",
    }));
  test("accepts a header section at the default limit", () =>
    checkValid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + headerSection(DEFAULT_MAX_HEADER_SIZE),
      events: [
        head({ headers: ["Host", "a", "X", "v".repeat(DEFAULT_MAX_HEADER_SIZE - 16)] }),
        end(),
      ],
    }));
  test("rejects an endless header line before its end arrives", () => {
    const parser = new RequestParser({ maxHeaderSize: 64 });
    parser.push(bytes("GET / HTTP/1.1\r\nX: " + "v".repeat(70)));
    assert.throws(() => parser.next(), { status: 431, code: "header-section-too-large" });
  });

  const fields = (count: number) =>
    Array.from({ length: count - 1 }, (_, i) => `X-${i}: ${i}\r\n`).join("");
  const fieldList = (
    count: number,
  ) => ["Host", "a", ...Array.from({ length: count - 1 }, (_, i) => [`X-${i}`, `${i}`]).flat()];
  test("accepts maxHeaderCount fields", () =>
    checkValid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + H + fields(5) + "\r\n",
      options: { maxHeaderCount: 5 },
      events: [head({ headers: fieldList(5) }), end()],
    }));
  test("rejects one field over maxHeaderCount with 431", () =>
    checkInvalid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + H + fields(6) + "\r\n",
      options: { maxHeaderCount: 5 },
      status: 431,
      code: "too-many-headers",
    }));
  test("accepts the default 100 fields and rejects 101", () => {
    checkValid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + H + fields(100) + "\r\n",
      events: [head({ headers: fieldList(100) }), end()],
    });
    checkInvalid({
      name: "",
      input: "GET / HTTP/1.1\r\n" + H + fields(101) + "\r\n",
      status: 431,
      code: "too-many-headers",
    });
  });

  const post = (length: number) =>
    "POST / HTTP/1.1\r\n" + H + `Content-Length: ${length}\r\n\r\n` + "b".repeat(length);
  test("accepts a Content-Length at maxBodySize", () =>
    checkValid({
      name: "",
      input: post(10),
      options: { maxBodySize: 10 },
      events: [
        head({
          method: "POST",
          headers: ["Host", "a", "Content-Length", "10"],
          framing: "length",
          contentLength: 10,
        }),
        data("b".repeat(10)),
        end(),
      ],
    }));
  test("rejects a Content-Length one over maxBodySize with 413 at once", () =>
    checkInvalid({
      name: "",
      input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 11\r\n\r\n",
      options: { maxBodySize: 10 },
      status: 413,
      code: "body-too-large",
    }));

  test("accepts maxLeadingEmptyLines CRLFs and rejects one more", () => {
    checkValid({
      name: "",
      input: "\r\n\r\nGET / HTTP/1.0\r\n\r\n",
      options: { maxLeadingEmptyLines: 2 },
      events: [head({ version: "1.0" }), end()],
    });
    checkInvalid({
      name: "",
      input: "\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n",
      options: { maxLeadingEmptyLines: 2 },
      status: 400,
      code: "too-many-empty-lines",
    });
  });
  test("counts leading empty lines per request", () =>
    checkValid({
      name: "",
      input: "\r\n\r\nGET / HTTP/1.0\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n",
      options: { maxLeadingEmptyLines: 2 },
      events: [head({ version: "1.0" }), end(), head({ version: "1.0" }), end()],
    }));
});

describe("RequestParser lifecycle", () => {
  test("reports idle, head, body, idle and closed as a request goes through", () => {
    const parser = new RequestParser();
    assert.equal(parser.state, "idle");
    parser.push(bytes("\r\n"));
    assert.equal(parser.state, "idle");
    parser.push(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"));
    assert.equal(parser.state, "head", "head bytes buffered before next()");
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "head");
    parser.push(bytes("\r\nh"));
    assert.equal(parser.next()?.type, "head");
    assert.equal(parser.state, "body");
    assert.equal(parser.next()?.type, "data");
    assert.equal(parser.next(), null);
    parser.push(bytes("i"));
    assert.equal(parser.next()?.type, "data");
    assert.equal(parser.state, "body");
    assert.equal(parser.next()?.type, "end");
    assert.equal(parser.state, "idle");
    parser.finish();
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "closed");
  });

  test("counts buffered bytes until events consume them", () => {
    const parser = new RequestParser();
    const request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
    parser.push(bytes(request + "ab"));
    assert.equal(parser.buffered, request.length + 2);
    parser.next();
    assert.equal(parser.buffered, 2);
    parser.next();
    assert.equal(parser.buffered, 0);
  });

  test("returns body data as views into the pushed chunk", () => {
    const parser = new RequestParser();
    const chunk = bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
    parser.push(chunk);
    parser.next();
    const event = parser.next();
    assert.ok(event?.type === "data");
    assert.equal(event.bytes.buffer, chunk.buffer);
    assert.equal(text(event.bytes), "hello");
  });

  test("emits all available Content-Length body bytes in one data event", () => {
    const parser = new RequestParser();
    parser.push(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel"));
    parser.push(bytes("lo"));
    parser.next();
    const event = parser.next();
    assert.ok(event?.type === "data");
    assert.equal(text(event.bytes), "hello");
  });

  test("keeps views valid when later pushes are joined with leftovers", () => {
    const parser = new RequestParser();
    parser.push(
      bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r"),
    );
    parser.next();
    const first = parser.next();
    assert.ok(first?.type === "data");
    parser.push(bytes("\n3\r\ndef\r\n0\r\n\r\n"));
    const second = parser.next();
    assert.ok(second?.type === "data");
    assert.equal(text(first.bytes), "abc");
    assert.equal(text(second.bytes), "def");
  });

  test("ends a body-less request right after its head", () => {
    const parser = new RequestParser();
    parser.push(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert.equal(parser.next()?.type, "head");
    assert.deepEqual(parser.next(), { type: "end", trailers: [] });
    assert.equal(parser.next(), null);
  });

  test("makes every call throw the same error after a rejection", () => {
    const parser = new RequestParser();
    parser.push(bytes("GET / HTTP/1.1\r\nHost : a\r\n\r\n"));
    let first: unknown;
    try {
      parser.next();
    } catch (error) {
      first = error;
    }
    assert.ok(first instanceof ProtocolError);
    assert.throws(() => parser.next(), (error: unknown) => error === first);
    assert.throws(() => parser.push(bytes("x")), (error: unknown) => error === first);
    assert.throws(() => parser.finish(), (error: unknown) => error === first);
    assert.equal(parser.state, "error");
  });

  test("closes cleanly on EOF after a lone stray CR", () => {
    const parser = new RequestParser();
    parser.push(bytes("\r"));
    parser.finish();
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "closed");
  });

  test("refuses push() after finish()", () => {
    const parser = new RequestParser();
    parser.finish();
    assert.throws(() => parser.push(bytes("GET")), TypeError);
  });

  test("ignores empty pushes", () => {
    const parser = new RequestParser();
    parser.push(new Uint8Array(0));
    assert.equal(parser.next(), null);
    assert.equal(parser.state, "idle");
  });
});
