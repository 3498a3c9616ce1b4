/**
 * Writing a `101` a handler answered (RFC 9110 §15.2.2, §7.8): the head of
 * keepwire's hand-off for an upgrade request that can switch, or, for any
 * other `101`, the error response the queue writes instead.
 *
 * @module
 */

import { encodeResponseHead } from "../codec/response_writer.ts";
import { httpDate } from "./date.ts";
import { plainResponse } from "./dispatch.ts";
import type { Exchange } from "./exchange.ts";
import type { OutputBuffer } from "./output.ts";
import {
  handoffOf,
  refusalOfHead,
  refusedUpgradeResponse,
  type UpgradeHandoff,
} from "./upgrade.ts";

/**
 * A `101` answer: its head is pushed to `output` when it carries keepwire's
 * hand-off for an upgrade request (RFC 9110 §7.8), with `Connection:
 * upgrade` and the `Upgrade` token and never a Keep-Alive hint, and the
 * hand-off returned. Any other `101` (such as one from a runtime's own
 * upgrade API, which cannot work on a keepwire request) becomes a 500,
 * logged, rather than a broken switch; keepwire's hand-off for a request
 * that cannot switch (HTTP/1.0, content) gets the client error
 * `refusalOfHead` names. Either replaces `exchange.response` and returns
 * null. (`upgradeWebSocket` and `upgradeConnection` refuse those first;
 * this is for a Request they could not see through, such as a copy made by
 * a middleware.)
 */
export function writeAcceptedUpgrade(
  exchange: Exchange,
  output: OutputBuffer,
): UpgradeHandoff | null {
  const handoff = handoffOf(exchange.response!);
  const head = exchange.head;
  const upgradeTo = handoff?.headers.find(([name]) => name.toLowerCase() === "upgrade")?.[1];
  const refusal = head === null || handoff === undefined
    ? null
    : refusalOfHead(head, upgradeTo ?? "", exchange.bodyState === "ended");
  if (handoff !== undefined && head !== null && refusal === null) {
    const headers: string[] = ["date", httpDate()];
    for (const [name, value] of handoff.headers) headers.push(name, value);
    output.push(encodeResponseHead({ status: 101, headers, framing: { kind: "none" } }));
    return handoff;
  }
  console.error(
    handoff === undefined
      ? "keepwire: the handler answered 101 with a Response keepwire cannot carry out " +
        "(a runtime's own upgrade API, such as Deno's upgradeWebSocket, does not work on " +
        "keepwire requests); use keepwire's upgradeWebSocket(request) instead. Answering 500."
      : `keepwire: an upgrade was accepted for a request that cannot be upgraded ` +
        `(${refusal?.message ?? "no request"}). Answering ${refusal?.status ?? 500}.`,
  );
  exchange.response = refusal === null ? plainResponse(500) : refusedUpgradeResponse(refusal);
  return null;
}
