/**
 * Drivers for the response parser tests: feed an input to a fresh parser
 * whole, byte by byte and split at every boundary, and reduce the events to
 * plain, comparable objects.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ProtocolError } from "../../lib/codec/errors.ts";
import {
  type ResponseEvent,
  type ResponseHead,
  ResponseParser,
  type ResponseParserOptions,
} from "../../lib/codec/response_parser.ts";
import { bytes, feedings, text } from "./_drive.ts";

export { bytes, text };

/** A final head as compared in tests. */
export type HeadEvent = { -readonly [K in keyof ResponseHead]: ResponseHead[K] };
/** A 1xx head as compared in tests. */
export interface InterimEvent {
  type: "interim";
  status: number;
  statusText: string;
  headers: string[];
}
/** Consecutive data events merged, bytes as a Latin-1 string. */
export interface DataEvent {
  type: "data";
  text: string;
}
/** An end event with its trailers. */
export interface EndEvent {
  type: "end";
  trailers: string[];
}
/** One collected event. */
export type Collected = HeadEvent | InterimEvent | DataEvent | EndEvent;
/** Everything a parser produced for one input: the events, then the error if any. */
export interface Outcome {
  events: Collected[];
  error?: { status: number; code: string };
}

function record(events: Collected[], event: ResponseEvent): void {
  if (event.type === "data") {
    assert.ok(event.bytes.length > 0, "data events are never empty");
    const last = events[events.length - 1];
    if (last !== undefined && last.type === "data") last.text += text(event.bytes);
    else events.push({ type: "data", text: text(event.bytes) });
  } else if (event.type === "end") {
    events.push({ type: "end", trailers: [...event.trailers] });
  } else if (event.type === "interim") {
    events.push({ ...event, headers: [...event.headers] });
  } else {
    events.push({ ...event, headers: [...event.headers] });
  }
}

const MAX_EVENTS = 1_000_000;

/**
 * Announces `methods`, pushes `pieces` one by one into a new parser,
 * draining `next()` after each, then calls `finish()` and drains. Anything
 * thrown that is not a ProtocolError fails the test.
 */
export function drive(
  pieces: readonly Uint8Array[],
  methods: readonly string[],
  options?: ResponseParserOptions,
): Outcome {
  const parser = new ResponseParser(options);
  for (const method of methods) parser.expect(method);
  const events: Collected[] = [];
  let count = 0;
  const drain = () => {
    for (let event = parser.next(); event !== null; event = parser.next()) {
      record(events, event);
      if (++count > MAX_EVENTS) throw new Error("next() does not terminate");
    }
  };
  try {
    for (const piece of pieces) {
      parser.push(piece);
      drain();
    }
    parser.finish();
    drain();
    assert.equal(parser.state, "closed");
    assert.equal(parser.buffered, 0);
    return { events };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    assert.equal(parser.state, "error");
    assert.throws(() => parser.next(), (again: unknown) => again === error, "the error is sticky");
    return { events, error: { status: error.status, code: error.code } };
  }
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
