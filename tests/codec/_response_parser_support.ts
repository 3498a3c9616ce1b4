/**
 * Drivers for the response parser tests: feed an input to a fresh parser
 * whole, byte by byte and split at every boundary, and reduce the events to
 * plain, comparable objects.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type ResponseHead,
  ResponseParser,
  type ResponseParserOptions,
} from "../../lib/codec/response_parser.ts";
import { bytes, type DataEvent, driveParser, type EndEvent, feedings, text } from "./_drive.ts";

export { bytes, type DataEvent, type EndEvent, text };

/** A final head as compared in tests. */
export type HeadEvent = { -readonly [K in keyof ResponseHead]: ResponseHead[K] };
/** A 1xx head as compared in tests. */
export interface InterimEvent {
  type: "interim";
  status: number;
  statusText: string;
  headers: string[];
}
/** One collected event. */
export type Collected = HeadEvent | InterimEvent | DataEvent | EndEvent;
/** Everything a parser produced for one input: the events, then the error if any. */
export interface Outcome {
  events: Collected[];
  error?: { status: number; code: string };
}

/**
 * Announces `methods` to a new response parser, then drives it (see
 * `driveParser` in _drive.ts).
 */
export function drive(
  pieces: readonly Uint8Array[],
  methods: readonly string[],
  options?: ResponseParserOptions,
): Outcome {
  const parser = new ResponseParser(options);
  for (const method of methods) parser.expect(method);
  return driveParser<Collected>(parser, pieces);
}

/** Asserts that every feeding of `input` produces `expected`. */
export function assertFeedings(
  input: Uint8Array,
  methods: readonly string[],
  expected: Outcome,
  options?: ResponseParserOptions,
): void {
  for (const [how, pieces] of feedings(input)) {
    assert.deepStrictEqual(drive(pieces, methods, options), expected, how);
  }
}

/** A response appended after every valid framed input; it must parse too. */
export const CANARY = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ncanary";

/** Builds a final head event with defaults: HTTP/1.1 200 OK to GET, no body. */
export function head(fields: Partial<HeadEvent> = {}): HeadEvent {
  const headers = fields.headers ?? [];
  return {
    type: "head",
    status: 200,
    statusText: "OK",
    version: "1.1",
    headers: [...headers],
    framing: "none",
    contentLength: 0,
    connection: "",
    keepAlive: "",
    method: "GET",
    ...fields,
  };
}

/** An interim head. */
export function interim(status: number, statusText: string, headers: string[] = []): InterimEvent {
  return { type: "interim", status, statusText, headers };
}

/** A merged data event. */
export function data(body: string): DataEvent {
  return { type: "data", text: body };
}

/** An end event. */
export function end(trailers: string[] = []): EndEvent {
  return { type: "end", trailers };
}

/** The canary's events. */
export const CANARY_EVENTS: Collected[] = [
  head({ headers: ["Content-Length", "6"], framing: "length", contentLength: 6 }),
  data("canary"),
  end(),
];

/** A valid input and the events it must produce. */
export interface ValidCase {
  /** What the row shows. */
  name: string;
  /** Latin-1 input. */
  input: string;
  /** Methods announced before parsing (default one GET). */
  methods?: string[];
  /** Parser limits, when not the defaults. */
  options?: ResponseParserOptions;
  /** The expected events. */
  events: Collected[];
  /** True when the body ends at EOF, so nothing can follow it. */
  closeDelimited?: boolean;
}

/** An invalid input, the events before the error, and the error. */
export interface InvalidCase {
  /** What the row shows. */
  name: string;
  /** Latin-1 input. */
  input: string;
  /** Methods announced before parsing (default one GET). */
  methods?: string[];
  /** Parser limits, when not the defaults. */
  options?: ResponseParserOptions;
  /** The status carried by the error. */
  status: number;
  /** The error code. */
  code: string;
  /** Events returned before the error (default none). */
  before?: Collected[];
}

/** Checks a valid case in every feeding, alone and (when framed) followed by the canary. */
export function checkValid(row: ValidCase): void {
  const methods = row.methods ?? ["GET"];
  assertFeedings(bytes(row.input), methods, { events: row.events }, row.options);
  if (row.closeDelimited) return;
  assertFeedings(
    bytes(row.input + CANARY),
    [...methods, "GET"],
    { events: [...row.events, ...CANARY_EVENTS] },
    row.options,
  );
}

/** Checks an invalid case in every feeding. */
export function checkInvalid(row: InvalidCase): void {
  assertFeedings(bytes(row.input), row.methods ?? ["GET"], {
    events: row.before ?? [],
    error: { status: row.status, code: row.code },
  }, row.options);
}
