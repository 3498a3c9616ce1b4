import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseArgs, USAGE, UsageError } from "../../lib/cli/args.ts";
import { VERSION } from "../../lib/cli/version.ts";

const defaults = { port: 8080, hostname: "127.0.0.1" };

describe("parseArgs()", () => {
  const valid: Array<[string, string[], object]> = [
    ["echo with defaults", ["echo"], { command: "echo", dir: "", options: defaults }],
    ["serve defaults to the current folder", ["serve"], {
      command: "serve",
      dir: ".",
      options: defaults,
    }],
    ["serve with a folder", ["serve", "site"], {
      command: "serve",
      dir: "site",
      options: defaults,
    }],
    ["flags before the folder", ["serve", "--port", "0", "site"], {
      command: "serve",
      dir: "site",
      options: { ...defaults, port: 0 },
    }],
    ["--flag=value", ["echo", "--port=9000", "--hostname=::1"], {
      command: "echo",
      dir: "",
      options: { port: 9000, hostname: "::1" },
    }],
    ["seconds become milliseconds, fractions allowed", [
      "echo",
      "--keep-alive-timeout",
      "2.5",
      "--headers-timeout=.25",
    ], {
      command: "echo",
      dir: "",
      options: { ...defaults, keepAliveTimeout: 2500, headersTimeout: 250 },
    }],
    ["zero seconds", ["echo", "--keep-alive-timeout", "0"], {
      command: "echo",
      dir: "",
      options: { ...defaults, keepAliveTimeout: 0 },
    }],
    ["counts and sizes", [
      "echo",
      "--max-requests",
      "5",
      "--max-header-size",
      "4096",
      "--max-body-size",
      "0",
    ], {
      command: "echo",
      dir: "",
      options: { ...defaults, maxRequestsPerConnection: 5, maxHeaderSize: 4096, maxBodySize: 0 },
    }],
    ["the last of a repeated flag wins", ["echo", "--port", "1", "--port", "2"], {
      command: "echo",
      dir: "",
      options: { ...defaults, port: 2 },
    }],
    ["--help anywhere", ["echo", "--help"], { command: "help", dir: "", options: defaults }],
    ["-h before a command", ["-h"], { command: "help", dir: "", options: defaults }],
    ["help as a command", ["help"], { command: "help", dir: "", options: defaults }],
    ["--help wins over a missing command", ["--help", "--port", "1"], {
      command: "help",
      dir: "",
      options: { ...defaults, port: 1 },
    }],
    ["-p for --port", ["echo", "-p", "9000"], {
      command: "echo",
      dir: "",
      options: { ...defaults, port: 9000 },
    }],
    ["-p=value", ["serve", "-p=0", "site"], {
      command: "serve",
      dir: "site",
      options: { ...defaults, port: 0 },
    }],
    ["--version", ["--version"], { command: "version", dir: "", options: defaults }],
    ["-V after a command", ["serve", "-V"], { command: "version", dir: "", options: defaults }],
    ["--dotfiles for serve", ["serve", "site", "--dotfiles"], {
      command: "serve",
      dir: "site",
      options: defaults,
      dotfiles: true,
    }],
  ];
  for (const [name, argv, expected] of valid) {
    test(`accepts ${name}`, () => assert.deepEqual(parseArgs(argv), expected));
  }

  const invalid: Array<[string, string[], string]> = [
    ["no command", [], "missing command"],
    ["an unknown command", ["launch"], 'unknown command "launch"'],
    ["an unknown flag", ["echo", "--verbose"], 'unknown flag "--verbose"'],
    ["an unknown flag with a value", ["echo", "--colour=red"], 'unknown flag "--colour"'],
    ["a missing value", ["echo", "--port"], "--port: missing value"],
    ["an empty value", ["echo", "--port="], "--port"],
    ["a negative port", ["echo", "--port", "-1"], "--port"],
    ["a port above 65535", ["echo", "--port", "65536"], "--port"],
    ["a fractional port", ["echo", "--port", "80.5"], "--port"],
    ["a port that is not a number", ["echo", "--port", "http"], "--port"],
    ["negative seconds", ["echo", "--keep-alive-timeout=-1"], "--keep-alive-timeout"],
    ["seconds that are not a number", ["echo", "--headers-timeout", "soon"], "--headers-timeout"],
    ["seconds in exponent form", ["echo", "--keep-alive-timeout", "1e3"], "--keep-alive-timeout"],
    [
      "seconds beyond a timer's range",
      ["echo", "--keep-alive-timeout", "9999999"],
      "--keep-alive-timeout",
    ],
    ["zero max requests", ["echo", "--max-requests", "0"], "--max-requests"],
    ["a negative body size", ["echo", "--max-body-size", "-5"], "--max-body-size"],
    ["a fractional header size", ["echo", "--max-header-size", "1.5"], "--max-header-size"],
    ["an empty hostname", ["echo", "--hostname="], "--hostname"],
    ["a flag as the hostname", ["echo", "--hostname", "--port"], "--hostname"],
    ["a folder given to echo", ["echo", "site"], 'unexpected argument "site"'],
    ["two folders given to serve", ["serve", "a", "b"], 'unexpected argument "b"'],
    ["combined short flags", ["echo", "-hV"], 'unknown flag "-hV"'],
    ["-v (the version is -V)", ["echo", "-v"], 'unknown flag "-v"'],
    ["--dotfiles given to echo", ["echo", "--dotfiles"], "--dotfiles is for serve"],
    ["-p without a value", ["echo", "-p"], "--port: missing value"],
  ];
  for (const [name, argv, fragment] of invalid) {
    test(`rejects ${name} with a one-line usage error (exit 2)`, () => {
      assert.throws(() => parseArgs(argv), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.ok(error.message.includes(fragment), `${error.message} should mention ${fragment}`);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    });
  }
});

describe("--help and --version text", () => {
  test("the help lists the short flags and --dotfiles", () => {
    for (const flag of ["-p, --port", "-h, --help", "-V, --version", "--dotfiles"]) {
      assert.ok(USAGE.includes(flag), flag);
    }
  });

  test("VERSION is deno.json's version (and so the npm package's)", () => {
    const denoJson = JSON.parse(readFileSync("deno.json", "utf8"));
    assert.equal(VERSION, denoJson.version);
  });
});
