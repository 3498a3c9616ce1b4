/**
 * A streamed request body with a declared `Content-Length` (what a gateway
 * forwards when the body came with one): sent as is with that length, not
 * chunked, and a stream that yields more or fewer bytes fails the request
 * instead of desynchronising the connection (RFC 9112 §6.2, §6.3).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "../../lib/client.ts";
import { ClientError } from "../../lib/client/errors.ts";
import { ok, startRawServer } from "./_raw_server.ts";

function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const piece = pieces.shift();
      if (piece === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(piece));
    },
  });
}

describe("client: a streamed body with Content-Length", () => {
  test("goes with its length, not chunked", async () => {
    const server = await startRawServer((request) => ({ bytes: ok(`got ${request.body}`) }));
    const client = createClient();
    try {
      const response = await client.fetch(server.url, {
        method: "POST",
        headers: { "content-length": "11" },
        body: streamOf("hello", " world"),
      });
      assert.equal(await response.text(), "got hello world");
      const head = server.requests[0].head;
      assert.equal(head.framing, "length");
      assert.equal(head.contentLength, 11);
      // Without the field the same stream goes chunked.
      await (await client.fetch(server.url, { method: "POST", body: streamOf("x") })).text();
      assert.equal(server.requests[1].head.framing, "chunked");
    } finally {
      await client.close();
      await server.close();
    }
  });

  for (const [name, pieces] of [["longer", ["hello", " world!"]], ["shorter", ["hello"]]]) {
    test(`a stream ${name} than its Content-Length fails with body-error`, async () => {
      const server = await startRawServer(() => ({ bytes: ok("x") }));
      const client = createClient({ headersTimeout: 2_000 });
      try {
        await assert.rejects(
          client.fetch(server.url, {
            method: "POST",
            headers: { "content-length": "11" },
            body: streamOf(...pieces),
          }),
          (error: unknown) => error instanceof ClientError && error.code === "body-error",
        );
      } finally {
        await client.close();
        await server.close();
      }
    });
  }
});
