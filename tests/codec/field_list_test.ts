/**
 * The two lookups in a flat field list: the first line of a field, and
 * every line joined (RFC 9110 §5.3). Names are case-insensitive (RFC 9110
 * §5.1); an empty value is a present field, not an absent one.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { firstFieldValue, joinedFieldValue } from "../../lib/codec/field_list.ts";

const FIELDS = [
  "Content-Encoding",
  "gzip",
  "X-Empty",
  "",
  "VIA",
  "1.0 a",
  "content-encoding",
  "br",
  "via",
  "1.1 b",
];

describe("firstFieldValue()", () => {
  const rows: [string, string | null][] = [
    ["content-encoding", "gzip"], // the first of two lines, names in any case
    ["via", "1.0 a"], // upper-case name as received
    ["x-empty", ""], // present with an empty value
    ["x-absent", null],
    ["content-encodin", null], // a prefix is another name
  ];
  for (const [name, expected] of rows) {
    test(`${name} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(firstFieldValue(FIELDS, name), expected);
    });
  }
});

describe("joinedFieldValue()", () => {
  const rows: [string, string | null][] = [
    ["content-encoding", "gzip, br"], // every line, in arrival order
    ["via", "1.0 a, 1.1 b"],
    ["x-empty", ""],
    ["x-absent", null],
  ];
  for (const [name, expected] of rows) {
    test(`${name} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(joinedFieldValue(FIELDS, name), expected);
    });
  }

  test("joins as Headers.get does", () => {
    const headers = new Headers();
    for (let i = 0; i < FIELDS.length; i += 2) headers.append(FIELDS[i], FIELDS[i + 1]);
    for (const name of ["content-encoding", "via", "x-empty", "x-absent"]) {
      assert.equal(joinedFieldValue(FIELDS, name), headers.get(name), name);
    }
  });
});
