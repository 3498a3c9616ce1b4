import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeRequestHead, type RequestHeadInit } from "../../lib/codec/request_writer.ts";
import { encodeChunk, encodeLastChunk } from "../../lib/codec/chunks.ts";
import { bytes, data, drive, end, head, text } from "./_drive.ts";

const H = ["Host", "a"];

describe("encodeRequestHead", () => {
  test("writes a GET without framing fields", () => {
    const wire = encodeRequestHead({
      method: "GET",
      target: "/x?y=1",
      headers: H,
      framing: { kind: "none" },
    });
    assert.equal(text(wire), "GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  });

  test("writes Content-Length for a known length, 0 included", () => {
    const wire = encodeRequestHead({
      method: "POST",
      target: "/",
      headers: H,
      framing: { kind: "length", length: 0 },
    });
    assert.equal(text(wire), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  });

  test("writes chunked and Expect: 100-continue when asked", () => {
    const wire = encodeRequestHead({
      method: "PUT",
      target: "/f",
      headers: [...H, "X-A", "1"],
      framing: { kind: "chunked" },
      expectContinue: true,
    });
    assert.equal(
      text(wire),
      "PUT /f HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    );
  });

  test("drops caller-set framing and Expect fields so only one framing is sent", () => {
    const wire = encodeRequestHead({
      method: "POST",
      target: "/",
      headers: [...H, "content-length", "99", "Transfer-Encoding", "gzip", "Expect", "x"],
      framing: { kind: "length", length: 1 },
    });
    assert.equal(text(wire), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n");
  });

  test("writes obs-text values as single Latin-1 bytes", () => {
    const wire = encodeRequestHead({
      method: "GET",
      target: "/",
      headers: [...H, "X", "caf\xe9"],
      framing: { kind: "none" },
    });
    assert.equal(wire[wire.length - 5], 0xe9);
  });

  const rejects: [string, Partial<RequestHeadInit>][] = [
    ["a method with a space", { method: "GE T" }],
    ["an empty method", { method: "" }],
    ["a target with a space", { target: "/a b" }],
    ["a target with a raw non-ASCII char", { target: "/caf\xe9" }],
    ["a field name with a colon", { headers: [...H, "X:", "v"] }],
    ["a value with CRLF (header injection)", { headers: [...H, "X", "v\r\nEvil: 1"] }],
    ["a value with NUL", { headers: [...H, "X", "\0"] }],
    ["a value above U+00FF", { headers: [...H, "X", "\u20ac"] }],
    ["an odd-length list", { headers: ["Host"] }],
    ["no Host", { headers: ["X", "1"] }],
    ["two Hosts", { headers: [...H, "host", "b"] }],
    ["a negative length", { framing: { kind: "length", length: -1 } }],
    ["a fractional length", { framing: { kind: "length", length: 1.5 } }],
  ];
  for (const [name, override] of rejects) {
    test(`throws TypeError on ${name}`, () => {
      assert.throws(
        () =>
          encodeRequestHead({
            method: "GET",
            target: "/",
            headers: H,
            framing: { kind: "none" },
            ...override,
          }),
        TypeError,
      );
    });
  }
});

describe("encodeRequestHead round trips through RequestParser", () => {
  test("a chunked POST with a body and trailers", () => {
    const parts = [
      encodeRequestHead({
        method: "POST",
        target: "/up",
        headers: H,
        framing: { kind: "chunked" },
      }),
      encodeChunk(bytes("hello ")),
      encodeChunk(bytes("world")),
      encodeLastChunk(["Digest", "x"]),
    ];
    const outcome = drive(parts);
    assert.deepEqual(outcome, {
      events: [
        head({
          method: "POST",
          target: "/up",
          headers: [...H, "Transfer-Encoding", "chunked"],
          framing: "chunked",
        }),
        data("hello world"),
        end(["Digest", "x"]),
      ],
    });
  });

  const TCHARS = [
    ..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ];
  const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
  const path = fc.string({ unit: fc.constantFrom(..."abc/.-_~%?=&"), maxLength: 30 }).map((p) =>
    "/" + p
  );
  const value = fc.string({ unit: fc.constantFrom(...'abc xyz,;="/\xe9!'), maxLength: 20 })
    .map((v) => v.trim());

  test("any valid head parses back to the same method, target and fields", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        path,
        fc.array(fc.tuple(token.map((t) => "X-" + t), value), { maxLength: 6 }),
        fc.nat(200),
        (method, target, fields, length) => {
          const headers = [...H, ...fields.flat()];
          const wire = encodeRequestHead({
            method,
            target,
            headers,
            framing: { kind: "length", length },
          });
          const body = "b".repeat(length);
          const outcome = drive([wire, bytes(body)]);
          assert.deepEqual(
            outcome.events[0],
            head({
              method,
              target,
              headers: [...headers, "Content-Length", String(length)],
              framing: length > 0 ? "length" : "none",
              contentLength: length,
            }),
          );
          assert.equal(outcome.error, undefined);
        },
      ),
      { numRuns: 300 },
    );
  });
});
