import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeChunk, encodeLastChunk } from "../../lib/codec/chunks.ts";
import type { Framing } from "../../lib/codec/events.ts";
import { encodeResponseHead } from "../../lib/codec/response_writer.ts";
import { type Collected, data, drive, end, head } from "./_response_parser_support.ts";

const TCHARS = [..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const VALUE_CHARS = [
  ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)),
  ...Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)),
];
const name = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 })
  .map((token) => "X-" + token);
// Values without surrounding whitespace, so the parser's trimming is the identity.
const value = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 20 });
const body = fc.uint8Array({ maxLength: 200 });

interface Exchange {
  wire: Uint8Array[];
  method: string;
  events: Collected[];
}

const exchange = fc.record({
  status: fc.oneof(fc.constantFrom(200, 204, 304, 404, 500), fc.integer({ min: 200, max: 999 })),
  method: fc.constantFrom("GET", "GET", "POST", "HEAD"),
  fields: fc.array(fc.tuple(name, value), { maxLength: 6 }),
  chunked: fc.boolean(),
  body,
  cut: fc.integer({ min: 1, max: 50 }),
  continues: fc.nat(2),
}).map(({ status, method, fields, chunked, body, cut, continues }): Exchange => {
  const headers = fields.flat();
  const noContent = method === "HEAD" || status === 204 || status === 304;
  const content = noContent ? new Uint8Array() : body;
  const framing: Framing = status === 204 || (status === 304 && chunked)
    ? { kind: "none" }
    : chunked
    ? { kind: "chunked" }
    : { kind: "length", length: noContent ? body.length : content.length };
  const wire: Uint8Array[] = [];
  const events: Collected[] = [];
  for (let i = 0; i < continues; i++) {
    wire.push(encodeResponseHead({ status: 100, headers: [], framing: { kind: "none" } }));
    events.push({ type: "interim", status: 100, statusText: "Continue", headers: [] });
  }
  wire.push(encodeResponseHead({ status, headers, framing }));
  const sent = [...headers];
  if (framing.kind === "length") sent.push("Content-Length", String(framing.length));
  if (framing.kind === "chunked") sent.push("Transfer-Encoding", "chunked");
  const parsedFraming = noContent
    ? "none"
    : framing.kind === "chunked"
    ? "chunked"
    : content.length > 0
    ? "length"
    : "none";
  events.push(head({
    status,
    statusText: new TextDecoder().decode(wire[wire.length - 1]).split("\r\n")[0].slice(13),
    method,
    headers: sent,
    framing: parsedFraming,
    contentLength: parsedFraming === "length" ? content.length : 0,
  }));
  if (framing.kind === "chunked" && !noContent) {
    for (let i = 0; i < content.length; i += cut) wire.push(encodeChunk(content.slice(i, i + cut)));
    wire.push(encodeLastChunk());
  } else if (content.length > 0) {
    wire.push(content);
  }
  if (content.length > 0) {
    events.push(data(String.fromCharCode(...content)));
  }
  events.push(end());
  return { wire, method, events };
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits `input` at the given sorted, distinct cut points. */
function splitAt(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(input.slice(from, cut));
    from = cut;
  }
  pieces.push(input.slice(from));
  return pieces;
}

describe("ResponseParser properties", () => {
  test("any pipeline of written responses parses back, however it is split", () => {
    fc.assert(
      fc.property(
        fc.array(exchange, { minLength: 1, maxLength: 5 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (exchanges, fractions) => {
          const input = concat(exchanges.flatMap((one) => one.wire));
          const methods = exchanges.map((one) => one.method);
          const expected = exchanges.flatMap((one) => one.events);
          const cuts = [...new Set(fractions.map((f) => Math.floor(f * input.length)))]
            .filter((cut) => cut > 0 && cut < input.length)
            .sort((a, b) => a - b);
          assert.deepStrictEqual(drive(splitAt(input, cuts), methods), { events: expected });
        },
      ),
      { numRuns: 400 },
    );
  });

  test("random bytes after a valid head never crash: events or one ProtocolError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (noise) => {
        const input = concat([new TextEncoder().encode("HTTP/1.1 200 OK\r\n"), noise]);
        // drive() fails the test on anything thrown besides ProtocolError.
        const whole = drive([input], ["GET"]);
        const bytewise = drive(Array.from(input, (byte) => Uint8Array.of(byte)), ["GET"]);
        assert.deepStrictEqual(bytewise, whole);
      }),
      { numRuns: 500 },
    );
  });
});
