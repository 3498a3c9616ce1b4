// The page websocket_browser_test.ts opens in Chromium: it runs every WebSocket case against
// the servers named in its query and posts what it saw to /report after each case (the last
// post says `done`). A `<script src="/hold.js">` after it keeps the page loading until the test
// server answers that script, so `--dump-dom` waits for the cases to finish.

/** The 16 MiB message both ways. */
export const BIG_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The text case: two-, three- and four-byte UTF-8 sequences. */
export const TEXT_MESSAGE = "héllo, wörld ☃ 𝄞";
/** A compressible message of ~4 MiB: deflate must shrink it by far on the wire. */
export const COMPRESSIBLE_REPEAT = "keepwire keeps the wire alive. ".repeat(32);
export const COMPRESSIBLE_COUNT = 4096;
/**
 * The ping case: the server pings after this much silence, and gives up on a peer that sends
 * nothing for as long again after a ping (its `idlePingInterval`).
 */
export const PING_INTERVAL_MS = 200;
/** How long the page stays silent on the ping case's socket: several intervals. */
export const PING_SILENCE_MS = 1500;

/**
 * FNV-1a (32-bit) over bytes: the page and the server fingerprint the big message the same
 * way, so neither has to ship 16 MiB back to the test to compare. The same source runs on
 * both sides (the page gets it through `toString()`, as an expression, so a bundler's renaming
 * cannot matter).
 */
export function fingerprint(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Deterministic bytes that deflate cannot shrink (xorshift32), the same on the page and the server. */
export function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const PAGE_SCRIPT = String.raw`
var params = new URLSearchParams(location.search);
var results = { steps: [], timing: {} };
function report(done) {
  results.done = done;
  return fetch("/report", { method: "POST", body: JSON.stringify(results) });
}
function opened(url, protocols) {
  return new Promise(function (resolve, reject) {
    var ws = new WebSocket(url, protocols);
    var inbox = [], waiting = [];
    ws.onmessage = function (event) {
      if (waiting.length) waiting.shift()(event.data); else inbox.push(event.data);
    };
    ws.receive = function () {
      return inbox.length ? Promise.resolve(inbox.shift())
        : new Promise(function (wake) { waiting.push(wake); });
    };
    ws.closed = new Promise(function (wake) {
      ws.onclose = function (event) {
        wake({ code: event.code, reason: event.reason, wasClean: event.wasClean });
      };
    });
    ws.onopen = function () { resolve(ws); };
    ws.onerror = function () { if (ws.readyState !== WebSocket.OPEN) reject(new Error("could not open " + url)); };
  });
}
async function bytesOf(data) {
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  return new Uint8Array(data);
}
function same(a, b) {
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function echoCase(base) {
  var ws = await opened(base + "/ws?case=echo", ["kw-test"]);
  var r = results.echo = { extensions: ws.extensions, protocol: ws.protocol };
  ws.send(TEXT_MESSAGE);
  r.text = await ws.receive();

  ws.binaryType = "arraybuffer";
  var small = noise(1000, 1);
  ws.send(small.buffer);
  var got = await ws.receive();
  r.arrayBuffer = { isArrayBuffer: got instanceof ArrayBuffer, same: same(await bytesOf(got), small) };

  ws.binaryType = "blob";
  var blobBytes = noise(3000, 2);
  ws.send(new Blob([blobBytes]));
  got = await ws.receive();
  r.blob = { isBlob: got instanceof Blob, same: same(await bytesOf(got), blobBytes) };

  ws.binaryType = "arraybuffer";
  var big = noise(BIG_MESSAGE_BYTES, 3);
  r.bigSent = fingerprint(big);
  var started = performance.now();
  ws.send(big);
  got = new Uint8Array(await ws.receive());
  r.bigReceived = { length: got.length, fingerprint: fingerprint(got), ms: Math.round(performance.now() - started) };

  ws.close(4000, "page is done");
  r.close = await ws.closed;
}

async function compressibleCase(base) {
  var ws = await opened(base + "/ws?case=echo");
  var text = COMPRESSIBLE_REPEAT.repeat(COMPRESSIBLE_COUNT);
  ws.send(text);
  var echoed = await ws.receive();
  results.compressible = { extensions: ws.extensions, length: echoed.length, same: echoed === text };
  ws.close(1000, "");
  results.compressible.close = await ws.closed;
}

async function pingCase(base) {
  var ws = await opened(base + "/ws?case=ping");
  var closedEarly = null;
  ws.closed.then(function (close) { closedEarly = close; });
  await new Promise(function (wake) { setTimeout(wake, PING_SILENCE_MS); });
  var early = closedEarly;
  ws.send("still here");
  var echoed = await Promise.race([ws.receive(), ws.closed.then(function () { return null; })]);
  ws.close(1000, "");
  results.ping = { closedEarly: early, echoed: echoed, close: await ws.closed };
}

async function serverCloseCase(base) {
  var ws = await opened(base + "/ws?case=server-close");
  var said = await ws.receive();
  results.serverClose = { said: said, close: await ws.closed };
}

async function abruptCase(cli) {
  var ws = await opened(cli + "/ws");
  ws.send("hello, cli");
  var echoed = await ws.receive();
  var killed = await fetch("/kill", { method: "POST" });
  results.abrupt = { extensions: ws.extensions, echoed: echoed, killed: killed.status, close: await ws.closed };
}

(async function () {
  var cases = [
    ["echo", function () { return echoCase(params.get("relay")); }],
    ["compressible", function () { return compressibleCase(params.get("relay")); }],
    ["ping", function () { return pingCase(params.get("ws")); }],
    ["serverClose", function () { return serverCloseCase(params.get("ws")); }],
    ["abrupt", function () { return abruptCase(params.get("cli")); }],
  ];
  for (var i = 0; i < cases.length; i++) {
    try {
      var t0 = performance.now();
      await cases[i][1]();
      results.timing[cases[i][0]] = Math.round(performance.now() - t0);
      results.steps.push(cases[i][0]);
    } catch (error) {
      results.error = cases[i][0] + ": " + String(error && error.stack || error);
      break;
    }
    await report(false);
  }
  await report(true);
})();
`;

/** The page: constants and the shared helpers first, then the cases; `hold.js` keeps it loading. */
export const WEBSOCKET_PAGE: string =
  `<!doctype html><html><head><meta charset="utf-8"></head><body>
<p id="status">running</p>
<script>
var BIG_MESSAGE_BYTES = ${BIG_MESSAGE_BYTES};
var TEXT_MESSAGE = ${JSON.stringify(TEXT_MESSAGE)};
var COMPRESSIBLE_REPEAT = ${JSON.stringify(COMPRESSIBLE_REPEAT)};
var COMPRESSIBLE_COUNT = ${COMPRESSIBLE_COUNT};
var PING_SILENCE_MS = ${PING_SILENCE_MS};
var fingerprint = (${fingerprint.toString()});
var noise = (${noise.toString()});
${PAGE_SCRIPT}
</script>
<script src="/hold.js"></script>
</body></html>
`;
