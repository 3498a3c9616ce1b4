import { describe, test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { BlankLineCounter, cannedResponses } from "../../bench/servers/_ceiling.ts";
import { FlagError, parseFlags } from "../../bench/_flags.ts";
import { parseWrk } from "../../bench/_load.ts";
import { summarizeProfile } from "../../bench/_profile.ts";
import { ROOT } from "../../bench/_process.ts";
import { contentionNote, median, renderMarkdown, type Report } from "../../bench/_report.ts";
import { renderSvg } from "../../bench/_chart.ts";
import { KEEPWIRE, KEEPWIRE_LIGHT, serversFor } from "../../bench/_catalog.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe("BlankLineCounter (the ceiling servers' request counter)", () => {
  const pipeline = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(16);
  const bytes = encoder.encode(pipeline);

  test("counts 16 pipelined requests fed whole", () => {
    assert.equal(new BlankLineCounter().push(bytes), 16);
  });

  test("counts each request once when split at every byte", () => {
    const counter = new BlankLineCounter();
    let found = 0;
    for (let i = 0; i < bytes.length; i++) found += counter.push(bytes.subarray(i, i + 1));
    assert.equal(found, 16);
  });

  test("counts each request once when split at every point in two", () => {
    for (let at = 0; at <= bytes.length; at++) {
      const counter = new BlankLineCounter();
      const found = counter.push(bytes.subarray(0, at)) + counter.push(bytes.subarray(at));
      assert.equal(found, 16, `split at ${at}`);
    }
  });

  test("does not count a lone CRLF, LF LF or CR CR LF LF", () => {
    assert.equal(new BlankLineCounter().push(encoder.encode("\r\n\n\n\r\r\n\n")), 0);
  });
});

describe("cannedResponses()", () => {
  test("holds `count` complete hello-world responses", () => {
    for (const count of [1, 16, 64, 65]) {
      const text = decoder.decode(cannedResponses(count));
      assert.equal(text.split("HTTP/1.1 200 OK\r\n").length - 1, count);
      assert.ok(text.endsWith("\r\n\r\nHello, World!"));
      assert.ok(text.includes("Content-Length: 13\r\n"));
    }
  });

  test("is empty for no requests", () => {
    assert.equal(cannedResponses(0).byteLength, 0);
  });
});

describe("serversFor() (issue 15: the defaults are the headline)", () => {
  test("keepwire with default options comes first, then the light objects on Deno and Bun", () => {
    for (const runtime of ["deno", "bun"] as const) {
      const { keepwire } = serversFor(runtime);
      assert.deepEqual(keepwire.map((spec) => spec.name), [KEEPWIRE, KEEPWIRE_LIGHT]);
      assert.equal(keepwire[0].args, undefined, "no --light-fetch on the headline");
      assert.deepEqual(keepwire[1].args, ["0", "--light-fetch"]);
    }
  });

  test("Node has one keepwire row: its default already is the light objects", () => {
    assert.deepEqual(serversFor("node").keepwire.map((spec) => spec.name), [KEEPWIRE]);
  });

  test("every runtime is compared with a raw-socket ceiling", () => {
    for (const runtime of ["deno", "bun", "node"] as const) {
      assert.ok(serversFor(runtime).anchors.some((anchor) => anchor.spec.name.includes("ceiling")));
    }
  });
});

describe("parseWrk()", () => {
  const report = `Running 5s test @ http://127.0.0.1:8000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   420.11us  101.52us   4.27ms   91.73%
    Req/Sec   119.03k     4.21k  126.06k    70.00%
  Latency Distribution
     50%  402.00us
     75%  440.00us
     90%  503.00us
     99%    1.21ms
  592213 requests in 5.00s, 72.29MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec: 118442.53
Transfer/sec:     14.46MB
`;

  test("reads req/s, p50 and p99 in ms, and counts errors", () => {
    assert.deepEqual(parseWrk(report), {
      requestsPerSecond: 118442.53,
      requests: 592213,
      p50: 0.402,
      p99: 1.21,
      errors: 7,
    });
  });

  test("throws when wrk printed no rate", () => {
    assert.throws(() => parseWrk("unable to connect to 127.0.0.1:8000 Connection refused"));
  });
});

describe("report", () => {
  test("median() of odd and even counts", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  const report: Report = {
    date: "2026-01-01T00:00:00Z",
    quick: false,
    machine: { CPU: "test <cpu>" },
    settings: {},
    throughput: [{
      runtime: "bun",
      scenario: "50 keep-alive",
      server: "keepwire",
      requestsPerSecond: 100_000,
      p50: 0.4,
      p99: 1.2,
      cpuMicrosPerRequest: 9.5,
      runs: 6,
      errors: 0,
    }],
    ratios: [
      {
        runtime: "node",
        scenario: "50 keep-alive",
        server: "keepwire",
        anchor: "node:http",
        ratios: [1.4, 1.6, 1.7],
        median: 1.6,
        cpuRatios: [1.9, 2.0, 2.1],
        cpuMedian: 2,
        goal: 1.5,
      },
      {
        runtime: "deno",
        scenario: "50 keep-alive",
        server: "keepwire (light Fetch objects)",
        anchor: "Deno.serve",
        ratios: [0.8],
        median: 0.8,
        cpuRatios: [0.9],
        cpuMedian: 0.9,
        goal: 0.85,
      },
    ],
    idle: [{
      runtime: "bun",
      server: "keepwire",
      connections: 5000,
      stillOpen: 5000,
      baselineKiB: 40_000,
      loadedKiB: 45_000,
      perConnectionKiB: 1,
      goalKiB: 1.5,
    }],
    bodies: [],
    workers: [],
    notes: ["a note"],
  };

  test("the Markdown marks a goal met or missed by the median ratio", () => {
    const markdown = renderMarkdown(report);
    assert.match(
      markdown,
      /\| node \| 50 keep-alive \| keepwire \| node:http \| 1\.60× \| 1\.40, 1\.60, 1\.70 \| 2\.00× \| ≥ 1\.5× \| met \|/,
    );
    assert.match(
      markdown,
      /\| deno \| 50 keep-alive \| keepwire \(light Fetch objects\) \| Deno\.serve \| 0\.80× \| 0\.80 \| 0\.90× \| ≥ 0\.85× \| \*\*missed\*\* \|/,
    );
    assert.match(markdown, /- a note/);
    // CPU % is CPU µs per request × requests per second: 9.5 µs × 100k/s = 95 %.
    assert.match(
      markdown,
      /\| bun +\| 50 keep-alive \| keepwire \| 100,000 \| 0\.40 +\| 1\.20 +\| 9\.5 +\| 95 +\| 6 +\| 0 +\|/,
    );
  });

  test("contentionNote() speaks only when servers got well under their core", () => {
    assert.equal(contentionNote(report), undefined, "95 % busy");
    const starved = {
      ...report,
      throughput: [{ ...report.throughput[0], requestsPerSecond: 40_000 }],
    };
    assert.match(contentionNote(starved) ?? "", /median 38 % of their core/);
  });

  test("the SVG has a bar and a goal line per ratio and idle row, and escapes text", () => {
    const svg = renderSvg(report);
    assert.ok(svg.startsWith("<svg "));
    assert.equal(
      svg.match(/<rect [^>]*><title>/g)?.length,
      3,
      "bars (legend swatches have no title)",
    );
    assert.equal(svg.match(/stroke="#d62728"/g)?.length, 3);
    assert.ok(svg.includes("Memory per idle keep-alive connection"));
    assert.ok(svg.includes("test &lt;cpu&gt;"));
    assert.ok(!svg.includes("<cpu>"));
  });
});

describe("summarizeProfile()", () => {
  const frame = (id: number, functionName: string, url: string, lineNumber = 0) => ({
    id,
    callFrame: { functionName, url, lineNumber },
  });

  test("gives self time per function and area, leaving idle samples out", () => {
    // ROOT as bench/ computes it (a Node test bundle moves import.meta.url; this stays consistent).
    const root = ROOT;
    const profile = {
      nodes: [
        frame(1, "(idle)", ""),
        frame(2, "parse", `file://${root}/lib/codec/request_parser.ts`, 9),
        frame(3, "write", ""),
        frame(4, "(garbage collector)", ""),
      ],
      samples: [1, 1, 1, 1, 2, 2, 3, 3, 3, 4],
    };
    const summary = summarizeProfile(profile, "deno", "50 keep-alive");
    assert.equal(summary.busySamples, 6);
    assert.deepEqual(summary.top.map((entry) => [entry.name, entry.where, entry.percent]), [
      ["write", "", 50],
      ["parse", "lib/codec/request_parser.ts:10", (100 * 2) / 6],
      ["(garbage collector)", "", (100 * 1) / 6],
    ]);
    assert.deepEqual(summary.areas.map((entry) => entry.area), [
      "native / builtins",
      "keepwire lib/codec/",
      "(garbage collector)",
    ]);
  });

  test("maps a Node bundle's lines back to the source files esbuild marked", () => {
    const dir = mkdtempSync(join(tmpdir(), "keepwire-bench-test-"));
    try {
      const bundle = join(dir, "server.mjs");
      writeFileSync(
        bundle,
        ["// lib/codec/a.ts", "function a() {}", "", "// lib/connection/b.ts", "function b() {}"]
          .join("\n"),
      );
      const profile = {
        nodes: [frame(1, "a", `file://${bundle}`, 1), frame(2, "b", `file://${bundle}`, 4)],
        samples: [1, 2, 2, 2],
      };
      const summary = summarizeProfile(profile, "node", "50 keep-alive", bundle);
      assert.deepEqual(summary.top.map((entry) => [entry.name, entry.where]), [
        ["b", "lib/connection/b.ts"],
        ["a", "lib/codec/a.ts"],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("parseFlags()", () => {
  test("defaults, and --quick shortens every section", () => {
    const full = parseFlags([]);
    const quick = parseFlags(["--quick"]);
    assert.ok(full !== "help" && quick !== "help");
    assert.deepEqual(
      [full.duration, full.pairs, full.idle, full.bodyMiB, full.runtimes],
      [5, 3, 5000, 256, ["node", "deno", "bun"]],
    );
    assert.deepEqual([quick.duration, quick.pairs, quick.idle, quick.bodyMiB], [2, 1, 1000, 32]);
  });

  test("reads values, and flags after --quick still win", () => {
    const flags = parseFlags([
      "--quick",
      "--duration",
      "7",
      "--runtime",
      "bun",
      "--skip",
      "idle,bodies",
    ]);
    assert.ok(flags !== "help");
    assert.equal(flags.duration, 7);
    assert.deepEqual(flags.runtimes, ["bun"]);
    assert.deepEqual([...flags.skip], ["idle", "bodies"]);
  });

  test("rejects what it cannot run, one flag at a time", () => {
    for (
      const argv of [
        ["--duration", "0"],
        ["--pairs", "x"],
        ["--runtime", "rust"],
        ["--skip", "idle,speed"],
        ["--skip"],
        ["--fast"],
      ]
    ) {
      assert.throws(() => parseFlags(argv), FlagError, argv.join(" "));
    }
  });

  test("--help asks for the usage", () => {
    assert.equal(parseFlags(["--help"]), "help");
  });
});
