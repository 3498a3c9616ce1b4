/**
 * A small forward proxy for the client's proxy tests, on `node:net` (which
 * Deno, Bun and Node all have), that records what it saw:
 *
 * - absolute-form requests (RFC 9112 §3.2.2) are relayed to the origin on a
 *   fresh connection each (`Connection: close` upstream, so the answer ends
 *   at EOF), and the answer is sent back on the client's connection, which
 *   stays open (keep-alive to the proxy);
 * - `CONNECT host:port` (RFC 9110 §9.3.6) opens a tunnel: `200`, then bytes
 *   both ways until either side closes;
 * - with `credentials`, a request without the matching
 *   `Proxy-Authorization: Basic` gets `407` with `Proxy-Authenticate`;
 * - with `refuseConnect`, every CONNECT gets that status.
 *
 * Request bodies are read by Content-Length only (the tests send bytes).
 *
 * @module
 */

import { connect, createServer, type Socket } from "node:net";

/** One request the proxy received. */
export interface SeenRequest {
  /** Which client connection to the proxy carried it (1, 2, …). */
  readonly connection: number;
  readonly method: string;
  /** The request-target as written. */
  readonly target: string;
  /** Fields, names lower case (a repeated name keeps the last). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What a test can set. */
export interface ForwardProxyOptions {
  /** `user:password`: requests must carry it as `Proxy-Authorization: Basic`. */
  credentials?: string;
  /** Answer every CONNECT with this status instead of opening a tunnel. */
  refuseConnect?: number;
}

/** A running proxy. */
export interface ForwardProxy {
  readonly port: number;
  /** `http://127.0.0.1:port` */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly seen: SeenRequest[];
  /** Client connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "upgrade",
]);

/** Starts a proxy on 127.0.0.1 and a free port. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const expected = options.credentials === undefined
    ? undefined
    : `Basic ${btoa(options.credentials)}`;

  const server = createServer((client) => {
    const id = ++connections;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    let buffer: Uint8Array = new Uint8Array(0);
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const request = takeRequest(buffer);
          if (request === null) break;
          buffer = request.rest;
          const record = { connection: id, ...request.head };
          seen.push(record);
          if (expected !== undefined && record.headers["proxy-authorization"] !== expected) {
            client.write(
              "HTTP/1.1 407 Proxy Authentication Required\r\n" +
                'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 4\r\n\r\ndeny',
            );
            continue;
          }
          if (record.method === "CONNECT") {
            client.off("data", onData);
            tunnel(client, record.target, buffer, options.refuseConnect);
            return;
          }
          client.write(await relay(record, request.body));
        }
      } finally {
        busy = false;
      }
    };
    const onData = (chunk: Uint8Array) => {
      buffer = concat(buffer, chunk);
      void pump().catch(() => client.destroy());
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ParsedHead {
  method: string;
  target: string;
  headers: Record<string, string>;
}

const decoder = new TextDecoder("latin1");

/** One complete request at the start of `buffer`, or null when more bytes are needed. */
function takeRequest(
  buffer: Uint8Array,
): { head: ParsedHead; body: Uint8Array; rest: Uint8Array } | null {
  const text = decoder.decode(buffer);
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [line, ...fields] = text.slice(0, end).split("\r\n");
  const [method, target] = line.split(" ");
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(":");
    headers[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  const bodyStart = end + 4;
  if (buffer.byteLength < bodyStart + length) return null;
  return {
    head: { method, target, headers },
    body: buffer.slice(bodyStart, bodyStart + length),
    rest: buffer.slice(bodyStart + length),
  };
}

/** Sends an absolute-form request to its origin and returns the answer to pass back. */
async function relay(request: ParsedHead, body: Uint8Array): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(request.target);
  } catch {
    return encode("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  }
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  }
  head += "connection: close\r\n\r\n";
  const answer = await new Promise<Uint8Array>((resolve) => {
    const upstream = connect(Number(url.port || 80), url.hostname.replace(/^\[|\]$/g, ""));
    let received: Uint8Array = new Uint8Array(0);
    upstream.on("connect", () => upstream.end(concat(encode(head), body)));
    upstream.on("data", (chunk: Uint8Array) => void (received = concat(received, chunk)));
    upstream.on("close", () => resolve(received));
    upstream.on("error", () => {});
  });
  // The origin closed after its answer; the client's connection to the
  // proxy lives on, so the answer must be framed without the close.
  const text = decoder.decode(answer);
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return encode("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
  const [status, ...fields] = text.slice(0, end).split("\r\n");
  const kept = fields.filter((field) => !/^(connection|keep-alive)\s*:/i.test(field));
  const framed = kept.some((field) => /^(content-length|transfer-encoding)\s*:/i.test(field));
  const rest = answer.subarray(end + 4);
  if (!framed && request.method !== "HEAD") kept.push(`content-length: ${rest.byteLength}`);
  return concat(encode(`${[status, ...kept].join("\r\n")}\r\n\r\n`), rest);
}

function tunnel(client: Socket, authority: string, early: Uint8Array, refuse?: number): void {
  if (refuse !== undefined) {
    client.end(`HTTP/1.1 ${refuse} Refused\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const colon = authority.lastIndexOf(":");
  const host = authority.slice(0, colon).replace(/^\[|\]$/g, "");
  const upstream = connect(Number(authority.slice(colon + 1)), host);
  upstream.on("error", () => {
    if (client.writable) client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
  });
  upstream.on("connect", () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (early.byteLength > 0) upstream.write(early);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}

function encode(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
