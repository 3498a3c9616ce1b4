/**
 * The reverse proxy a Node user would write: node:http in front, undici's
 * `request` with a keep-alive pool behind (32 connections per upstream, as
 * keepwire's default), hop-by-hop fields dropped, bodies piped both ways.
 *
 *   node proxy_node_undici.js PORT UPSTREAM_URL
 *
 * @module
 */

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Agent, request } from "undici";
import { announce, BENCH_HOST, benchPort } from "./_common.ts";

const upstream = process.argv[3];
const dispatcher = new Agent({ connections: 32 });
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "proxy-authorization",
  "host",
]);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  }
  return result;
}

const server = createServer(async (req, res) => {
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const response = await request(upstream + req.url, {
      method: req.method as "GET",
      headers: { ...endToEnd(req.headers), host: req.headers.host ?? "", via: "1.1 node" },
      body: hasBody ? req : undefined,
      dispatcher,
    });
    res.writeHead(response.statusCode, endToEnd(response.headers));
    for await (const chunk of response.body) res.write(chunk);
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.listen(benchPort(), BENCH_HOST, () => announce((server.address() as AddressInfo).port));
