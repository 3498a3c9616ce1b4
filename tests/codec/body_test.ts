import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BodyDecoder, ChunkedDecoder, LengthDecoder } from "../../lib/codec/body.ts";
import { ProtocolError } from "../../lib/codec/errors.ts";
import type { RequestData, RequestEnd } from "../../lib/codec/events.ts";
import { bytes, checkInvalid, checkValid, data, end, feedings, text } from "./_drive.ts";
import { chunkedHead, chunkedRequest, invalidChunked, validChunked } from "./_corpus.ts";

interface Decoder {
  push(chunk: Uint8Array): void;
  next(): RequestData | RequestEnd | null;
  finish(): void;
  takeRemainder(): Uint8Array;
}

interface Decoded {
  text: string;
  trailers?: string[];
  remainder?: string;
  error?: { status: number; code: string };
}

/** Feeds a standalone decoder piece by piece, then EOF. */
function decode(decoder: Decoder, pieces: Uint8Array[]): Decoded {
  let body = "";
  let trailers: string[] | undefined;
  try {
    const drain = () => {
      for (let event = decoder.next(); event !== null; event = decoder.next()) {
        if (event.type === "data") {
          assert.ok(event.bytes.length > 0);
          body += text(event.bytes);
        } else {
          trailers = [...event.trailers];
        }
      }
    };
    for (const piece of pieces) {
      decoder.push(piece);
      drain();
    }
    decoder.finish();
    drain();
    return { text: body, trailers, remainder: text(decoder.takeRemainder()) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    assert.throws(() => decoder.next(), (again: unknown) => again === error);
    return { text: body, error: { status: error.status, code: error.code } };
  }
}

describe("chunked bodies in RequestParser", () => {
  for (const row of validChunked) {
    test(`decodes ${row.name}`, () =>
      checkValid({
        name: row.name,
        input: chunkedRequest(row.body),
        events: [chunkedHead, ...(row.text ? [data(row.text)] : []), end(row.trailers)],
      }));
  }
  for (const row of invalidChunked) {
    test(`rejects ${row.name} with ${row.status} ${row.code}`, () =>
      checkInvalid({
        name: row.name,
        input: chunkedRequest(row.body),
        status: row.status,
        code: row.code,
        before: [chunkedHead, ...(row.text ? [data(row.text)] : [])],
      }));
  }
});

describe("chunked limits in RequestParser", () => {
  const digits = (count: number) => "0".repeat(count - 1) + "1";
  test("accepts a chunk-size of maxChunkSizeDigits digits, leading zeros included", () =>
    checkValid({
      name: "",
      input: chunkedRequest(digits(16) + "\r\nx\r\n0\r\n\r\n"),
      events: [chunkedHead, data("x"), end()],
    }));
  test("rejects one digit more with 400", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest(digits(17) + "\r\nx\r\n0\r\n\r\n"),
      status: 400,
      code: "chunk-size-too-long",
      before: [chunkedHead],
    }));
  test("honours a custom maxChunkSizeDigits", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest("0001\r\nx\r\n0\r\n\r\n"),
      options: { maxChunkSizeDigits: 3 },
      status: 400,
      code: "chunk-size-too-long",
      before: [chunkedHead],
    }));
  test("accepts 2^53-1 as a size when the body limit allows it", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest("1FFFFFFFFFFFFF\r\n"),
      options: { maxBodySize: Number.MAX_SAFE_INTEGER },
      status: 400,
      code: "incomplete-message",
      before: [chunkedHead],
    }));

  const extension = (size: number) => ";" + "e".repeat(size - 1);
  test("accepts a chunk extension of maxChunkExtensionSize bytes", () =>
    checkValid({
      name: "",
      input: chunkedRequest("1" + extension(32) + "\r\nx\r\n0\r\n\r\n"),
      options: { maxChunkExtensionSize: 32 },
      events: [chunkedHead, data("x"), end()],
    }));
  test("rejects a chunk extension one byte over with 400", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest("1" + extension(33) + "\r\nx\r\n0\r\n\r\n"),
      options: { maxChunkExtensionSize: 32 },
      status: 400,
      code: "chunk-extension-too-large",
      before: [chunkedHead],
    }));
  test("rejects an endless chunk extension at the default limit before its end arrives", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest("1" + extension(4097)),
      status: 400,
      code: "chunk-extension-too-large",
      before: [chunkedHead],
    }));

  test("accepts a chunked body of exactly maxBodySize bytes", () =>
    checkValid({
      name: "",
      input: chunkedRequest("4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n"),
      options: { maxBodySize: 10 },
      events: [chunkedHead, data("abcdefghij"), end()],
    }));
  test("rejects a chunk taking the running total one byte over maxBodySize with 413", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest("4\r\nabcd\r\n7\r\nefghijk\r\n0\r\n\r\n"),
      options: { maxBodySize: 10 },
      status: 413,
      code: "body-too-large",
      before: [chunkedHead, data("abcd")],
    }));

  // trailer section: "X: " + value + "\r\n" (5 + n) and the final CRLF (2)
  const trailerSection = (size: number) => "0\r\nX: " + "t".repeat(size - 7) + "\r\n\r\n";
  test("accepts a trailer section at maxTrailerSize", () =>
    checkValid({
      name: "",
      input: chunkedRequest(trailerSection(32)),
      options: { maxTrailerSize: 32 },
      events: [chunkedHead, end(["X", "t".repeat(25)])],
    }));
  test("rejects a trailer section one byte over maxTrailerSize with 431", () =>
    checkInvalid({
      name: "",
      input: chunkedRequest(trailerSection(33)),
      options: { maxTrailerSize: 32 },
      status: 431,
      code: "trailer-section-too-large",
      before: [chunkedHead],
    }));
});

describe("ChunkedDecoder", () => {
  for (const row of validChunked) {
    test(`decodes ${row.name} in every feeding, keeping what follows`, () => {
      for (const [how, pieces] of feedings(bytes(row.body + "NEXT"))) {
        assert.deepStrictEqual(decode(new ChunkedDecoder(), pieces), {
          text: row.text,
          trailers: row.trailers,
          remainder: "NEXT",
        }, how);
      }
    });
  }
  for (const row of invalidChunked) {
    test(`rejects ${row.name} with ${row.status} ${row.code}`, () => {
      for (const [how, pieces] of feedings(bytes(row.body))) {
        assert.deepStrictEqual(decode(new ChunkedDecoder(), pieces), {
          text: row.text ?? "",
          error: { status: row.status, code: row.code },
        }, how);
      }
    });
  }

  test("applies its options", () => {
    const decoded = decode(new ChunkedDecoder({ maxBodySize: 3 }), [
      bytes("4\r\nabcd\r\n0\r\n\r\n"),
    ]);
    assert.deepStrictEqual(decoded.error, { status: 413, code: "body-too-large" });
  });

  test("returns no remainder before the end event", () => {
    const decoder = new ChunkedDecoder();
    decoder.push(bytes("1\r\nx\r\n"));
    assert.equal(decoder.next()?.type, "data");
    assert.equal(decoder.takeRemainder().length, 0);
  });

  test("returns null after the end event and keeps later pushes as remainder", () => {
    const decoder = new ChunkedDecoder();
    decoder.push(bytes("0\r\n\r\n"));
    assert.equal(decoder.next()?.type, "end");
    assert.equal(decoder.next(), null);
    decoder.push(bytes("more"));
    assert.equal(decoder.next(), null);
    assert.equal(text(decoder.takeRemainder()), "more");
  });
});

describe("LengthDecoder", () => {
  test("decodes exactly its length in every feeding, keeping what follows", () => {
    for (const [how, pieces] of feedings(bytes("hello world"))) {
      assert.deepStrictEqual(decode(new LengthDecoder(5), pieces), {
        text: "hello",
        trailers: [],
        remainder: " world",
      }, how);
    }
  });

  test("ends a zero-length body at once", () => {
    const decoder = new LengthDecoder(0);
    assert.deepEqual(decoder.next(), { type: "end", trailers: [] });
    assert.equal(decoder.next(), null);
  });

  test("rejects EOF before the length with 400 incomplete-message", () => {
    for (const [how, pieces] of feedings(bytes("hel"))) {
      assert.deepStrictEqual(decode(new LengthDecoder(5), pieces), {
        text: "hel",
        error: { status: 400, code: "incomplete-message" },
      }, how);
    }
  });

  test("returns data as views into the pushed chunk", () => {
    const decoder = new LengthDecoder(2);
    const chunk = bytes("abc");
    decoder.push(chunk);
    const event = decoder.next();
    assert.ok(event?.type === "data");
    assert.equal(event.bytes.buffer, chunk.buffer);
  });

  test("refuses lengths that are not non-negative safe integers", () => {
    for (const length of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Infinity]) {
      assert.throws(() => new LengthDecoder(length), RangeError, String(length));
    }
  });
});

// The one body decoder behind both shorthands, with the framing the
// shorthands do not name: a body that ends with its input (RFC 9112 §6.3
// item 8), as a response without Content-Length or chunked coding.
describe("BodyDecoder", () => {
  test("decodes a close-delimited body in every feeding; it ends at finish()", () => {
    for (const [how, pieces] of feedings(bytes("all of it\r\n0\r\n"))) {
      assert.deepStrictEqual(decode(new BodyDecoder({ kind: "close" }), pieces), {
        text: "all of it\r\n0\r\n",
        trailers: [],
        remainder: "",
      }, how);
    }
  });

  test("ends an empty close-delimited body at finish()", () => {
    assert.deepStrictEqual(decode(new BodyDecoder({ kind: "close" }), []), {
      text: "",
      trailers: [],
      remainder: "",
    });
  });

  test("passes a close-delimited body at maxBodySize and refuses one byte more with 413", () => {
    const options = { maxBodySize: 10 };
    for (const [how, pieces] of feedings(bytes("0123456789"))) {
      assert.equal(
        decode(new BodyDecoder({ kind: "close" }, options), pieces).text,
        "0123456789",
        how,
      );
    }
    for (const [how, pieces] of feedings(bytes("0123456789A"))) {
      assert.deepStrictEqual(
        decode(new BodyDecoder({ kind: "close" }, options), pieces).error,
        { status: 413, code: "body-too-large" },
        how,
      );
    }
  });

  test("refuses a declared length over maxBodySize at once with 413", () => {
    assert.doesNotThrow(() => new BodyDecoder({ kind: "length", length: 10 }, { maxBodySize: 10 }));
    assert.throws(
      () => new BodyDecoder({ kind: "length", length: 11 }, { maxBodySize: 10 }),
      { status: 413, code: "body-too-large" },
    );
  });

  test("decodes a length body and a chunked body as the shorthands do", () => {
    const input = bytes("5\r\nhello\r\n0\r\nX: 1\r\n\r\nrest");
    for (const [how, pieces] of feedings(input)) {
      assert.deepStrictEqual(
        decode(new BodyDecoder({ kind: "chunked" }), pieces),
        decode(new ChunkedDecoder(), pieces),
        how,
      );
      assert.deepStrictEqual(
        decode(new BodyDecoder({ kind: "length", length: 4 }), pieces),
        decode(new LengthDecoder(4), pieces),
        how,
      );
    }
  });

  test("ends a body framed as none at once, leaving every byte", () => {
    const decoder = new BodyDecoder({ kind: "none" });
    decoder.push(bytes("GET"));
    assert.deepEqual(decoder.next(), { type: "end", trailers: [] });
    assert.equal(text(decoder.takeRemainder()), "GET");
  });
});
