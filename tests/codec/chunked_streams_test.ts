/**
 * ChunkedDecoderStream() and ChunkedEncoderStream() (RFC 9112 §7.1), each
 * fed whole, byte by byte and in halves, and round-tripped with random
 * bodies, chunkings and trailers. The other stream adapters are in
 * streams_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { trailerName, trailerValue } from "./_arbitraries.ts";
import { ChunkedDecoderStream, ChunkedEncoderStream } from "../../lib/codec/streams.ts";
import {
  collect,
  concat,
  cuts,
  feeds,
  latin1,
  rejectsWith,
  splitAt,
  streamOf,
} from "./_streams.ts";

describe("ChunkedDecoderStream()", () => {
  const rows: { name: string; wire: string; body: string; trailers: string[] }[] = [
    // The smallest body: only the last chunk.
    { name: "decodes an empty body", wire: "0\r\n\r\n", body: "", trailers: [] },
    // One chunk, no trailers.
    { name: "decodes one chunk", wire: "5\r\nhello\r\n0\r\n\r\n", body: "hello", trailers: [] },
    // Several chunks concatenate in order.
    {
      name: "decodes several chunks in order",
      wire: "3\r\nabc\r\n1\r\nd\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
      body: "abcd0123456789abcdef",
      trailers: [],
    },
    // Hex sizes are case-insensitive and may have leading zeros (RFC 9112 §7.1).
    {
      name: "accepts uppercase hex and leading zeros",
      wire: "00A\r\n0123456789\r\n0000\r\n\r\n",
      body: "0123456789",
      trailers: [],
    },
    // Chunk extensions are parsed and ignored (RFC 9112 §7.1.1).
    {
      name: "ignores chunk extensions",
      wire: '5;name=value;quoted="a b"\r\nhello\r\n0;last\r\n\r\n',
      body: "hello",
      trailers: [],
    },
    // Trailer fields arrive through the trailers promise, in order.
    {
      name: "resolves trailer fields",
      wire: "2\r\nhi\r\n0\r\nX-Sum: 2\r\nServer-Timing: db;dur=1\r\n\r\n",
      body: "hi",
      trailers: ["X-Sum", "2", "Server-Timing", "db;dur=1"],
    },
    // Body bytes are opaque: CRLF and obs-text inside data pass through.
    {
      name: "passes CRLF and high bytes inside chunk data",
      wire: "4\r\n\r\n\u00ff\u0000\r\n0\r\n\r\n",
      body: "\r\n\u00ff\u0000",
      trailers: [],
    },
  ];
  for (const row of rows) {
    for (const [feed, chunks] of feeds(latin1(row.wire))) {
      test(`${row.name} (${feed})`, async () => {
        const decoder = new ChunkedDecoderStream();
        const body = concat(await collect(streamOf(chunks).pipeThrough(decoder)));
        assert.deepEqual(body, latin1(row.body));
        assert.deepEqual(await decoder.trailers, row.trailers);
      });
    }
  }

  const errors: { name: string; wire: string; status: number; code: string; options?: object }[] = [
    // RFC 9112 §7.1: chunk lines end in CRLF; a bare LF is a smuggling vector.
    {
      name: "rejects a bare LF in a chunk line",
      wire: "5\nhello\r\n0\r\n\r\n",
      status: 400,
      code: "bare-lf",
    },
    // The size must be hex digits.
    {
      name: "rejects a non-hex chunk size",
      wire: "zz\r\n",
      status: 400,
      code: "invalid-chunk-size",
    },
    // The data must be followed by exactly CRLF.
    {
      name: "rejects chunk data longer than its size",
      wire: "5\r\nhello!\r\n0\r\n\r\n",
      status: 400,
      code: "invalid-chunk-data-end",
    },
    // The input ending inside the body is never a complete shorter body.
    {
      name: "rejects input that ends inside chunk data",
      wire: "5\r\nhel",
      status: 400,
      code: "incomplete-message",
    },
    {
      name: "rejects input that ends before the last chunk",
      wire: "5\r\nhello\r\n",
      status: 400,
      code: "incomplete-message",
    },
    {
      name: "rejects input that ends inside the trailers",
      wire: "0\r\nX: 1\r\n",
      status: 400,
      code: "incomplete-message",
    },
    // One stream is one body: anything after it has nowhere to go (the body
    // itself was complete, so its trailers still resolve).
    {
      name: "rejects bytes after the last chunk",
      wire: "0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
      status: 400,
      code: "bytes-after-last-chunk",
    },
    // RFC 9110 §6.5.1: framing fields are not allowed as trailers.
    {
      name: "rejects a framing field in the trailers",
      wire: "0\r\nContent-Length: 5\r\n\r\n",
      status: 400,
      code: "forbidden-trailer",
    },
    // Limits pass through to the decoder: the body limit answers 413.
    {
      name: "rejects a body over maxBodySize",
      wire: "5\r\nhello\r\n0\r\n\r\n",
      status: 413,
      code: "body-too-large",
      options: { maxBodySize: 4 },
    },
  ];
  for (const row of errors) {
    for (const [feed, chunks] of feeds(latin1(row.wire))) {
      test(`${row.name} (${feed})`, async () => {
        const decoder = new ChunkedDecoderStream(row.options);
        await rejectsWith(collect(streamOf(chunks).pipeThrough(decoder)), row.status, row.code);
        if (row.code === "bytes-after-last-chunk") assert.deepEqual(await decoder.trailers, []);
        else await rejectsWith(decoder.trailers, row.status, row.code);
      });
    }
  }

  test("rejects bytes written after the body ended", async () => {
    const decoder = new ChunkedDecoderStream();
    const chunks = [latin1("0\r\n\r\n"), latin1("x")];
    await rejectsWith(
      collect(streamOf(chunks).pipeThrough(decoder)),
      400,
      "bytes-after-last-chunk",
    );
  });

  test("ignores empty writes after the body ended", async () => {
    const decoder = new ChunkedDecoderStream();
    const chunks = [latin1("1\r\na\r\n0\r\n\r\n"), new Uint8Array(0)];
    assert.deepEqual(concat(await collect(streamOf(chunks).pipeThrough(decoder))), latin1("a"));
  });

  test("rejects the trailers with the reason when the output is cancelled", async () => {
    const decoder = new ChunkedDecoderStream();
    await decoder.readable.cancel(new Error("client went away"));
    await assert.rejects(decoder.trailers, { message: "client went away" });
  });

  test("rejects the trailers with the reason when the input is aborted", async () => {
    const decoder = new ChunkedDecoderStream();
    const writer = decoder.writable.getWriter();
    // Not awaited: with nobody reading, backpressure holds the write pending.
    writer.write(latin1("5\r\nhel")).catch(() => {});
    await writer.abort(new Error("upstream failed"));
    await assert.rejects(decoder.trailers, { message: "upstream failed" });
  });

  test("does not report an unhandled rejection when nobody reads the trailers", async () => {
    const decoder = new ChunkedDecoderStream();
    await rejectsWith(
      collect(streamOf([latin1("zz\r\n")]).pipeThrough(decoder)),
      400,
      "invalid-chunk-size",
    );
    // Give an unhandled rejection the turns it needs to surface and fail the run.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});

describe("ChunkedEncoderStream()", () => {
  const rows: { name: string; chunks: string[]; trailers?: string[]; wire: string }[] = [
    // No input still ends the body properly.
    { name: "writes only the last chunk for no input", chunks: [], wire: "0\r\n\r\n" },
    // One input chunk, one output chunk.
    {
      name: "frames each write as one chunk",
      chunks: ["hello", " world"],
      wire: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    },
    // An empty write must not become the zero-size last-chunk.
    { name: "skips empty writes", chunks: ["", "a", ""], wire: "1\r\na\r\n0\r\n\r\n" },
    // Trailers come after the last chunk (RFC 9112 §7.1.2).
    {
      name: "writes trailers after the last chunk",
      chunks: ["a"],
      trailers: ["X-Sum", "1"],
      wire: "1\r\na\r\n0\r\nX-Sum: 1\r\n\r\n",
    },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const trailers = row.trailers;
      const stream = streamOf(row.chunks.map(latin1)).pipeThrough(
        new ChunkedEncoderStream(trailers === undefined ? {} : { trailers: () => trailers }),
      );
      assert.deepEqual(concat(await collect(stream)), latin1(row.wire));
    });
  }

  test("waits for asynchronous trailers", async () => {
    const stream = streamOf([latin1("ab")]).pipeThrough(
      new ChunkedEncoderStream({
        trailers: () => new Promise((resolve) => setTimeout(() => resolve(["Digest", "x"]), 5)),
      }),
    );
    assert.deepEqual(concat(await collect(stream)), latin1("2\r\nab\r\n0\r\nDigest: x\r\n\r\n"));
  });

  test("errors the stream on an invalid trailer", async () => {
    const stream = streamOf([latin1("ab")]).pipeThrough(
      new ChunkedEncoderStream({ trailers: () => ["X", "a\r\nInjected: 1"] }),
    );
    await assert.rejects(collect(stream), TypeError);
  });
});

const trailers = fc.array(fc.tuple(trailerName, trailerValue), { maxLength: 5 }).map((pairs) =>
  pairs.flat()
);
const bodyChunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 });

describe("ChunkedEncoderStream() -> ChunkedDecoderStream()", () => {
  test("round-trips random bodies, chunkings and trailers", async () => {
    await fc.assert(
      fc.asyncProperty(bodyChunks, trailers, cuts, async (chunks, fields, splits) => {
        const framed = concat(
          await collect(
            streamOf(chunks).pipeThrough(new ChunkedEncoderStream({ trailers: () => fields })),
          ),
        );
        const decoder = new ChunkedDecoderStream();
        const body = concat(await collect(streamOf(splitAt(framed, splits)).pipeThrough(decoder)));
        assert.deepEqual(body, concat(chunks));
        assert.deepEqual(await decoder.trailers, fields);
      }),
      { numRuns: 200 },
    );
  });
});
