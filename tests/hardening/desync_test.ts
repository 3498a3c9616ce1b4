/**
 * The desync suite: raw byte sequences over a real socket against serve(),
 * each followed by a pipelined canary request. A case passes when the
 * server answers exactly what the case expects, then either answers the
 * canary or closes without the canary ever reaching the handler. Every case
 * is delivered whole, byte by byte, and split between every CR and LF.
 * The cases and the RFC 9112 rule each checks are in `_desync_cases.ts`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Handler } from "../../lib/connection/options.ts";
import { readResponse, type WireResponse } from "../_support/http_reader.ts";
import type { RawClient } from "../_support/raw_client.ts";
import {
  CANARY,
  CANARY_CALL,
  describeCall,
  type DesyncCase,
  desyncClasses,
  EARLY_PREFIX,
} from "./_desync_cases.ts";
import {
  DELIVERIES,
  type Delivery,
  latin1Bytes,
  piecesOf,
  type RecordingServe,
  sendPieces,
  startRecording,
} from "./_wire.ts";

/** Generous: the suite runs on a loaded 2-core machine next to other suites. */
const READ_TIMEOUT_MS = 10_000;

/** Answers `METHOD path length:body`; paths under /early answer before reading the body. */
const describingHandler: Handler = async (request) => {
  const path = new URL(request.url).pathname;
  if (path.startsWith(EARLY_PREFIX) || request.body === null) {
    return new Response(describeCall(request.method, path, ""));
  }
  return new Response(describeCall(request.method, path, await request.text()));
};

async function withRecording(body: (recording: RecordingServe) => Promise<void>): Promise<void> {
  const recording = await startRecording({}, describingHandler);
  try {
    await body(recording);
  } finally {
    await recording.close();
  }
}

function assertAnswer(response: WireResponse, expected: string | number, what: string): void {
  if (typeof expected === "string") {
    assert.equal(response.status, 200, `${what}: status of the handler's answer`);
    assert.equal(response.text, expected, `${what}: the handler saw this request`);
  } else {
    assert.equal(response.status, expected, `${what}: keepwire's own status`);
  }
}

/** Sends the case, then the canary, in pieces of `delivery`; checks every answer. */
async function runCase(recording: RecordingServe, desync: DesyncCase, delivery: Delivery) {
  const client = await recording.connect();
  const port = client.localPort; // read now: some runtimes forget it once closed
  const bytes = latin1Bytes(desync.input + CANARY);
  await sendPieces(client, piecesOf(bytes, delivery, [desync.input.length]));
  for (const [index, expected] of desync.responses.entries()) {
    const head = index === 0 && desync.headFirst === true;
    const response = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS, head });
    assertAnswer(response, expected, `response ${index + 1}`);
  }
  const canaryArrived = () => recording.callsFrom(port).some((call) => call.path === "/canary");
  if (desync.then === "canary") {
    const canary = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS });
    assert.equal(canary.text, CANARY_CALL, "the canary is answered as sent");
  } else {
    await assertClosedOrCanary(client, desync.then === "either", canaryArrived);
  }
  const paths = recording.callsFrom(port).map((call) => call.path);
  assert.ok(!paths.includes("/smuggled"), `a body was parsed as a request: ${paths.join(" ")}`);
}

/** The connection closes with nothing more to read and the canary unseen (or, if allowed, the canary is answered). */
async function assertClosedOrCanary(
  client: RawClient,
  canaryAllowed: boolean,
  canaryArrived: () => boolean,
): Promise<void> {
  const rest = new TextDecoder().decode(await client.readToEnd(READ_TIMEOUT_MS));
  if (canaryAllowed && rest !== "") {
    assert.match(rest, /^HTTP\/1\.1 200 [^]*\r\n\r\nGET \/canary 0:$/, "the canary's answer");
    return;
  }
  assert.equal(rest, "", "nothing follows the last expected response");
  assert.equal(canaryArrived(), false, "the canary never reached the handler");
}

for (const [className, cases] of Object.entries(desyncClasses)) {
  describe(`desync: ${className}`, () => {
    for (const desync of cases) {
      for (const delivery of DELIVERIES) {
        test(`${desync.name} [${desync.rule}] (${delivery})`, async () => {
          await withRecording((recording) => runCase(recording, desync, delivery));
        });
      }
    }
  });
}

describe("desync: bodies cut short and bodies after an early response", () => {
  const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

  for (const delivery of DELIVERIES) {
    // RFC 9112 §8: a message whose body ends early (FIN) is incomplete, never a short body.
    test(`a Content-Length body cut short by FIN is answered 400 (${delivery})`, async () => {
      await withRecording(async (recording) => {
        const client = await recording.connect();
        const head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello";
        await sendPieces(client, piecesOf(latin1Bytes(head), delivery));
        client.end();
        const rest = new TextDecoder().decode(await client.readToEnd(READ_TIMEOUT_MS));
        assert.match(
          rest,
          /^HTTP\/1\.1 400 [^]*\r\nconnection: close\r\n/i,
          "400, never a success",
        );
      });
    });

    test(`a chunked body cut short by FIN is answered 400 (${delivery})`, async () => {
      await withRecording(async (recording) => {
        const client = await recording.connect();
        const head =
          "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
        await sendPieces(client, piecesOf(latin1Bytes(head), delivery));
        client.end();
        const rest = new TextDecoder().decode(await client.readToEnd(READ_TIMEOUT_MS));
        assert.match(
          rest,
          /^HTTP\/1\.1 400 [^]*\r\nconnection: close\r\n/i,
          "400, never a success",
        );
      });
    });
  }

  // CL.0 with the body held back until the response has gone out: the
  // server has answered and is "between requests" from the handler's point
  // of view, yet the next bytes are still the body.
  test("a body sent after the early response is drained, not parsed", async () => {
    await withRecording(async (recording) => {
      const client = await recording.connect();
      const port = client.localPort;
      await client.write(
        `POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n`,
      );
      const early = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS });
      assert.equal(early.text, "POST /early 0:");
      await sendPieces(client, piecesOf(latin1Bytes(SMUGGLED + CANARY), "split at terminators"));
      const canary = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS });
      assert.equal(canary.text, CANARY_CALL);
      const paths = recording.callsFrom(port).map((call) => call.path);
      assert.deepEqual(paths, ["/early", "/canary"]);
    });
  });

  // Over the drain limit (256 KiB) the server closes instead of draining; the
  // request at the end of the body must still never be parsed.
  test("an early response to a body over the drain limit closes; its tail is never a request", async () => {
    await withRecording(async (recording) => {
      const client = await recording.connect();
      const port = client.localPort;
      const padding = "x".repeat(512 * 1024);
      const body = padding + SMUGGLED;
      await client.write(
        `POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      const early = await readResponse(client, { timeoutMs: READ_TIMEOUT_MS });
      assert.equal(early.text, "POST /early 0:");
      assert.equal(early.headers.get("connection"), "close");
      await sendPieces(client, [latin1Bytes(body + CANARY)]);
      const rest = await client.readToEnd(READ_TIMEOUT_MS);
      assert.equal(rest.byteLength, 0);
      const paths = recording.callsFrom(port).map((call) => call.path);
      assert.deepEqual(paths, ["/early"]);
    });
  });
});
