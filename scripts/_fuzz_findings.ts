/**
 * What the fuzzers (scripts/fuzz.ts, scripts/fuzz_websocket.ts) found: each
 * oracle failure is printed once when it happens and listed again at the
 * end, where a truncated log still shows it; the exit status says whether
 * there was any.
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
