/**
 * The option names of the servers keepwire replaces (`Deno.serve`,
 * `Bun.serve`, `node:http`, `node:net`'s `listen()`), as data: one sentence
 * each that tells their user what keepwire calls it, or that it is not
 * supported yet. It lives beside the entry points, not in `connection/`,
 * because it is knowledge about other runtimes' APIs.
 *
 * @module
 */

/**
 * Option names that another server uses and keepwire does not, each with
 * the sentence that tells its user what to do instead. A name keepwire
 * comes to support moves to `OPTION_RULES`, which shadows it here.
 */
export const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  // Deno.serve
  cert: `"cert" is Deno.serve's; keepwire takes it as tls: { cert, key } (PEM strings).`,
  key: `"key" is Deno.serve's; keepwire takes it as tls: { cert, key } (PEM strings).`,
  transport: `"transport" is Deno.serve's; keepwire listens on TCP, or on the Unix socket ` +
    `given as path.`,
  tcpBacklog:
    `"tcpBacklog" (Deno.serve) is not supported: the listen queue is the runtime's default.`,
  cid: `"cid" (Deno.serve, VSOCK) is not supported: keepwire listens on TCP.`,
  // Bun.serve
  fetch: `"fetch" is Bun.serve's name for the handler: pass it as handler ` +
    `(serve({ handler }) or serve(options, handler)).`,
  error: `"error" is Bun.serve's; keepwire calls it onError (error) => Response.`,
  idleTimeout: `"idleTimeout" is Bun.serve's, in seconds; keepwire calls it keepAliveTimeout, ` +
    `in milliseconds (idleTimeout: 10 is keepAliveTimeout: 10_000). A stalled request or ` +
    `response is cut by headersTimeout, requestBodyTimeout and sendTimeout.`,
  maxRequestBodySize: `"maxRequestBodySize" is Bun.serve's; keepwire calls it maxBodySize (bytes).`,
  unix: `"unix" is Bun.serve's; keepwire calls it path.`,
  websocket: `"websocket" (Bun.serve) is not supported: accept a WebSocket in the handler with ` +
    `keepwire's upgradeWebSocket(request) and return its response.`,
  routes: `"routes" (Bun.serve) is not supported: route inside the handler ` +
    `(e.g. new URLPattern(...).exec(request.url)).`,
  static: `"static" (Bun.serve) is not supported: answer fixed routes in the handler.`,
  development: `"development" (Bun.serve) is not supported: keepwire has no error page; ` +
    `onError turns a handler error into the response.`,
  id: `"id" (Bun.serve, for --hot reloads) is not supported.`,
  ipv6Only: `"ipv6Only" (Bun.serve, node:net) is not supported: the runtime's default applies.`,
  http1: `"http1" (Bun.serve): keepwire speaks HTTP/1.0 and HTTP/1.1 only.`,
  http2: `"http2" (Bun.serve) is not supported: keepwire speaks HTTP/1.0 and HTTP/1.1 only.`,
  http3: `"http3" (Bun.serve) is not supported: keepwire speaks HTTP/1.0 and HTTP/1.1 only.`,
  // node:http createServer() and server properties
  maxHeadersCount: `"maxHeadersCount" is node:http's; keepwire calls it maxHeaderCount.`,
  maxRequestsPerSocket: `"maxRequestsPerSocket" is node:http's; keepwire calls it ` +
    `maxRequestsPerConnection.`,
  timeout: `"timeout" (node:http's socket inactivity timeout) is not an option here: keepwire ` +
    `bounds each phase instead (keepAliveTimeout, headersTimeout, requestBodyTimeout, sendTimeout).`,
  connectionsCheckingInterval: `"connectionsCheckingInterval" (node:http) is not an option: ` +
    `keepwire checks its timeouts every 250 ms.`,
  IncomingMessage: `"IncomingMessage" (node:http) does not apply: the handler receives a ` +
    `Fetch Request.`,
  ServerResponse: `"ServerResponse" (node:http) does not apply: the handler returns a ` +
    `Fetch Response.`,
  insecureHTTPParser: `"insecureHTTPParser" (node:http) is not supported: keepwire's parser ` +
    `has no lenient mode, since leniency is what request smuggling exploits (RFC 9112 §11.2).`,
  joinDuplicateHeaders: `"joinDuplicateHeaders" (node:http) is not needed: request.headers ` +
    `joins repeated fields with ", " as Fetch Headers do.`,
  uniqueHeaders: `"uniqueHeaders" (node:http) is not supported: the handler's Response ` +
    `headers are sent as they are.`,
  requireHostHeader: `"requireHostHeader" (node:http) is not an option: an HTTP/1.1 request ` +
    `without Host always gets 400 (RFC 9112 §3.2).`,
  rejectNonStandardBodyWrites: `"rejectNonStandardBodyWrites" (node:http) does not apply: ` +
    `a Response to HEAD or a 204/304 is sent without its body.`,
  shouldUpgradeCallback: `"shouldUpgradeCallback" (node:http) is not supported: the handler ` +
    `decides, accepting a WebSocket with upgradeWebSocket(request) or answering like any request.`,
  highWaterMark: `"highWaterMark" (node:http) is not supported: keepwire sizes its own buffers.`,
  keepAlive: `"keepAlive" (node:http, TCP keep-alive probes) is not supported; HTTP keep-alive ` +
    `is always on and tuned by keepAliveTimeout and maxRequestsPerConnection.`,
  keepAliveInitialDelay: `"keepAliveInitialDelay" (node:http, TCP keep-alive probes) is not ` +
    `supported.`,
  noDelay: `"noDelay" (node:http) is not an option: keepwire always sets TCP_NODELAY.`,
  // node:net server.listen()
  host: `"host" is node:net's; keepwire calls it hostname.`,
  backlog: `"backlog" (node:net) is not supported: the listen queue is the runtime's default.`,
  exclusive: `"exclusive" (node:net, cluster) is not supported; see reusePort.`,
  readableAll: `"readableAll" (node:net, Unix sockets) is not supported.`,
  writableAll: `"writableAll" (node:net, Unix sockets) is not supported.`,
};
