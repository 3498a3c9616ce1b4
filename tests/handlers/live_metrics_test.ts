/**
 * /_keepwire/metrics over real sockets, checked line by line against the
 * text exposition grammar and against the traffic sent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLiveHandler } from "../../lib/handlers/live.ts";
import { waitFor } from "../_support/raw_client.ts";
import { get, withServer } from "../_support/serve_raw.ts";
import { readResponse } from "../_support/http_reader.ts";

/** The text exposition format 0.0.4, line by line (prometheus/docs exposition_formats.md). */
const METRIC_NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const HELP = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(
  `^(${METRIC_NAME})(\\{(?:${LABEL})(?:,${LABEL})*\\})? (-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)$`,
);

interface Family {
  type: string;
  help: string;
  samples: Map<string, number>;
}

/** Parses the exposition text, failing on any line outside the grammar or out of place. */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "ends with a line feed");
  const families = new Map<string, Family>();
  let current: { name: string; family: Family } | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = HELP.exec(line);
    if (help !== null) {
      assert.ok(!families.has(help[1]), `one HELP per family: ${line}`);
      current = { name: help[1], family: { type: "", help: help[2], samples: new Map() } };
      families.set(help[1], current.family);
      continue;
    }
    const type = TYPE.exec(line);
    if (type !== null) {
      assert.equal(type[1], current?.name, `TYPE follows its HELP: ${line}`);
      assert.equal(current!.family.samples.size, 0, "TYPE before samples");
      current!.family.type = type[2];
      continue;
    }
    const sample = SAMPLE.exec(line);
    assert.ok(sample !== null, `not a valid exposition line: ${JSON.stringify(line)}`);
    const [, name, labels = "", value] = sample;
    const base = current!.name;
    const suffixes = current!.family.type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
    assert.ok(suffixes.some((suffix) => name === base + suffix), `${name} belongs to ${base}`);
    assert.ok(!current!.family.samples.has(name + labels), `no duplicate sample ${name}${labels}`);
    current!.family.samples.set(name + labels, Number(value.replace("Inf", "Infinity")));
  }
  return families;
}

describe("/_keepwire/metrics", () => {
  test("is valid exposition text whose numbers match the traffic sent", async () => {
    let live: ReturnType<typeof createLiveHandler> | null = null;
    const options = { keepAliveTimeout: 300, maxRequestsPerConnection: 3 };
    await withServer(options, (request, info) => live!(request, info), async (server, connect) => {
      live = createLiveHandler({ getServer: () => server });
      // 1: three requests hit max_requests. 2: two requests, the second says close.
      // 3: one request, then the idle timeout. 4: one request, then the client leaves.
      const capped = await connect();
      await capped.write(get("/_keepwire/nope").repeat(3));
      for (let i = 0; i < 3; i++) await readResponse(capped);
      const asking = await connect();
      await asking.write(get("/_keepwire/nope"));
      await readResponse(asking);
      await asking.write(get("/_keepwire/nope", "Connection: close\r\n"));
      await readResponse(asking);
      const idle = await connect();
      await idle.write(get("/_keepwire/nope"));
      await readResponse(idle);
      const leaving = await connect();
      await leaving.write(get("/_keepwire/nope"));
      await readResponse(leaving);
      leaving.end();
      await waitFor(() => server.stats.openConnections === 0, "every connection closed");

      const scraper = await connect();
      await scraper.write(get("/_keepwire/metrics", "Connection: close\r\n"));
      const response = await readResponse(scraper);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4(;|$)/);
      const families = parseExposition(response.text);
      const value = (family: string, sample = family) => {
        const found = families.get(family)?.samples.get(sample);
        assert.ok(found !== undefined, `missing ${sample}`);
        return found;
      };
      assert.equal(families.get("keepwire_connections_total")!.type, "counter");
      assert.equal(families.get("keepwire_requests_per_connection")!.type, "histogram");
      assert.equal(value("keepwire_connections_open"), 1); // the scraper's own
      assert.equal(value("keepwire_connections_idle"), 0);
      assert.equal(value("keepwire_connections_total"), 5);
      assert.equal(value("keepwire_requests_total"), 3 + 2 + 1 + 1 + 1);
      assert.equal(value("keepwire_requests_reused_total"), 2 + 1);
      const closed = (cause: string) =>
        value(
          "keepwire_connections_closed_total",
          `keepwire_connections_closed_total{cause="${cause}"}`,
        );
      assert.equal(closed("max_requests"), 1);
      assert.equal(closed("request_close"), 1);
      assert.equal(closed("idle_timeout"), 1);
      assert.equal(closed("client_close"), 1);
      assert.equal(closed("error"), 0);
      assert.equal(closed("shutdown"), 0);
      const h = "keepwire_requests_per_connection";
      assert.equal(value(h, `${h}_bucket{le="1"}`), 2);
      assert.equal(value(h, `${h}_bucket{le="2"}`), 3);
      assert.equal(value(h, `${h}_bucket{le="5"}`), 4);
      assert.equal(value(h, `${h}_bucket{le="+Inf"}`), 4);
      assert.equal(value(h, `${h}_count`), 4);
      assert.equal(value(h, `${h}_sum`), 7);
      assert.equal(value("keepwire_timeout_seconds", 'keepwire_timeout_seconds{kind="idle"}'), 0.3);
      assert.equal(value("keepwire_max_requests_per_connection"), 3);
    });
  });

  test("the exposition parser refuses what the format does not allow", () => {
    const bad = [
      "# HELP x x\n# TYPE x gauge\nx 1", // no final line feed
      "# HELP x x\n# TYPE x gauge\nx one\n",
      "# HELP x x\n# TYPE x gauge\nx{a=1} 1\n",
      "# HELP x x\n# TYPE x gauge\ny 1\n",
      "# HELP x x\n# TYPE x gauge\nx 1\nx 2\n",
    ];
    for (const text of bad) assert.throws(() => parseExposition(text), text);
    assert.equal(parseExposition('# HELP x x\n# TYPE x gauge\nx{a="b"} 1.5\n').size, 1);
  });
});
