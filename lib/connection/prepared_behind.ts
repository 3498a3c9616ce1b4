/**
 * The pipelined run behind a slow front response: when the front
 * exchange's response must be read (a native `Response`, a stream), the
 * responses already known right behind it are prepared at once, so their
 * bodies' reads overlap and a pipelined batch of native responses waits
 * about twice rather than once per response. The queue (`response_queue.ts`)
 * awaits each in its turn and writes them in request order.
 *
 * @module
 */

import type { Exchange } from "./exchange.ts";
import { type OutgoingResponse, prepareResponse } from "./outgoing.ts";

/** No response prepared behind the front (the common case); never pushed to. */
export const NOTHING_PREPARED: Promise<OutgoingResponse>[] = Object.freeze(
  [],
) as unknown as Promise<OutgoingResponse>[];

/**
 * The responses already known right behind the front exchange
 * (`exchanges[0]`), prepared now; an exchange without one, or a `101`
 * (written by the queue's synchronous path), ends the run.
 */
export function prepareBehind(exchanges: readonly Exchange[]): Promise<OutgoingResponse>[] {
  let run: Promise<OutgoingResponse>[] | null = null;
  for (let i = 1; i < exchanges.length; i++) {
    const { response, isHead } = exchanges[i];
    if (response === null || response.status === 101) break;
    const preparing = prepareResponse(response, isHead);
    // Awaited in its turn, where a failure becomes a plain 500.
    preparing.catch(ignore);
    (run ??= []).push(preparing);
  }
  return run ?? NOTHING_PREPARED;
}

/**
 * Responses prepared ahead whose turn will not come (the connection closes
 * first): a body read partly ahead is cancelled, so its source stops.
 */
export function cancelPrepared(prepared: Promise<OutgoingResponse>[], from: number): void {
  for (let i = from; i < prepared.length; i++) {
    prepared[i].then((outgoing) => outgoing.reader?.cancel().catch(() => {}), () => {});
  }
}

/** A rejection handler that marks the rejection handled (one function, not one per call). */
function ignore(): void {}
