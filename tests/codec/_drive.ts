/**
 * Drivers shared by the codec tests: feed an input to a fresh parser in
 * several ways and reduce the events to plain, comparable objects.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RequestHead } from "../../lib/codec/events.ts";
import { ProtocolError } from "../../lib/codec/errors.ts";
import type { RequestParserOptions } from "../../lib/codec/limits.ts";
import { RequestParser } from "../../lib/codec/request_parser.ts";

/** A head as compared in tests (same fields as the event). */
export type HeadEvent = { -readonly [K in keyof RequestHead]: RequestHead[K] };
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
export type Collected = HeadEvent | DataEvent | EndEvent;
/** Everything a parser produced for one input: the events, then the error if any. */
export interface Outcome {
  events: Collected[];
  error?: { status: number; code: string };
}

/** The bytes of a string whose chars are all <= 0xFF (Latin-1). */
export function bytes(text: string): Uint8Array {
  const result = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`not Latin-1 at ${i}`);
    result[i] = code;
  }
  return result;
}

/** Latin-1 decoding for expectations. */
export function text(data: Uint8Array): string {
  let result = "";
  for (const byte of data) result += String.fromCharCode(byte);
  return result;
}

/** The sans-IO surface both parsers share, as far as the drivers use it. */
export interface PushParser<Event> {
  push(bytes: Uint8Array): void;
  next(): Event | null;
  finish(): void;
  readonly state: string;
  readonly buffered: number;
}

/** Any parser event: a head or interim head (with headers), data, or end. */
type ParserEvent =
  | { readonly type: "data"; readonly bytes: Uint8Array }
  | { readonly type: "end"; readonly trailers: readonly string[] }
  | { readonly type: "head" | "interim"; readonly headers: readonly string[] };

function record<C>(events: C[], event: ParserEvent): void {
  const collected = events as unknown as (DataEvent | EndEvent | Record<string, unknown>)[];
  if (event.type === "data") {
    assert.ok(event.bytes.length > 0, "data events are never empty");
    const last = collected[collected.length - 1];
    if (last !== undefined && last.type === "data") (last as DataEvent).text += text(event.bytes);
    else collected.push({ type: "data", text: text(event.bytes) });
  } else if (event.type === "end") {
    collected.push({ type: "end", trailers: [...event.trailers] });
  } else {
    collected.push({ ...event, headers: [...event.headers] });
  }
}

// next() must terminate; a generous cap turns an infinite loop into a failure.
const MAX_EVENTS = 1_000_000;

/**
 * Pushes `pieces` one by one into `parser`, draining `next()` after each,
 * then calls `finish()` and drains. Anything thrown that is not a
 * ProtocolError fails the test; a ProtocolError must leave the parser in
 * "error" and be thrown again by the next `next()`.
 */
export function driveParser<C>(
  parser: PushParser<ParserEvent>,
  pieces: readonly Uint8Array[],
): { events: C[]; error?: { status: number; code: string } } {
  const events: C[] = [];
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

/** Drives a new request parser (see {@linkcode driveParser}). */
export function drive(pieces: readonly Uint8Array[], options?: RequestParserOptions): Outcome {
  return driveParser<Collected>(new RequestParser(options), pieces);
}

/**
 * The ways an input is fed: whole, one byte at a time, and in two pushes
 * split at every boundary (at most `maxSplits` of them, spread evenly, for
 * long inputs).
 */
export function* feedings(input: Uint8Array, maxSplits = 400): Generator<[string, Uint8Array[]]> {
  yield ["whole", [input]];
  const single: Uint8Array[] = [];
  for (let i = 0; i < input.length; i++) single.push(input.subarray(i, i + 1));
  yield ["byte by byte", single];
  const step = Math.max(1, Math.ceil((input.length - 1) / maxSplits));
  for (let at = 1; at < input.length; at += step) {
    // Copies, so the two halves never share a buffer with each other.
    yield [`split at ${at}`, [input.slice(0, at), input.slice(at)]];
  }
}

/** Asserts that every feeding of `input` produces `expected`. */
export function assertFeedings(
  input: Uint8Array,
  expected: Outcome,
  options?: RequestParserOptions,
): void {
  for (const [how, pieces] of feedings(input)) {
    assert.deepStrictEqual(drive(pieces, options), expected, how);
  }
}

/** A pipelined request appended after every valid input; it must parse too. */
export const CANARY = "GET /canary HTTP/1.1\r\nHost: canary\r\n\r\n";

/** Builds a head event with defaults: GET / HTTP/1.1, no body, host taken from the headers. */
export function head(fields: Partial<HeadEvent> = {}): HeadEvent {
  const headers = fields.headers ?? [];
  let host = "";
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].toLowerCase() === "host") host = headers[i + 1];
  }
  return {
    type: "head",
    method: "GET",
    target: "/",
    version: "1.1",
    headers: [...headers],
    framing: "none",
    contentLength: 0,
    connection: "",
    host,
    expectContinue: false,
    ...fields,
  };
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
  head({ target: "/canary", headers: ["Host", "canary"] }),
  end(),
];

/** A valid input and the events it must produce. */
export interface ValidCase {
  /** What the row shows. */
  name: string;
  /** Latin-1 input. */
  input: string;
  /** Parser limits, when not the defaults. */
  options?: RequestParserOptions;
  /** The expected events. */
  events: Collected[];
}

/** An invalid input, the events before the error, and the error. */
export interface InvalidCase {
  /** What the row shows. */
  name: string;
  /** Latin-1 input. */
  input: string;
  /** Parser limits, when not the defaults. */
  options?: RequestParserOptions;
  /** The status to answer. */
  status: number;
  /** The error code. */
  code: string;
  /** Events returned before the error (default none). */
  before?: Collected[];
}

/** Checks a valid case in every feeding, alone and followed by the canary. */
export function checkValid(row: ValidCase): void {
  assertFeedings(bytes(row.input), { events: row.events }, row.options);
  assertFeedings(
    bytes(row.input + CANARY),
    { events: [...row.events, ...CANARY_EVENTS] },
    row.options,
  );
}

/** Checks an invalid case in every feeding. */
export function checkInvalid(row: InvalidCase): void {
  assertFeedings(bytes(row.input), {
    events: row.before ?? [],
    error: { status: row.status, code: row.code },
  }, row.options);
}
