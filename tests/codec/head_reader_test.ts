// deno-fmt-ignore-file -- one table row per line reads as a table.
/**
 * The one head reader seen through both roles: a field section read after a
 * request-line and after a status-line gives the same error, whole, byte by
 * byte and at every split. The start line is the role's only part of a head
 * (RFC 9112 §2.1: both messages are a start-line, field lines, an empty line).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { drive as driveRequest, feedings, bytes } from "./_drive.ts";
import { drive as driveResponse } from "./_response_parser_support.ts";

const LIMITS = { maxHeaderSize: 64, maxHeaderCount: 3, maxLeadingEmptyLines: 2 };

// Field sections (after the start line) and the error both roles must give.
const rows: { name: string; fields: string; status: number; code: string }[] = [
  // RFC 9112 §2.2: a bare LF ends no line
  { name: "a bare LF after a field", fields: "Host: a\nX: 1\r\n\r\n", status: 400, code: "bare-lf" },
  // §2.2: a CR not followed by LF
  { name: "a bare CR in a value", fields: "Host: a\r\nX: 1\r2\r\n\r\n", status: 400, code: "bare-cr" },
  // §5.2: obs-fold is refused
  { name: "obs-fold", fields: "Host: a\r\nX: 1\r\n 2\r\n\r\n", status: 400, code: "obs-fold" },
  // §5.1: no whitespace between name and colon
  { name: "whitespace before a colon", fields: "Host: a\r\nX : 1\r\n\r\n", status: 400, code: "whitespace-before-colon" },
  // RFC 9110 §5.5: NUL in a value
  { name: "NUL in a value", fields: "Host: a\r\nX: \x00\r\n\r\n", status: 400, code: "invalid-header-value" },
  // one field more than maxHeaderCount
  { name: "a field over the count", fields: "Host: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", status: 431, code: "too-many-headers" },
  // a section one byte over maxHeaderSize (64): "Host: a" 9 + "X: v…" 54 + the empty line 2
  { name: "a section over the size", fields: "Host: a\r\nX: " + "v".repeat(49) + "\r\n\r\n", status: 431, code: "header-section-too-large" },
  // §6.3: both framing fields
  { name: "Content-Length with Transfer-Encoding", fields: "Host: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "content-length-with-transfer-encoding" },
  // §6.3 item 5: two different lengths
  { name: "conflicting lengths", fields: "Host: a\r\nContent-Length: 1, 2\r\n\r\n", status: 400, code: "conflicting-content-length" },
  // EOF inside the field section
  { name: "EOF inside the fields", fields: "Host: a\r\nX: 1\r\n", status: 400, code: "incomplete-message" },
];

describe("the head reader in both roles", () => {
  for (const row of rows) {
    test(`refuses ${row.name} with ${row.status} ${row.code} after either start line`, () => {
      const expected = { status: row.status, code: row.code };
      for (const [how, pieces] of feedings(bytes("POST / HTTP/1.1\r\n" + row.fields))) {
        assert.deepStrictEqual(driveRequest(pieces, LIMITS).error, expected, `request, ${how}`);
      }
      for (const [how, pieces] of feedings(bytes("HTTP/1.1 200 OK\r\n" + row.fields))) {
        assert.deepStrictEqual(driveResponse(pieces, ["GET"], LIMITS).error, expected, `response, ${how}`);
      }
    });
  }

  test("skips the same number of stray empty lines before either start line", () => {
    for (const [start, drive] of [
      ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", (input: string) => driveRequest([bytes(input)], LIMITS)],
      ["HTTP/1.1 204 No Content\r\n\r\n", (input: string) => driveResponse([bytes(input)], ["GET"], LIMITS)],
    ] as const) {
      assert.equal(drive("\r\n\r\n" + start).error, undefined, start);
      assert.deepStrictEqual(drive("\r\n\r\n\r\n" + start).error, { status: 400, code: "too-many-empty-lines" }, start);
    }
  });
});
