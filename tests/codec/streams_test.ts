/**
 * LengthLimitedStream() and RequestDecoderStream(): bodies framed by a
 * length or bounded by a limit, and the request parser as a stream, fed
 * whole, byte by byte and split anywhere. The chunked coding's streams are
 * in chunked_streams_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../../lib/codec/errors.ts";
import type { RequestEvent } from "../../lib/codec/events.ts";
import { RequestParser } from "../../lib/codec/request_parser.ts";
import { LengthLimitedStream, RequestDecoderStream } from "../../lib/codec/streams.ts";
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
