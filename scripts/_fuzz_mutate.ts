/**
 * The input side of scripts/fuzz.ts: a seeded random source, a corpus of
 * valid and malformed requests, and mutations that aim at HTTP/1.x framing
 * (line endings, separators, numbers, framing fields). Inputs are Latin-1
 * strings, one char per byte.
 *
 * @module
 */

import { CANARY, desyncClasses } from "../tests/hardening/_desync_cases.ts";

/** A small, fast, seedable generator (sfc32); the same seed replays the same run. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

const H = "Host: t\r\n";

/** Well-formed requests: the shapes real clients send. */
const VALID = [
  "GET / HTTP/1.1\r\n" + H + "\r\n",
  "GET /echo?a=1&b=%20 HTTP/1.1\r\n" + H + "Accept: */*\r\nUser-Agent: fuzz\r\n\r\n",
  "POST /echo HTTP/1.1\r\n" + H + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
  "POST /echo HTTP/1.1\r\n" + H +
  'Transfer-Encoding: chunked\r\n\r\n5;ext="q"\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n',
  "PUT /echo HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
  "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "GET http://t/echo HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\n" + H + "\r\n",
  "HEAD / HTTP/1.1\r\n" + H + "\r\n",
  "\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
  ("GET / HTTP/1.1\r\n" + H + "\r\n").repeat(3),
];

/** Every request the fuzzer starts from: the valid shapes and every desync case. */
export const SEEDS: readonly string[] = [
  ...VALID,
  CANARY,
  ...Object.values(desyncClasses).flat().map((desync) => desync.input),
];

/** The valid shapes alone (the prefix oracle needs complete, valid requests). */
export const VALID_SEEDS: readonly string[] = VALID;

/** Bytes and tokens that decide HTTP/1.x framing. */
const DICTIONARY = [
  "\r\n",
  "\n",
  "\r",
  " ",
  "\t",
  ":",
  ",",
  ";",
  "=",
  '"',
  "\\",
  "\x00",
  "\x0b",
  "\x0c",
  "\x7f",
  "\x80",
  "\xff",
  "0",
  "1",
  "9",
  "a",
  "f",
  "-",
  "+",
  "ffffffffffffffff",
  "chunked",
  "identity",
  "gzip",
  "Transfer-Encoding: ",
  "Content-Length: ",
  "Host: t\r\n",
  "Connection: close\r\n",
  "Connection: keep-alive\r\n",
  "Expect: 100-continue\r\n",
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "GET / HTTP/1.1\r\n",
  "\r\n\r\n",
  "0\r\n\r\n",
  "5\r\nhello\r\n",
  " chunked",
  "Transfer-Encoding: chunked\r\n",
  "Content-Length: 0\r\n",
  "http://t",
  "*",
  "%00",
  "\r\n ",
  "\r\n\t",
];

/** Numbers that sit on the edges of parsers' arithmetic. */
const NUMBERS = [
  "0",
  "1",
  "2",
  "7",
  "10",
  "255",
  "256",
  "4096",
  "65535",
  "65536",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "9007199254740991",
  "9007199254740992",
  "18446744073709551615",
  "18446744073709551616",
  "-1",
  "00000000000000000001",
];

function randomByte(random: Random): string {
  return String.fromCharCode(random.below(256));
}

/** Applies one random mutation to `input`. */
export function mutateOnce(input: string, random: Random): string {
  const at = random.below(input.length + 1);
  const span = 1 + random.below(random.chance(0.8) ? 16 : 256);
  switch (random.below(9)) {
    case 0: { // flip one bit
      if (input.length === 0) return randomByte(random);
      const i = random.below(input.length);
      const flipped = input.charCodeAt(i) ^ (1 << random.below(8));
      return input.slice(0, i) + String.fromCharCode(flipped) + input.slice(i + 1);
    }
    case 1: // overwrite a byte with a framing byte
      return input.slice(0, at) + random.pick(DICTIONARY.slice(0, 17)) + input.slice(at + 1);
    case 2: // insert a token
      return input.slice(0, at) + random.pick(DICTIONARY) + input.slice(at);
    case 3: // delete a range
      return input.slice(0, at) + input.slice(at + span);
    case 4: // duplicate a range in place
      return input.slice(0, at + span) + input.slice(at, at + span) + input.slice(at + span);
    case 5: { // splice with another seed
      const other = random.pick(SEEDS);
      return input.slice(0, at) + other.slice(random.below(other.length + 1));
    }
    case 6: // replace a range with a token
      return input.slice(0, at) + random.pick(DICTIONARY) + input.slice(at + span);
    case 7: // insert random bytes
      return input.slice(0, at) +
        Array.from({ length: 1 + random.below(4) }, () => randomByte(random)).join("") +
        input.slice(at);
    default: { // change a number (a length, a chunk size, a version digit)
      const digits = [...input.matchAll(/[0-9A-Fa-f]+/g)];
      if (digits.length === 0) return input + random.pick(NUMBERS);
      const match = random.pick(digits);
      return input.slice(0, match.index) + random.pick(NUMBERS) +
        input.slice(match.index! + match[0].length);
    }
  }
}

/** A fresh input: a seed, mutated 0-4 times, sometimes with more requests pipelined after it. */
export function generateInput(random: Random): string {
  let input = random.pick(SEEDS);
  const rounds = random.below(5);
  for (let i = 0; i < rounds; i++) input = mutateOnce(input, random);
  if (random.chance(0.25)) input += random.pick(SEEDS);
  if (random.chance(0.1)) input += mutateOnce(random.pick(SEEDS), random);
  return input;
}

/** `count` random cut points of `length`, sorted, distinct, inside (0, length). */
export function randomCuts(length: number, count: number, random: Random): number[] {
  if (length < 2) return [];
  const cuts = new Set<number>();
  for (let i = 0; i < count; i++) cuts.add(1 + random.below(length - 1));
  return [...cuts].sort((a, b) => a - b);
}

/** A Latin-1 string shown safely on one line (for findings). */
export function showInput(input: string): string {
  return JSON.stringify(input).replace(/[\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}
