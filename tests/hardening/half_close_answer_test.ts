/**
 * A client that sends its request and at once half-closes (shutdown(SHUT_WR),
 * as `printf … | nc -N` and many scripted clients do) still gets the whole
 * answer, error responses included, over real sockets on the runtime running
 * the test: the server's reply is written, then the server closes. The FIN
 * arriving while that reply is still being written must not cut it off
 * (RFC 9112 §9.6: the server closes only after sending its response).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../lib/serve.ts";
import type { Handler } from "../../lib/connection/options.ts";
import { readResponse } from "../_support/http_reader.ts";
import { RawClient } from "../_support/raw_client.ts";

/** Scheduling slack on a loaded 2-core machine. */
const SLACK = 8_000;

const ok: Handler = () => new Response("ok");

/** Sends `bytes`, half-closes, and reads what the server answers. */
async function answerAfterFin(bytes: string, handler: Handler = ok) {
  const server = await serve({ port: 0, hostname: "127.0.0.1" }, handler);
  const client = await RawClient.connect(server.addr.port, "127.0.0.1", { allowHalfOpen: true });
  try {
    await client.write(bytes);
    client.end();
    const response = await readResponse(client, { timeoutMs: SLACK });
    const rest = await client.readToEnd(SLACK);
    return { response, rest };
  } finally {
    client.destroy();
    await server.shutdown();
  }
}

describe("a request followed at once by the client's FIN is answered in full", () => {
  test("a malformed request line: 400, then the close", async () => {
    const { response, rest } = await answerAfterFin("BAD REQUEST LINE\r\n\r\n");
    assert.equal(response.status, 400);
    assert.equal(rest.byteLength, 0);
  });

  test("HTTP/1.1 without Host: 400, then the close", async () => {
    const { response, rest } = await answerAfterFin("GET / HTTP/1.1\r\n\r\n");
    assert.equal(response.status, 400);
    assert.equal(rest.byteLength, 0);
  });

  test("a valid request with Connection: close: 200 with its body", async () => {
    const { response } = await answerAfterFin(
      "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    assert.equal(response.text, "ok");
  });

  test("a response the handler returns after the FIN: 200 with its body", async () => {
    const late: Handler = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return new Response("late");
    };
    const { response } = await answerAfterFin("GET / HTTP/1.1\r\nHost: t\r\n\r\n", late);
    assert.equal(response.status, 200);
    assert.equal(response.text, "late");
  });
});
