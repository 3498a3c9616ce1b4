/**
 * The client's content-coding rules, pure (RFC 9110 §8.4): parsing
 * Content-Encoding, the order codings are undone in, telling zlib from raw
 * deflate, the Accept-Encoding value, and the decoding options' checks.
 * Decoding bodies is decode_body_test.ts.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, deflateSync, type ZlibOptions } from "node:zlib";
import {
  acceptEncodingValue,
  builtInCodings,
  decodingOrder,
  isZlibHeader,
  parseContentEncoding,
} from "../../lib/client/_content_coding.ts";
import { decodingOptions, ResponseDecoding } from "../../lib/client/_decode_body.ts";
import { PLAIN } from "./_plain_text.ts";

describe("content coding rules (RFC 9110 §8.4)", () => {
  test("parseContentEncoding lowercases, maps x-gzip, drops identity and empty members", () => {
    const rows: [string, string[]][] = [
      ["gzip", ["gzip"]],
      ["GZip", ["gzip"]],
      ["x-gzip", ["gzip"]], // §8.4.1.3
      ["deflate, br", ["deflate", "br"]],
      [" gzip ,, br ", ["gzip", "br"]],
      ["identity", []],
      ["identity, gzip", ["gzip"]],
      ["", []],
      ["compress", ["compress"]],
    ];
    for (const [value, expected] of rows) {
      assert.deepEqual(parseContentEncoding(value), expected, value);
    }
  });

  test("decodingOrder undoes the last coding first; any unknown one leaves the body as is", () => {
    const known = (coding: string) => ["gzip", "deflate", "br"].includes(coding);
    assert.deepEqual(decodingOrder(["gzip", "br"], known), ["br", "gzip"]);
    assert.deepEqual(decodingOrder(["deflate"], known), ["deflate"]);
    assert.equal(decodingOrder([], known), null);
    assert.equal(decodingOrder(["gzip", "zstd"], known), null);
    assert.equal(decodingOrder(["compress", "gzip"], known), null);
  });

  test("isZlibHeader accepts every zlib header and no raw deflate stream", () => {
    const inputs = [PLAIN, new Uint8Array(0), Uint8Array.of(0), new Uint8Array(70_000)];
    for (const input of inputs) {
      for (let level = 0; level <= 9; level++) {
        for (let windowBits = 9; windowBits <= 15; windowBits++) {
          const options: ZlibOptions = { level, windowBits };
          const zlib = deflateSync(input, options);
          assert.ok(isZlibHeader(zlib[0], zlib[1]), `zlib level ${level} window ${windowBits}`);
          const raw = deflateRawSync(input, options);
          assert.ok(!isZlibHeader(raw[0], raw[1]), `raw level ${level} window ${windowBits}`);
        }
      }
    }
  });

  test("Accept-Encoding lists what the runtime decodes, plus injected decoders", () => {
    const node20 = (format: string) => format !== "brotli";
    assert.deepEqual(builtInCodings(node20), ["gzip", "deflate"]);
    assert.deepEqual(builtInCodings(() => true), ["gzip", "deflate", "br"]);
    // deflate needs both of its formats.
    assert.deepEqual(builtInCodings((format) => format !== "deflate-raw"), ["gzip", "br"]);
    assert.equal(acceptEncodingValue([]), null);
    const options = { decompress: true, decoders: { br: () => new TransformStream() } };
    const withBrotli = new ResponseDecoding({ ...options, maxResponseBodySize: 1 }, ["gzip"]);
    assert.equal(withBrotli.acceptEncoding, "gzip, br");
    const off = new ResponseDecoding({ ...options, decompress: false, maxResponseBodySize: 1 });
    assert.equal(off.acceptEncoding, null);
  });

  test("decodingOptions: defaults, and a TypeError naming the option for a wrong value", () => {
    assert.deepEqual(decodingOptions({}), {
      decompress: true,
      maxResponseBodySize: Infinity,
      decoders: {},
    });
    const rows: [Record<string, unknown>, RegExp][] = [
      [{ decompress: "no" }, /^decompress: expected a boolean, got "no"$/],
      [{ decompress: 0 }, /^decompress: /],
      [{ maxResponseBodySize: -1 }, /^maxResponseBodySize: .* got -1$/],
      [{ maxResponseBodySize: 1.5 }, /^maxResponseBodySize: /],
      [{ maxResponseBodySize: NaN }, /^maxResponseBodySize: /],
      [{ maxResponseBodySize: "1mb" }, /^maxResponseBodySize: /],
      [{ contentDecoders: "br" }, /^contentDecoders: expected an object/],
      [{ contentDecoders: { zstd: 1 } }, /^contentDecoders\.zstd: expected a function, got 1$/],
    ];
    for (const [options, message] of rows) {
      assert.throws(() => decodingOptions(options), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(decodingOptions({ maxResponseBodySize: 0 }).maxResponseBodySize, 0);
  });
});
