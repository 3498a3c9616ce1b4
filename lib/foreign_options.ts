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

/**
 * Client option names of undici (`Agent`, `Pool`), `node:http`'s `Agent`,
 * `Deno.createHttpClient` and Bun's `fetch` that keepwire's client does not
 * take, each with the sentence that tells their user what to do instead.
 */
export const FOREIGN_CLIENT_OPTIONS: Readonly<Record<string, string>> = {
  // undici
  keepAliveTimeout: `"keepAliveTimeout" is undici's; keepwire's client calls it idleTimeout ` +
    `(milliseconds an idle connection is kept when the server sends no Keep-Alive hint).`,
  keepAliveMaxTimeout: `"keepAliveMaxTimeout" (undici) is not an option: a server's Keep-Alive ` +
    `hint is followed as keepAliveHint says ("lowers" or "sets").`,
  keepAliveTimeoutThreshold: `"keepAliveTimeoutThreshold" is undici's; keepwire calls it ` +
    `keepAliveSafetyMargin.`,
  connections: `"connections" is undici's; keepwire calls it maxConnectionsPerOrigin.`,
  maxRedirections: `"maxRedirections" is undici's; keepwire calls it maxRedirects.`,
  maxResponseSize: `"maxResponseSize" is undici's; keepwire calls it maxResponseBodySize.`,
  allowH2: `"allowH2" (undici) is not supported: keepwire's client speaks HTTP/1.1 only.`,
  autoSelectFamily: `"autoSelectFamily" (undici, node:net) is not supported.`,
  localAddress: `"localAddress" (undici, node:net) is not supported.`,
  interceptors: `"interceptors" (undici) is not supported: wrap client.fetch instead.`,
  strictContentLength: `"strictContentLength" (undici) is not an option: a body that does not ` +
    `match its Content-Length always fails with body-error.`,
  // node:http Agent
  maxSockets: `"maxSockets" is node:http's Agent's; keepwire calls it maxConnectionsPerOrigin.`,
  maxTotalSockets: `"maxTotalSockets" is node:http's Agent's; keepwire calls it maxConnections.`,
  maxFreeSockets: `"maxFreeSockets" (node:http Agent) is not supported: idle connections ` +
    `are kept up to maxConnectionsPerOrigin and retired by idleTimeout.`,
  keepAlive: `"keepAlive" (node:http Agent) is not an option: keepwire's client always keeps ` +
    `connections alive.`,
  keepAliveMsecs: `"keepAliveMsecs" (node:http Agent, TCP keep-alive probes) is not supported.`,
  scheduling: `"scheduling" (node:http Agent) is not supported: idle connections are reused ` +
    `most recent first.`,
  timeout: `"timeout" (node:http Agent) is not an option: keepwire bounds each phase ` +
    `(connectTimeout, headersTimeout, bodyTimeout).`,
  servername: `"servername" (node:tls) is not an option: the SNI name is the URL's host.`,
  // Deno.createHttpClient
  caCerts: `"caCerts" is Deno.createHttpClient's; keepwire calls it ca.`,
  poolIdleTimeout: `"poolIdleTimeout" is Deno.createHttpClient's; keepwire calls it idleTimeout.`,
  poolMaxIdlePerHost: `"poolMaxIdlePerHost" is Deno.createHttpClient's; keepwire's nearest is ` +
    `maxConnectionsPerOrigin.`,
  http2: `"http2" is not supported: keepwire's client speaks HTTP/1.1 only.`,
  cert: `"cert" (a client certificate) is not supported yet.`,
  key: `"key" (a client certificate) is not supported yet.`,
  // Bun's fetch
  tls: `"tls" is Bun's fetch option; keepwire takes ca and rejectUnauthorized as options of ` +
    `their own.`,
  unix: `"unix" is Bun's fetch option; keepwire calls it socketPath.`,
  verbose: `"verbose" (Bun's fetch) is not supported.`,
};
