import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { trailerName, trailerValue } from "./_arbitraries.ts";
import { ChunkedDecoder } from "../../lib/codec/body.ts";
import { encodeChunk, encodeLastChunk } from "../../lib/codec/chunks.ts";
import {
  encodeContinue,
  encodeResponseHead,
  type ResponseHeadInit,
} from "../../lib/codec/response_writer.ts";
import { statusText } from "../../lib/codec/rules.ts";

/** One byte per char, so expectations can spell obs-text (0x80–0xFF) directly. */
function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

describe("encodeResponseHead()", () => {
  const rows: { name: string; init: ResponseHeadInit; wire: string }[] = [
    // The hello-world answer: default reason phrase, Content-Length last.
    {
      name: "writes a fixed-length 200 with the default reason phrase",
      init: {
        status: 200,
        headers: ["Content-Type", "text/plain"],
        framing: { kind: "length", length: 13 },
      },
      wire: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n",
    },
    // Zero is a valid length: an empty body still needs explicit framing to persist.
    {
      name: "writes Content-Length: 0",
      init: { status: 200, headers: [], framing: { kind: "length", length: 0 } },
      wire: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    },
    // Chunked framing writes exactly one Transfer-Encoding field.
    {
      name: "writes Transfer-Encoding: chunked",
      init: { status: 201, headers: ["Location", "/x"], framing: { kind: "chunked" } },
      wire: "HTTP/1.1 201 Created\r\nLocation: /x\r\nTransfer-Encoding: chunked\r\n\r\n",
    },
    // Close-delimited: no framing field; the caller's Connection: close passes through.
    {
      name: "writes no framing field for a close-delimited body",
      init: { status: 200, headers: ["Connection", "close"], framing: { kind: "close" } },
      wire: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
    },
    // 204 and 304 carry no content, so no framing field at all.
    {
      name: "writes a 204 without framing",
      init: { status: 204, headers: [], framing: { kind: "none" } },
      wire: "HTTP/1.1 204 No Content\r\n\r\n",
    },
    {
      name: "writes a 304 without framing",
      init: { status: 304, headers: ["ETag", '"v1"'], framing: { kind: "none" } },
      wire: 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
    },
    // A 304 may state the length the 200 would have had (RFC 9110 §8.6).
    {
      name: "allows Content-Length on a 304",
      init: { status: 304, headers: [], framing: { kind: "length", length: 42 } },
      wire: "HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n",
    },
    // 101 for upgrades: 1xx with fields and no framing.
    {
      name: "writes a 101 with its fields",
      init: {
        status: 101,
        headers: ["Upgrade", "websocket", "Connection", "Upgrade"],
        framing: { kind: "none" },
      },
      wire: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    },
    // An unregistered status gets an empty reason, but the SP before it stays (RFC 9112 §4).
    {
      name: "keeps the space before an empty reason phrase of an unknown status",
      init: { status: 599, headers: [], framing: { kind: "length", length: 0 } },
      wire: "HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n",
    },
    // A custom reason phrase replaces the default.
    {
      name: "writes a custom reason phrase",
      init: {
        status: 200,
        statusText: "Fine\tThanks",
        headers: [],
        framing: { kind: "length", length: 0 },
      },
      wire: "HTTP/1.1 200 Fine\tThanks\r\nContent-Length: 0\r\n\r\n",
    },
    // An explicit empty reason phrase is honoured even for a known status.
    {
      name: "writes an explicitly empty reason phrase",
      init: { status: 404, statusText: "", headers: [], framing: { kind: "length", length: 0 } },
      wire: "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",
    },
    // Framing fields from the handler are dropped, whatever their case: a second,
    // disagreeing length is a smuggling vector (RFC 9112 §6.3, §11.2).
    {
      name: "skips Content-Length and Transfer-Encoding passed by the caller",
      init: {
        status: 200,
        headers: [
          "content-length",
          "999",
          "X-A",
          "1",
          "TRANSFER-ENCODING",
          "gzip, chunked",
          "Content-Lengthy",
          "2",
        ],
        framing: { kind: "length", length: 3 },
      },
      wire: "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Lengthy: 2\r\nContent-Length: 3\r\n\r\n",
    },
    // Field order and repeated names survive (Set-Cookie must not be joined).
    {
      name: "keeps field order and repeated names",
      init: {
        status: 200,
        headers: ["Set-Cookie", "a=1", "Set-Cookie", "b=2"],
        framing: { kind: "length", length: 0 },
      },
      wire: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    },
    // Empty values are legal (RFC 9110 §5.5 field-value = *field-content).
    {
      name: "writes an empty field value",
      init: { status: 200, headers: ["X-Empty", ""], framing: { kind: "length", length: 0 } },
      wire: "HTTP/1.1 200 OK\r\nX-Empty: \r\nContent-Length: 0\r\n\r\n",
    },
    // obs-text is one Latin-1 byte per char, never UTF-8 (Fetch ByteString).
    {
      name: "writes 0x80-0xFF value chars as single Latin-1 bytes",
      init: {
        status: 200,
        headers: ["X-Name", "caf\u00e9 \u00ff"],
        framing: { kind: "length", length: 0 },
      },
      wire: "HTTP/1.1 200 OK\r\nX-Name: caf\u00e9 \u00ff\r\nContent-Length: 0\r\n\r\n",
    },
    // obs-text is allowed in a reason phrase too, also as Latin-1.
    {
      name: "writes an obs-text reason phrase as Latin-1",
      init: { status: 200, statusText: "D\u00e9j\u00e0", headers: [], framing: { kind: "none" } },
      wire: "HTTP/1.1 200 D\u00e9j\u00e0\r\n\r\n",
    },
    // Every tchar is allowed in a name.
    {
      name: "accepts every tchar in a field name",
      init: { status: 200, headers: ["!#$%&'*+-.^_`|~09AZaz", "v"], framing: { kind: "none" } },
      wire: "HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09AZaz: v\r\n\r\n",
    },
    // The largest safe length is written in full, not in exponent form.
    {
      name: "writes the largest safe integer length in decimal",
      init: {
        status: 200,
        headers: [],
        framing: { kind: "length", length: Number.MAX_SAFE_INTEGER },
      },
      wire: "HTTP/1.1 200 OK\r\nContent-Length: 9007199254740991\r\n\r\n",
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(encodeResponseHead(row.init), latin1(row.wire));
    });
  }

  test("writes the same bytes on a second call (status line cache)", () => {
    const init: ResponseHeadInit = { status: 418, headers: [], framing: { kind: "none" } };
    const first = encodeResponseHead(init);
    first.fill(0);
    assert.deepEqual(encodeResponseHead(init), latin1("HTTP/1.1 418 I'm a teapot\r\n\r\n"));
  });

  test("keeps every earlier result intact across many calls", () => {
    // Results share pooled slabs: no later call may write into an earlier region.
    const results: [Uint8Array, string][] = [];
    for (let i = 0; i < 3000; i++) {
      const value = "v".repeat(i % 97) + i;
      results.push([
        encodeResponseHead({ status: 200, headers: ["X", value], framing: { kind: "none" } }),
        `HTTP/1.1 200 OK\r\nX: ${value}\r\n\r\n`,
      ]);
    }
    for (const [bytes, wire] of results) assert.deepEqual(bytes, latin1(wire));
  });

  test("writes a head larger than the pooled size", () => {
    const value = "x".repeat(20_000);
    assert.deepEqual(
      encodeResponseHead({ status: 200, headers: ["X-Big", value], framing: { kind: "none" } }),
      latin1(`HTTP/1.1 200 OK\r\nX-Big: ${value}\r\n\r\n`),
    );
  });

  const rejections: { name: string; init: ResponseHeadInit }[] = [
    // Status must be three digits (RFC 9110 §15).
    { name: "rejects status 99", init: { status: 99, headers: [], framing: { kind: "none" } } },
    { name: "rejects status 1000", init: { status: 1000, headers: [], framing: { kind: "none" } } },
    {
      name: "rejects a fractional status",
      init: { status: 200.5, headers: [], framing: { kind: "none" } },
    },
    { name: "rejects a NaN status", init: { status: NaN, headers: [], framing: { kind: "none" } } },
    // CR or LF in any part of the head would let a value inject fields (response splitting).
    {
      name: "rejects CR in a value",
      init: { status: 200, headers: ["X", "a\rb"], framing: { kind: "none" } },
    },
    {
      name: "rejects LF in a value",
      init: { status: 200, headers: ["X", "a\nSet-Cookie: x"], framing: { kind: "none" } },
    },
    {
      name: "rejects NUL in a value",
      init: { status: 200, headers: ["X", "a\0"], framing: { kind: "none" } },
    },
    {
      name: "rejects CRLF in the reason phrase",
      init: { status: 200, statusText: "OK\r\nX: y", headers: [], framing: { kind: "none" } },
    },
    {
      name: "rejects DEL in the reason phrase",
      init: { status: 200, statusText: "O\x7fK", headers: [], framing: { kind: "none" } },
    },
    // Chars above 0xFF have no single-byte form (not a ByteString).
    {
      name: "rejects a char above 0xFF in a value",
      init: { status: 200, headers: ["X", "\u20ac"], framing: { kind: "none" } },
    },
    {
      name: "rejects a char above 0xFF in the reason phrase",
      init: { status: 200, statusText: "\u{1F600}", headers: [], framing: { kind: "none" } },
    },
    // Names are tokens: no space, colon, separator or obs-text.
    {
      name: "rejects a space in a name",
      init: { status: 200, headers: ["X Y", "v"], framing: { kind: "none" } },
    },
    {
      name: "rejects a colon in a name",
      init: { status: 200, headers: ["X:", "v"], framing: { kind: "none" } },
    },
    {
      name: "rejects obs-text in a name",
      init: { status: 200, headers: ["X\u00e9", "v"], framing: { kind: "none" } },
    },
    {
      name: "rejects an empty name",
      init: { status: 200, headers: ["", "v"], framing: { kind: "none" } },
    },
    // The flat list must pair names with values.
    {
      name: "rejects an odd-length header list",
      init: { status: 200, headers: ["X"], framing: { kind: "none" } },
    },
    // A framing length must be a non-negative safe integer.
    {
      name: "rejects a negative length",
      init: { status: 200, headers: [], framing: { kind: "length", length: -1 } },
    },
    {
      name: "rejects a fractional length",
      init: { status: 200, headers: [], framing: { kind: "length", length: 1.5 } },
    },
    {
      name: "rejects an unsafe length",
      init: { status: 200, headers: [], framing: { kind: "length", length: 2 ** 53 } },
    },
    // RFC 9110 §8.6 / RFC 9112 §6.1: no Content-Length or Transfer-Encoding on 1xx and 204.
    {
      name: "rejects Content-Length on a 204",
      init: { status: 204, headers: [], framing: { kind: "length", length: 0 } },
    },
    {
      name: "rejects chunked on a 204",
      init: { status: 204, headers: [], framing: { kind: "chunked" } },
    },
    {
      name: "rejects Content-Length on a 1xx",
      init: { status: 103, headers: [], framing: { kind: "length", length: 0 } },
    },
    // A 304 never has content, so a chunked body cannot follow it.
    {
      name: "rejects chunked on a 304",
      init: { status: 304, headers: [], framing: { kind: "chunked" } },
    },
  ];
  for (const row of rejections) {
    test(row.name, () => {
      assert.throws(() => encodeResponseHead(row.init), TypeError);
    });
  }
});

describe("statusText()", () => {
  const rows: [number, string][] = [
    [100, "Continue"], // interim
    [200, "OK"], // the common case
    [413, "Content Too Large"], // RFC 9110's name, not the older "Payload Too Large"
    [431, "Request Header Fields Too Large"], // what the parser's limits answer
    [505, "HTTP Version Not Supported"], // what the parser answers to HTTP/2.0 over 1.x
    [299, ""], // unregistered
    [0, ""], // out of range
  ];
  for (const [status, text] of rows) {
    test(`gives "${text}" for ${status}`, () => assert.equal(statusText(status), text));
  }
});

describe("encodeChunk()", () => {
  const rows: { name: string; size: number; sizeLine: string }[] = [
    { name: "frames a 1-byte chunk", size: 1, sizeLine: "1" }, // smallest chunk
    { name: "frames a 15-byte chunk with one hex digit", size: 15, sizeLine: "f" }, // digit boundary
    { name: "frames a 16-byte chunk with two hex digits", size: 16, sizeLine: "10" }, // digit boundary
    { name: "frames a 255-byte chunk", size: 255, sizeLine: "ff" }, // lowercase hex
    { name: "frames a 4096-byte chunk", size: 4096, sizeLine: "1000" }, // typical buffer
    { name: "frames a 65536-byte chunk", size: 65536, sizeLine: "10000" }, // socket-read sized
  ];
  for (const row of rows) {
    test(row.name, () => {
      const data = new Uint8Array(row.size);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      const expected = new Uint8Array([...latin1(row.sizeLine + "\r\n"), ...data, 0x0d, 0x0a]);
      assert.deepEqual(encodeChunk(data), expected);
    });
  }

  test("frames a subarray view by its own bytes only", () => {
    const backing = latin1("xxHelloxx");
    assert.deepEqual(encodeChunk(backing.subarray(2, 7)), latin1("5\r\nHello\r\n"));
  });

  test("turns empty data into no bytes, never a premature last-chunk", () => {
    assert.equal(encodeChunk(new Uint8Array(0)).length, 0);
  });
});

describe("encodeLastChunk()", () => {
  const rows: { name: string; trailers?: string[]; wire: string }[] = [
    // No trailers: the bare last-chunk and the empty line.
    { name: "writes the bare last-chunk", wire: "0\r\n\r\n" },
    {
      name: "writes the bare last-chunk for an empty trailer list",
      trailers: [],
      wire: "0\r\n\r\n",
    },
    // Trailer fields follow the last-chunk in order (RFC 9112 §7.1.2).
    {
      name: "writes trailer fields after the last-chunk",
      trailers: ["Server-Timing", "db;dur=53", "X-Checksum", "abc"],
      wire: "0\r\nServer-Timing: db;dur=53\r\nX-Checksum: abc\r\n\r\n",
    },
    // Framing fields are never trailers (RFC 9110 §6.5.1).
    {
      name: "skips framing fields in trailers",
      trailers: ["Content-Length", "5", "X", "1", "transfer-encoding", "chunked"],
      wire: "0\r\nX: 1\r\n\r\n",
    },
    // obs-text in a trailer value goes out as Latin-1 too.
    {
      name: "writes obs-text trailer values as Latin-1",
      trailers: ["X", "\u00e9"],
      wire: "0\r\nX: \u00e9\r\n\r\n",
    },
  ];
  for (const row of rows) {
    test(row.name, () => assert.deepEqual(encodeLastChunk(row.trailers), latin1(row.wire)));
  }

  test("rejects CRLF in a trailer value", () => {
    assert.throws(() => encodeLastChunk(["X", "a\r\nY: b"]), TypeError);
  });

  test("rejects a non-token trailer name", () => {
    assert.throws(() => encodeLastChunk(["X Y", "a"]), TypeError);
  });

  test("returns a fresh buffer each call", () => {
    encodeLastChunk().fill(0);
    assert.deepEqual(encodeLastChunk(), latin1("0\r\n\r\n"));
  });
});

describe("encodeContinue()", () => {
  test("writes the 100 Continue interim response", () => {
    assert.deepEqual(encodeContinue(), latin1("HTTP/1.1 100 Continue\r\n\r\n"));
  });

  test("returns a fresh buffer each call", () => {
    encodeContinue().fill(0);
    assert.deepEqual(encodeContinue(), latin1("HTTP/1.1 100 Continue\r\n\r\n"));
  });
});

describe("encodeChunk() and encodeLastChunk() -> ChunkedDecoder", () => {
  test("round-trip random bodies, chunkings and trailers, followed by a pipelined request", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.tuple(trailerName, trailerValue), { maxLength: 5 }).map((pairs) =>
          pairs.flat()
        ),
        fc.array(fc.nat(), { maxLength: 12 }),
        (chunks, trailers, cuts) => {
          const next = latin1("GET / HTTP/1.1\r\n\r\n");
          const pieces = [...chunks.map(encodeChunk), encodeLastChunk(trailers), next];
          const wire = new Uint8Array(pieces.reduce((size, piece) => size + piece.length, 0));
          let at = 0;
          for (const piece of pieces) {
            wire.set(piece, at);
            at += piece.length;
          }
          const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1))), wire.length]
            .sort((a, b) => a - b);
          const decoder = new ChunkedDecoder();
          const body: number[] = [];
          let ended: readonly string[] | undefined;
          let start = 0;
          for (const point of points) {
            decoder.push(wire.subarray(start, point));
            start = point;
            for (let event = decoder.next(); event !== null; event = decoder.next()) {
              if (event.type === "data") body.push(...event.bytes);
              else ended = event.trailers;
            }
          }
          const expected: number[] = [];
          for (const chunk of chunks) expected.push(...chunk);
          assert.deepEqual(body, expected);
          assert.deepEqual(ended, trailers);
          assert.deepEqual(decoder.takeRemainder(), next);
        },
      ),
      { numRuns: 300 },
    );
  });
});
