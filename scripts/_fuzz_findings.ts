/**
 * What the fuzzers (scripts/fuzz.ts, scripts/fuzz_websocket.ts) found: each
 * oracle failure is printed once when it happens and listed again at the
 * end, where a truncated log still shows it; the exit status says whether
 * there was any. Also what both compare: a decoder's outcome for one input
 * fed in pieces.
 *
 * @module
 */

/** One oracle failure and the input that caused it. */
export interface Finding<Input> {
  readonly oracle: string;
  readonly detail: string;
  readonly input: Input;
}

/** The findings of one run, told apart by oracle and the start of their detail. */
export class Findings<Input> {
  readonly #show: (input: Input) => string;
  readonly #seen = new Set<string>();
  readonly #list: Finding<Input>[] = [];

  /** `show` renders an input for the log (escaped text, hex…). */
  constructor(show: (input: Input) => string) {
    this.#show = show;
  }

  /** How many different findings so far. */
  get count(): number {
    return this.#list.length;
  }

  /** Records a finding unless one like it was already recorded, and prints it. */
  report(oracle: string, detail: string, input: Input): void {
    const key = `${oracle}: ${detail.slice(0, 80)}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#list.push({ oracle, detail, input });
    console.log(`FINDING [${oracle}] ${detail}\n  input: ${this.#show(input)}`);
  }

  /** Lists every finding again, then exits: 0 with none, 1 otherwise. */
  exit(summary: string): never {
    console.log(`findings: ${this.#list.length} (${summary})`);
    for (const { oracle, detail, input } of this.#list) {
      console.log(`  [${oracle}] ${detail}\n    input: ${this.#show(input)}`);
    }
    process.exit(this.#list.length === 0 ? 0 : 1);
  }
}

/** Thrown inside a decoding run when an oracle fails (as opposed to a protocol error). */
export class OracleFailure extends Error {}

/** What a decoder made of an input: events (data merged) and the error, as comparable strings. */
export interface Outcome {
  events: string[];
  error: string;
}

/** True when two feedings of one input gave the same outcome. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return a.error === b.error && a.events.length === b.events.length &&
    a.events.every((event, i) => event === b.events[i]);
}

/** `bytes` cut at the (ascending) offsets `cuts`. */
export function piecesAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}
