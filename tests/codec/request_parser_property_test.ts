import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunkedDecoder } from "../../lib/codec/body.ts";
import { ProtocolError } from "../../lib/codec/errors.ts";
import { bytes, type Collected, data, drive, end, head, text } from "./_drive.ts";

const TCHARS = [..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const VCHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i));

const token = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength });
const method = fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), token(10));
const target = fc.string({ unit: fc.constantFrom(...VCHARS), maxLength: 40 }).map((path) =>
  "/" + path
);
const fieldValue = fc.string({
  unit: fc.constantFrom(...VCHARS, ...OBS_TEXT, " ", "\t"),
  maxLength: 30,
});
// "X-" keeps generated names clear of the fields the parser interprets.
const field = fc.tuple(token(12).map((name) => "X-" + name), fieldValue);
const hostName = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-."),
  minLength: 1,
  maxLength: 12,
});

const trim = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, "");

interface Generated {
  wire: string;
  events: Collected[];
}

const chunking = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
  upper: fc.boolean(),
  zeros: fc.nat(3),
  extension: fc.constantFrom("", ";a", ";a=b", ';q="x y"', " ; n = v"),
  trailers: fc.array(field, { maxLength: 3 }),
});

const request = fc.record({
  method,
  target,
  host: hostName,
  fields: fc.array(field, { maxLength: 8 }),
  body: fc.string({
    unit: fc.constantFrom(...VCHARS, ...OBS_TEXT, "\r", "\n", "\0"),
    maxLength: 120,
  }),
  framing: fc.constantFrom("length", "chunked", "none"),
  chunking,
}).map(({ method, target, host, fields, body, framing, chunking }): Generated => {
  const headers = ["Host", host, ...fields.flatMap(([name, value]) => [name, trim(value)])];
  let wire = `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n` +
    fields.map(([name, value]) => `${name}:${value}\r\n`).join("");
  if (framing === "none") {
    return { wire: wire + "\r\n", events: [head({ method, target, headers }), end()] };
  }
  if (framing === "length") {
    wire += `Content-Length: ${body.length}\r\n\r\n` + body;
    headers.push("Content-Length", String(body.length));
    const head_ = head({
      method,
      target,
      headers,
      framing: body.length > 0 ? "length" : "none",
      contentLength: body.length,
    });
    return { wire, events: body.length > 0 ? [head_, data(body), end()] : [head_, end()] };
  }
  wire += "Transfer-Encoding: chunked\r\n\r\n";
  headers.push("Transfer-Encoding", "chunked");
  wire += encodeChunked(body, chunking);
  const trailers = chunking.trailers.flatMap(([name, value]) => [name, trim(value)]);
  const head_ = head({ method, target, headers, framing: "chunked" });
  return {
    wire,
    events: body.length > 0 ? [head_, data(body), end(trailers)] : [head_, end(trailers)],
  };
});

type Chunking = typeof chunking extends fc.Arbitrary<infer T> ? T : never;

function encodeChunked(
  body: string,
  { sizes, upper, zeros, extension, trailers }: Chunking,
): string {
  let wire = "";
  let offset = 0;
  for (let i = 0; offset < body.length; i++) {
    const size = Math.min(sizes[i % sizes.length], body.length - offset);
    const hex = size.toString(16);
    wire += "0".repeat(zeros) + (upper ? hex.toUpperCase() : hex) + extension + "\r\n" +
      body.slice(offset, offset + size) + "\r\n";
    offset += size;
  }
  return wire + "0" + extension + "\r\n" +
    trailers.map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
}

const pipeline = fc.array(request, { minLength: 1, maxLength: 4 }).map((requests) => ({
  wire: requests.map((r) => r.wire).join(""),
  events: requests.flatMap((r) => r.events),
}));

/** Cuts `input` at the given positions (taken modulo its length). */
function split(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(input.slice(from, point));
    from = point;
  }
  pieces.push(input.slice(from));
  return pieces;
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe("RequestParser properties", () => {
  test("parses any valid pipeline into the same events however it is split", () => {
    fc.assert(
      fc.property(pipeline, cuts, ({ wire, events }, cutsAt) => {
        const input = bytes(wire);
        assert.deepStrictEqual(drive([input]), { events });
        assert.deepStrictEqual(drive(split(input, cutsAt)), { events });
      }),
      { numRuns: 400 },
    );
  });

  test("throws only ProtocolError on random bytes, the same however they are split", () => {
    const noise = fc.uint8Array({ maxLength: 200 });
    const likely = fc.array(
      fc.constantFrom(
        ...bytes(
          "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0;x\r\n \t:,",
        ),
      ),
      { maxLength: 200 },
    ).map((list) => new Uint8Array(list));
    fc.assert(
      fc.property(fc.oneof(noise, likely), cuts, (input, cutsAt) => {
        assert.deepStrictEqual(drive(split(input, cutsAt)), drive([input]));
      }),
      { numRuns: 1000 },
    );
  });

  test("throws only ProtocolError on mutated valid requests, the same however they are split", () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("replace", "insert", "delete"),
      byte: fc.constantFrom(0x0d, 0x0a, 0x20, 0x09, 0x00, 0x3a, 0x3b, 0x2c, 0x30, 0x61, 0xff),
    });
    fc.assert(
      fc.property(
        pipeline,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        cuts,
        ({ wire }, mutations, cutsAt) => {
          const list = [...bytes(wire)];
          for (const { at, kind, byte } of mutations) {
            const i = at % (list.length + 1);
            if (kind === "insert") list.splice(i, 0, byte);
            else if (kind === "delete") list.splice(i, 1);
            else list[Math.min(i, list.length - 1)] = byte;
          }
          const input = new Uint8Array(list);
          assert.deepStrictEqual(drive(split(input, cutsAt)), drive([input]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("ChunkedDecoder properties", () => {
  test("decodes any chunking of any body back to the body, however it is split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), chunking, cuts, (body, how, cutsAt) => {
        const input = bytes(encodeChunked(text(body), how) + "REST");
        const decoder = new ChunkedDecoder();
        const received: number[] = [];
        let trailers: readonly string[] | null = null;
        for (const piece of split(input, cutsAt)) {
          decoder.push(piece);
          for (let event = decoder.next(); event !== null; event = decoder.next()) {
            if (event.type === "data") received.push(...event.bytes);
            else trailers = event.trailers;
          }
        }
        assert.deepStrictEqual(new Uint8Array(received), body);
        assert.deepStrictEqual(
          trailers,
          how.trailers.flatMap(([name, value]) => [name, trim(value)]),
        );
        assert.equal(text(decoder.takeRemainder()), "REST");
      }),
      { numRuns: 400 },
    );
  });

  test("throws only ProtocolError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        const decoder = new ChunkedDecoder({ maxBodySize: 1000 });
        decoder.push(input);
        decoder.finish();
        try {
          while (decoder.next() !== null);
        } catch (error) {
          assert.ok(error instanceof ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
