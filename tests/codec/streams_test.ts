import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../../lib/codec/errors.ts";
import type { RequestEvent } from "../../lib/codec/events.ts";
import { RequestParser } from "../../lib/codec/request_parser.ts";
import {
  ChunkedDecoderStream,
  ChunkedEncoderStream,
  LengthLimitedStream,
  RequestDecoderStream,
} from "../../lib/codec/streams.ts";

/** One byte per char, so rows can spell obs-text directly. */
function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A source that yields one chunk per pull, so every write is its own transform call. */
function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++]);
      else controller.close();
    },
  });
}

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) out.push(read.value);
  return out;
}

/** The three feeds every codec test uses: whole, byte by byte, and at a midpoint. */
function feeds(wire: Uint8Array): [string, Uint8Array[]][] {
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
  const middle = wire.length >> 1;
  return [
    ["whole", [wire]],
    ["byte by byte", bytes],
    ["in two halves", [wire.subarray(0, middle), wire.subarray(middle)]],
  ];
}

function splitAt(wire: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    out.push(wire.subarray(start, point));
    start = point;
  }
  out.push(wire.subarray(start));
  return out;
}

async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return true;
  });
}

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

// Trailer names the decoder accepts (none of RFC 9110 §6.5.1's forbidden
// fields) and values without surrounding whitespace, which it would trim.
const trailerName = fc
  .string({ unit: fc.constantFrom(..."abcXYZ019-_!#$%&'*+.^`|~"), minLength: 1, maxLength: 12 })
  .map((suffix) => "X-" + suffix);
const trailerValueChar = fc.integer({ min: 0x21, max: 0xff })
  .filter((code) => code !== 0x7f)
  .map((code) => String.fromCharCode(code));
const trailerValue = fc
  .tuple(
    fc.string({ unit: trailerValueChar, maxLength: 10 }),
    fc.string({ unit: trailerValueChar, maxLength: 10 }),
  )
  .map(([left, right]) => (left && right ? left + " " + right : left + right));
const trailers = fc.array(fc.tuple(trailerName, trailerValue), { maxLength: 5 }).map((pairs) =>
  pairs.flat()
);
const bodyChunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

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

describe("LengthLimitedStream()", () => {
  const passes: { name: string; options: object; chunks: number[]; out: number }[] = [
    // Exactly the declared length passes unchanged, however it is split.
    {
      name: "passes exactly the declared length",
      options: { length: 10 },
      chunks: [3, 0, 7],
      out: 10,
    },
    // A zero length with no input is a complete empty body.
    { name: "passes an empty body of length 0", options: { length: 0 }, chunks: [], out: 0 },
    // The limit itself is allowed.
    { name: "passes a body at maxBytes", options: { maxBytes: 10 }, chunks: [5, 5], out: 10 },
    // Under a limit, any shorter body is complete.
    { name: "passes a short body under maxBytes", options: { maxBytes: 10 }, chunks: [2], out: 2 },
    // Truncation keeps exactly the declared bytes.
    {
      name: "truncates past the length when asked",
      options: { length: 4, overrun: "truncate" },
      chunks: [3, 3, 3],
      out: 4,
    },
    // Both: the length governs while within the limit.
    {
      name: "passes a length within maxBytes",
      options: { length: 6, maxBytes: 6 },
      chunks: [6],
      out: 6,
    },
  ];
  for (const row of passes) {
    test(row.name, async () => {
      let next = 0;
      const chunks = row.chunks.map((size) =>
        Uint8Array.from({ length: size }, () => next++ & 0xff)
      );
      const out = concat(
        await collect(streamOf(chunks).pipeThrough(new LengthLimitedStream(row.options))),
      );
      assert.deepEqual(out, concat(chunks).subarray(0, row.out));
    });
  }

  const errors: {
    name: string;
    options: object;
    chunks: number[];
    status: number;
    code: string;
  }[] = [
    // RFC 9112 §6.2 / §8: a body cut short is incomplete, never a shorter body.
    {
      name: "rejects input shorter than the length",
      options: { length: 5 },
      chunks: [4],
      status: 400,
      code: "incomplete-message",
    },
    // Bytes past the declared length are an error by default.
    {
      name: "rejects input one byte past the length",
      options: { length: 5 },
      chunks: [3, 3],
      status: 400,
      code: "body-longer-than-length",
    },
    // One byte over the limit is 413.
    {
      name: "rejects one byte over maxBytes",
      options: { maxBytes: 10 },
      chunks: [10, 1],
      status: 413,
      code: "body-too-large",
    },
    // A declared length over the limit is refused before any byte.
    {
      name: "rejects a length over maxBytes at once",
      options: { length: 11, maxBytes: 10 },
      chunks: [11],
      status: 413,
      code: "body-too-large",
    },
  ];
  for (const row of errors) {
    test(row.name, async () => {
      const chunks = row.chunks.map((size) => new Uint8Array(size));
      await rejectsWith(
        collect(streamOf(chunks).pipeThrough(new LengthLimitedStream(row.options))),
        row.status,
        row.code,
      );
    });
  }

  test("throws on options without a length or a limit", () => {
    assert.throws(() => new LengthLimitedStream({}), TypeError);
  });

  test("throws on a negative or fractional length", () => {
    assert.throws(() => new LengthLimitedStream({ length: -1 }), RangeError);
    assert.throws(() => new LengthLimitedStream({ maxBytes: 1.5 }), RangeError);
  });
});

/** Merges adjacent data events: how bytes split into data events depends on the reads. */
function normalize(events: readonly RequestEvent[]): unknown[] {
  const out: unknown[] = [];
  let pending: Uint8Array[] = [];
  for (const event of events) {
    if (event.type === "data") {
      pending.push(event.bytes);
      continue;
    }
    if (pending.length !== 0) out.push({ type: "data", bytes: concat(pending) });
    pending = [];
    out.push(event);
  }
  if (pending.length !== 0) out.push({ type: "data", bytes: concat(pending) });
  return out;
}

function parseWhole(wire: Uint8Array): RequestEvent[] {
  const parser = new RequestParser();
  parser.push(wire);
  parser.finish();
  const events: RequestEvent[] = [];
  for (let event = parser.next(); event !== null; event = parser.next()) events.push(event);
  return events;
}

const requestText = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
  path: fc.string({ unit: fc.constantFrom(..."abc/-._~?=&"), maxLength: 20 }),
  fields: fc.array(
    fc.tuple(
      fc.constantFrom("Accept", "X-Trace", "User-Agent"),
      fc.string({ unit: fc.constantFrom(..."abc ;=/"), maxLength: 12 }),
    ),
    { maxLength: 4 },
  ),
  body: fc.option(
    fc.tuple(
      fc.constantFrom("length", "chunked"),
      fc.array(fc.string({ unit: fc.constantFrom(..."xyz\r\n"), minLength: 1, maxLength: 20 }), {
        maxLength: 3,
      }),
    ),
  ),
}).map(({ method, path, fields, body }) => {
  let text = `${method} /${path} HTTP/1.1\r\nHost: example.com\r\n`;
  for (const [name, value] of fields) text += `${name}: ${value.trim()}\r\n`;
  if (body === null) return text + "\r\n";
  const [framing, parts] = body;
  if (framing === "length") {
    const data = parts.join("");
    return text + `Content-Length: ${data.length}\r\n\r\n${data}`;
  }
  text += "Transfer-Encoding: chunked\r\n\r\n";
  for (const part of parts) text += `${part.length.toString(16)}\r\n${part}\r\n`;
  return text + "0\r\n\r\n";
});

describe("RequestDecoderStream()", () => {
  test("yields the events of RequestParser for pipelined requests split anywhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestText, { minLength: 1, maxLength: 5 }),
        cuts,
        async (requests, splits) => {
          const wire = latin1(requests.join(""));
          const expected = normalize(parseWhole(wire));
          const events = await collect(
            streamOf(splitAt(wire, splits)).pipeThrough(new RequestDecoderStream()),
          );
          assert.deepEqual(normalize(events), expected);
          assert.equal(events.filter((event) => event.type === "head").length, requests.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("yields head, data and end for a request with a body", async () => {
    const wire = latin1("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    for (const [, chunks] of feeds(wire)) {
      const events = normalize(
        await collect(streamOf(chunks).pipeThrough(new RequestDecoderStream())),
      );
      assert.deepEqual(events.map((event) => (event as RequestEvent).type), [
        "head",
        "data",
        "end",
      ]);
      assert.deepEqual((events[1] as { bytes: Uint8Array }).bytes, latin1("abc"));
    }
  });

  const errors: { name: string; wire: string; status: number; options?: object }[] = [
    // RFC 9112 §3: a request-line is method SP target SP version.
    { name: "rejects a malformed request-line with 400", wire: "GET\r\n\r\n", status: 400 },
    // RFC 9112 §2.2: a bare LF is not a line ending we accept.
    {
      name: "rejects a bare LF in the header section with 400",
      wire: "GET / HTTP/1.1\nHost: x\r\n\r\n",
      status: 400,
    },
    // A header section over the limit is 431 (RFC 6585 §5).
    {
      name: "rejects a header section over maxHeaderSize with 431",
      wire: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200)}\r\n\r\n`,
      status: 431,
      options: { maxHeaderSize: 100 },
    },
    // The input ending inside a body is incomplete (RFC 9112 §8).
    {
      name: "rejects input that ends inside a body with 400",
      wire: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
      status: 400,
    },
  ];
  for (const row of errors) {
    test(row.name, async () => {
      const stream = streamOf([latin1(row.wire)]).pipeThrough(
        new RequestDecoderStream(row.options),
      );
      await assert.rejects(collect(stream), (error: unknown) => {
        assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
        assert.equal(error.status, row.status);
        return true;
      });
    });
  }

  test("reports input that ends inside a body as incomplete-message", async () => {
    const wire = latin1("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    await rejectsWith(
      collect(streamOf([wire]).pipeThrough(new RequestDecoderStream())),
      400,
      "incomplete-message",
    );
  });
});
