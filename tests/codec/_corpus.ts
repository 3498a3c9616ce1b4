// deno-fmt-ignore-file -- one table row per line reads as a table.
/**
 * Shared request inputs and their expected outcomes, as tables with a
 * comment per row. Inputs are Latin-1 strings (one char per byte).
 *
 * @module
 */

import { data, end, head, type InvalidCase, type ValidCase } from "./_drive.ts";

const H = "Host: a\r\n";

/** Request-lines the parser accepts. */
export const validRequestLines: ValidCase[] = [
  // the smallest HTTP/1.1 request
  { name: "a minimal GET", input: "GET / HTTP/1.1\r\n" + H + "\r\n", events: [head({ headers: ["Host", "a"] }), end()] },
  // HTTP/1.0 needs no Host (RFC 9112 §3.2)
  { name: "HTTP/1.0 without Host", input: "GET / HTTP/1.0\r\n\r\n", events: [head({ version: "1.0" }), end()] },
  // methods are case-sensitive tokens: "get" is a different method, kept as sent
  { name: "a lowercase method kept as sent", input: "get / HTTP/1.1\r\n" + H + "\r\n", events: [head({ method: "get", headers: ["Host", "a"] }), end()] },
  // any token is a method (RFC 9110 §9.1)
  { name: "an extension method token", input: "M-SEARCH /x HTTP/1.1\r\n" + H + "\r\n", events: [head({ method: "M-SEARCH", target: "/x", headers: ["Host", "a"] }), end()] },
  // query and percent-encoding pass through untouched
  { name: "a target with query and pct-encoding", input: "GET /a/b?c=d&e=%20 HTTP/1.1\r\n" + H + "\r\n", events: [head({ target: "/a/b?c=d&e=%20", headers: ["Host", "a"] }), end()] },
  // every VCHAR is allowed in a target; browsers send some of these raw
  { name: "a target with every VCHAR punctuation", input: "GET /!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ HTTP/1.1\r\n" + H + "\r\n", events: [head({ target: "/!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", headers: ["Host", "a"] }), end()] },
  // asterisk-form with OPTIONS (RFC 9112 §3.2.4)
  { name: "OPTIONS *", input: "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", events: [head({ method: "OPTIONS", target: "*", headers: ["Host", "a"] }), end()] },
  // authority-form with CONNECT (RFC 9112 §3.2.3)
  { name: "CONNECT host:port", input: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", events: [head({ method: "CONNECT", target: "example.com:443", headers: ["Host", "example.com:443"] }), end()] },
  // absolute-form; Host equals the authority ignoring case
  { name: "absolute-form with a matching Host", input: "GET http://A.example/x HTTP/1.1\r\nHost: a.EXAMPLE\r\n\r\n", events: [head({ target: "http://A.example/x", headers: ["Host", "a.EXAMPLE"] }), end()] },
  // absolute-form, https scheme in capitals, a port and no path
  { name: "absolute-form HTTPS with port and no path", input: "GET HTTPS://a:8443 HTTP/1.1\r\nHost: a:8443\r\n\r\n", events: [head({ target: "HTTPS://a:8443", headers: ["Host", "a:8443"] }), end()] },
  // absolute-form whose authority differs from Host: Host is ignored, not an error (RFC 9112 §3.2.2)
  { name: "absolute-form with a different Host", input: "GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", events: [head({ target: "http://a/", headers: ["Host", "b"] }), end()] },
  // absolute-form with a query and no path (RFC 9112 §3.2.2's own example shape)
  { name: "absolute-form with a query and no path", input: "GET http://example.org?x=1 HTTP/1.1\r\n" + H + "\r\n", events: [head({ target: "http://example.org?x=1", headers: ["Host", "a"] }), end()] },
  // absolute-form with a port and no path
  { name: "absolute-form with a port and no path", input: "GET http://example.org:8080 HTTP/1.1\r\n" + H + "\r\n", events: [head({ target: "http://example.org:8080", headers: ["Host", "a"] }), end()] },
  // absolute-form in HTTP/1.0 may come without Host
  { name: "absolute-form in HTTP/1.0 without Host", input: "GET http://a/ HTTP/1.0\r\n\r\n", events: [head({ target: "http://a/", version: "1.0" }), end()] },
  // an IPv6 literal authority
  { name: "an IPv6 Host", input: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", events: [head({ headers: ["Host", "[::1]:8080"] }), end()] },
  // up to 8 stray CRLFs before the request-line are skipped (RFC 9112 §2.2)
  { name: "8 leading empty lines", input: "\r\n".repeat(8) + "GET / HTTP/1.0\r\n\r\n", events: [head({ version: "1.0" }), end()] },
];

/** Request-lines the parser refuses. */
export const invalidRequestLines: InvalidCase[] = [
  // two spaces between method and target: the target is empty
  { name: "two spaces before the target", input: "GET  / HTTP/1.1\r\n\r\n", status: 400, code: "invalid-request-line" },
  // two spaces before the version: the version starts with a space
  { name: "two spaces before the version", input: "GET /  HTTP/1.1\r\n\r\n", status: 400, code: "invalid-version" },
  // HTTP/0.9 simple request: no version at all
  { name: "a request-line without version", input: "GET /\r\n\r\n", status: 400, code: "invalid-request-line" },
  // a space before the method
  { name: "a leading space", input: " GET / HTTP/1.1\r\n\r\n", status: 400, code: "invalid-request-line" },
  // trailing space after the version
  { name: "a trailing space", input: "GET / HTTP/1.1 \r\n\r\n", status: 400, code: "invalid-version" },
  // the version is case-sensitive (RFC 9112 §2.3)
  { name: "a lowercase version", input: "GET / http/1.1\r\n\r\n", status: 400, code: "invalid-version" },
  // one digit only
  { name: "a version without minor", input: "GET / HTTP/1\r\n\r\n", status: 400, code: "invalid-version" },
  // two-digit major is not HTTP-version syntax
  { name: "a two-digit major version", input: "GET / HTTP/11.1\r\n\r\n", status: 400, code: "invalid-version" },
  // well-formed but unsupported versions answer 505
  { name: "HTTP/2.0", input: "GET / HTTP/2.0\r\n\r\n", status: 505, code: "unsupported-version" },
  { name: "HTTP/1.2", input: "GET / HTTP/1.2\r\n\r\n", status: 505, code: "unsupported-version" },
  { name: "HTTP/0.9 spelled out", input: "GET / HTTP/0.9\r\n\r\n", status: 505, code: "unsupported-version" },
  // the HTTP/2 connection preface is answered 505, not "bad target"
  { name: "the HTTP/2 preface", input: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505, code: "unsupported-version" },
  // a non-token byte in the method
  { name: "a method with a parenthesis", input: "GE(T / HTTP/1.1\r\n\r\n", status: 400, code: "invalid-method" },
  // DEL, NUL, TAB and a raw UTF-8 byte in the target
  { name: "DEL in the target", input: "GET /a\x7fb HTTP/1.1\r\n\r\n", status: 400, code: "invalid-target" },
  { name: "NUL in the target", input: "GET /a\x00b HTTP/1.1\r\n\r\n", status: 400, code: "invalid-target" },
  { name: "TAB in the target", input: "GET /a\tb HTTP/1.1\r\n\r\n", status: 400, code: "invalid-target" },
  { name: "a raw non-ASCII byte in the target", input: "GET /caf\xe9 HTTP/1.1\r\n\r\n", status: 400, code: "invalid-target" },
  // asterisk-form outside OPTIONS
  { name: "GET *", input: "GET * HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  // authority-form outside CONNECT
  { name: "GET host:port", input: "GET a:80 HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  // CONNECT takes authority-form only, with a port
  { name: "CONNECT with origin-form", input: "CONNECT / HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  { name: "CONNECT without port", input: "CONNECT a HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  // absolute-form: http(s) only, a host, no userinfo
  { name: "an ftp absolute-form", input: "GET ftp://a/ HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  { name: "absolute-form with userinfo", input: "GET http://u@a/ HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  { name: "absolute-form without host", input: "GET http:///x HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  // a relative path is no form at all
  { name: "a relative target", input: "GET a/b HTTP/1.1\r\n" + H + "\r\n", status: 400, code: "invalid-target" },
  // line endings: bare LF and bare CR anywhere in the request-line
  { name: "a request-line ending in bare LF", input: "GET / HTTP/1.1\n" + H + "\r\n", status: 400, code: "bare-lf" },
  { name: "a bare CR in the target", input: "GET /\r HTTP/1.1\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "a bare CR after the version", input: "GET / HTTP/1.1\rX\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "a leading bare LF", input: "\nGET / HTTP/1.0\r\n\r\n", status: 400, code: "bare-lf" },
  { name: "a leading bare CR", input: "\r\rGET / HTTP/1.0\r\n\r\n", status: 400, code: "bare-cr" },
  // one empty line more than the limit
  { name: "9 leading empty lines", input: "\r\n".repeat(9) + "GET / HTTP/1.0\r\n\r\n", status: 400, code: "too-many-empty-lines" },
  // EOF in the middle of a head
  { name: "EOF inside the request-line", input: "GET / HTTP/1.1", status: 400, code: "incomplete-message" },
  { name: "EOF inside the header section", input: "GET / HTTP/1.1\r\n" + H, status: 400, code: "incomplete-message" },
];

/** Header sections the parser accepts. */
export const validHeaders: ValidCase[] = [
  // obs-text is kept, decoded Latin-1: é is 0xE9, and 0x80-0x9F are not remapped as windows-1252 would
  { name: "obs-text decoded as Latin-1", input: "GET / HTTP/1.1\r\n" + H + "X: caf\xe9\x80\x9f\r\n\r\n", events: [head({ headers: ["Host", "a", "X", "caf\xe9\x80\x9f"] }), end()] },
  // surrounding SP/HTAB removed, inner whitespace kept
  { name: "value whitespace trimmed at the ends only", input: "GET / HTTP/1.1\r\n" + H + "X: \t a \t b \t\r\n\r\n", events: [head({ headers: ["Host", "a", "X", "a \t b"] }), end()] },
  // an empty value
  { name: "an empty value", input: "GET / HTTP/1.1\r\n" + H + "X-Empty:\r\n\r\n", events: [head({ headers: ["Host", "a", "X-Empty", ""] }), end()] },
  // names keep their case; Host is recognised in any case
  { name: "names keep their case", input: "GET / HTTP/1.1\r\nhOsT: a\r\nx-Y: 1\r\n\r\n", events: [head({ headers: ["hOsT", "a", "x-Y", "1"] }), end()] },
  // Connection values are joined, not interpreted
  { name: "Connection fields joined", input: "GET / HTTP/1.1\r\n" + H + "Connection: keep-alive\r\nconnection: Upgrade\r\n\r\n", events: [head({ headers: ["Host", "a", "Connection", "keep-alive", "connection", "Upgrade"], connection: "keep-alive, Upgrade" }), end()] },
  // Expect: 100-continue in any case
  { name: "Expect: 100-Continue", input: "GET / HTTP/1.1\r\n" + H + "Expect: 100-Continue\r\n\r\n", events: [head({ headers: ["Host", "a", "Expect", "100-Continue"], expectContinue: true }), end()] },
  // other expectations are left to the server
  { name: "an unknown expectation", input: "GET / HTTP/1.1\r\n" + H + "Expect: teapot\r\n\r\n", events: [head({ headers: ["Host", "a", "Expect", "teapot"] }), end()] },
  // an empty Host is valid when the target has no authority (RFC 9112 §3.2)
  { name: "an empty Host", input: "GET / HTTP/1.1\r\nHost:\r\n\r\n", events: [head({ headers: ["Host", ""] }), end()] },
  // Content-Length: a body of exactly that many bytes
  { name: "a Content-Length body", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello", events: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "5"], framing: "length", contentLength: 5 }), data("hello"), end()] },
  // leading zeros are digits
  { name: "a Content-Length with leading zeros", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 005\r\n\r\nhello", events: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "005"], framing: "length", contentLength: 5 }), data("hello"), end()] },
  // Content-Length: 0 frames no body
  { name: "Content-Length: 0", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n", events: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "0"] }), end()] },
  // identical values in a list and in repeated fields are one length (RFC 9112 §6.3)
  { name: "a Content-Length list of identical values", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 2 , 2\r\ncontent-length: 2\r\n\r\nhi", events: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "2 , 2", "content-length", "2"], framing: "length", contentLength: 2 }), data("hi"), end()] },
  // chunked in any case, empty list members ignored
  { name: "Transfer-Encoding with empty members and capitals", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: , CHUNKED\r\n\r\n0\r\n\r\n", events: [head({ method: "POST", headers: ["Host", "a", "Transfer-Encoding", ", CHUNKED"], framing: "chunked" }), end()] },
  // a stray CRLF after a body, then the next request (old browsers after POST)
  { name: "a stray CRLF between pipelined requests", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 1\r\n\r\nx\r\nGET /2 HTTP/1.1\r\n" + H + "\r\n", events: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "1"], framing: "length", contentLength: 1 }), data("x"), end(), head({ target: "/2", headers: ["Host", "a"] }), end()] },
];

/** Header sections the parser refuses. */
export const invalidHeaders: InvalidCase[] = [
  // RFC 9112 §5.1: whitespace between name and colon
  { name: "whitespace before the colon", input: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400, code: "whitespace-before-colon" },
  // a line starting with whitespace right after the request-line (RFC 9112 §2.2)
  { name: "whitespace before the first field", input: "GET / HTTP/1.1\r\n X: y\r\n" + H + "\r\n", status: 400, code: "obs-fold" },
  // obs-fold continuation line (RFC 9112 §5.2)
  { name: "an obs-fold continuation", input: "GET / HTTP/1.1\r\n" + H + "X: a\r\n\tb\r\n\r\n", status: 400, code: "obs-fold" },
  // empty name, no colon, a non-token byte in the name
  { name: "an empty field name", input: "GET / HTTP/1.1\r\n" + H + ": v\r\n\r\n", status: 400, code: "invalid-header-name" },
  { name: "a field line without colon", input: "GET / HTTP/1.1\r\n" + H + "X-A\r\n\r\n", status: 400, code: "invalid-header-name" },
  { name: "a parenthesis in a name", input: "GET / HTTP/1.1\r\n" + H + "X(A): b\r\n\r\n", status: 400, code: "invalid-header-name" },
  // the Kelvin sign (UTF-8 E2 84 AA) is no token byte, let alone a "k"
  { name: "a Kelvin sign in a name", input: "GET / HTTP/1.1\r\n" + H + "X-\xe2\x84\xaaey: b\r\n\r\n", status: 400, code: "invalid-header-name" },
  // control characters in a value
  { name: "NUL in a value", input: "GET / HTTP/1.1\r\n" + H + "X: a\x00b\r\n\r\n", status: 400, code: "invalid-header-value" },
  { name: "a C0 control in a value", input: "GET / HTTP/1.1\r\n" + H + "X: a\x01b\r\n\r\n", status: 400, code: "invalid-header-value" },
  { name: "DEL in a value", input: "GET / HTTP/1.1\r\n" + H + "X: a\x7fb\r\n\r\n", status: 400, code: "invalid-header-value" },
  { name: "a bare CR in a value", input: "GET / HTTP/1.1\r\n" + H + "X: a\rb\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "a bare CR in a name", input: "GET / HTTP/1.1\r\n" + H + "X\r: b\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "a field line ending in bare LF", input: "GET / HTTP/1.1\r\n" + H + "X: a\n\r\n", status: 400, code: "bare-lf" },
  { name: "a header section ending in bare LF", input: "GET / HTTP/1.1\r\n" + H + "\n", status: 400, code: "bare-lf" },
  // Host rules (RFC 9112 §3.2)
  { name: "HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\n\r\n", status: 400, code: "missing-host" },
  { name: "two Host fields", input: "GET / HTTP/1.1\r\n" + H + "host: a\r\n\r\n", status: 400, code: "duplicate-host" },
  { name: "a Host with a space", input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, code: "invalid-host" },
  { name: "a Host with a non-numeric port", input: "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", status: 400, code: "invalid-host" },
  { name: "a Host with userinfo", input: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400, code: "invalid-host" },
  { name: "a Host with bad pct-encoding", input: "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", status: 400, code: "invalid-host" },
  { name: "absolute-form in HTTP/1.1 without Host", input: "GET http://a/ HTTP/1.1\r\n\r\n", status: 400, code: "missing-host" },
  // Content-Length must be 1*DIGIT (RFC 9112 §6.2)
  { name: "a signed Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "a negative Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: -5\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "a hex Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 0x5\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "an exponent Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5e2\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "a Content-Length with inner space", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5 5\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "an empty Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "a Content-Length list with an empty member", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5,\r\n\r\n", status: 400, code: "invalid-content-length" },
  { name: "a 16-digit Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 1000000000000000\r\n\r\n", status: 400, code: "invalid-content-length" },
  // 15 digits parse exactly, then meet the body limit
  { name: "a 15-digit Content-Length over the body limit", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 999999999999999\r\n\r\n", status: 413, code: "body-too-large" },
  { name: "a Content-Length list that disagrees", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5, 6\r\n\r\n", status: 400, code: "conflicting-content-length" },
  { name: "repeated Content-Length fields that disagree", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400, code: "conflicting-content-length" },
  // Transfer-Encoding rules (RFC 9112 §6.1, §6.3)
  { name: "Transfer-Encoding in HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "transfer-encoding-http10" },
  { name: "Transfer-Encoding with Content-Length", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "content-length-with-transfer-encoding" },
  { name: "chunked twice in one field", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, chunked\r\n\r\n", status: 400, code: "duplicate-chunked" },
  { name: "chunked in two fields", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "duplicate-chunked" },
  { name: "gzip alone", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n", status: 400, code: "chunked-not-final" },
  { name: "chunked before gzip", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n", status: 400, code: "chunked-not-final" },
  { name: "an empty Transfer-Encoding", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n\r\n", status: 400, code: "chunked-not-final" },
  { name: "gzip before chunked", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501, code: "unsupported-transfer-coding" },
  { name: "gzip and chunked in two fields", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501, code: "unsupported-transfer-coding" },
  { name: "identity before chunked", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: identity, chunked\r\n\r\n", status: 400, code: "invalid-transfer-encoding" },
  { name: "chunked with a parameter", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked;q=1\r\n\r\n", status: 400, code: "invalid-transfer-encoding" },
  { name: "a non-token coding", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: ch@nked\r\n\r\n", status: 400, code: "invalid-transfer-encoding" },
  { name: "chunked spelled with a Kelvin sign", input: "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chun\xe2\x84\xaaed\r\n\r\n", status: 400, code: "invalid-transfer-encoding" },
  // a body cut short is never a complete short body
  { name: "EOF inside a Content-Length body", input: "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhel", status: 400, code: "incomplete-message", before: [head({ method: "POST", headers: ["Host", "a", "Content-Length", "5"], framing: "length", contentLength: 5 }), data("hel")] },
];

/** A POST with a chunked body `body` (already chunk-encoded) and its head event. */
export function chunkedRequest(body: string): string {
  return "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n" + body;
}

/** The head event of {@linkcode chunkedRequest}. */
export const chunkedHead = head({ method: "POST", headers: ["Host", "a", "Transfer-Encoding", "chunked"], framing: "chunked" });

/** Chunked bodies (after the head) and the body and trailers they decode to. */
export const validChunked: { name: string; body: string; text: string; trailers: string[] }[] = [
  // one chunk, then the last chunk
  { name: "one chunk", body: "5\r\nhello\r\n0\r\n\r\n", text: "hello", trailers: [] },
  // several chunks, upper- and lowercase hex, leading zeros
  { name: "hex sizes in any case with leading zeros", body: "A\r\n0123456789\r\n0a\r\nabcdefghij\r\n0000\r\n\r\n", text: "0123456789abcdefghij", trailers: [] },
  // the last chunk alone: an empty body
  { name: "an empty body", body: "0\r\n\r\n", text: "", trailers: [] },
  // extensions: bare name, token value, quoted value with escapes, BWS around ; and =
  { name: "chunk extensions", body: "1;a\r\nx\r\n1;a=b;c=\"q \\\" s\"\r\ny\r\n1 \t; a = b ;c\r\nz\r\n0;last\r\n\r\n", text: "xyz", trailers: [] },
  // trailers come back flat in the end event
  { name: "trailers", body: "1\r\nx\r\n0\r\nX-Sum: 1\r\nx-other:  two \r\n\r\n", text: "x", trailers: ["X-Sum", "1", "x-other", "two"] },
];

/** Chunked bodies (after the head) that are refused. */
export const invalidChunked: { name: string; body: string; status: number; code: string; text?: string }[] = [
  // the chunk-size must start right away with a hex digit
  { name: "a space before the size", body: " 5\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-size" },
  { name: "a 0x prefix", body: "0x5\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-size" },
  { name: "a signed size", body: "+5\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-size" },
  { name: "an empty chunk line", body: "\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-size" },
  // BWS is only allowed before a ";"
  { name: "trailing whitespace without extension", body: "5 \r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-extension" },
  { name: "an extension without name", body: "5;\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-extension" },
  { name: "an extension with an empty value", body: "5;a=\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-extension" },
  { name: "an unterminated quoted extension", body: "5;a=\"b\r\nhello\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-extension" },
  // line endings in chunk lines, after data, in trailers
  { name: "a bare CR in a quoted extension", body: "5;a=\"b\rc\"\r\nhello\r\n0\r\n\r\n", status: 400, code: "bare-cr" },
  { name: "a bare LF ending a chunk line", body: "5\nhello\r\n0\r\n\r\n", status: 400, code: "bare-lf" },
  { name: "a bare LF in a quoted extension", body: "5;a=\"b\nc\"\r\nhello\r\n0\r\n\r\n", status: 400, code: "bare-lf" },
  { name: "a bare LF after chunk data", body: "5\r\nhello\n0\r\n\r\n", status: 400, code: "bare-lf", text: "hello" },
  { name: "a bare CR after chunk data", body: "5\r\nhello\rX0\r\n\r\n", status: 400, code: "bare-cr", text: "hello" },
  { name: "data longer than its size", body: "5\r\nhelloX\r\n0\r\n\r\n", status: 400, code: "invalid-chunk-data-end", text: "hello" },
  { name: "a bare LF ending the last chunk", body: "0\n\r\n", status: 400, code: "bare-lf" },
  { name: "a bare LF ending the trailers", body: "0\r\n\n", status: 400, code: "bare-lf" },
  { name: "a trailer line ending in bare LF", body: "0\r\nX: y\n\r\n", status: 400, code: "bare-lf" },
  // trailers follow the header field rules and may not carry framing or routing
  { name: "an obs-fold trailer", body: "0\r\nX: y\r\n z\r\n\r\n", status: 400, code: "obs-fold" },
  { name: "a Content-Length trailer", body: "0\r\nContent-Length: 5\r\n\r\n", status: 400, code: "forbidden-trailer" },
  { name: "a Transfer-Encoding trailer", body: "0\r\ntransfer-encoding: chunked\r\n\r\n", status: 400, code: "forbidden-trailer" },
  { name: "a Host trailer", body: "0\r\nHOST: b\r\n\r\n", status: 400, code: "forbidden-trailer" },
  // sizes past 2^53-1 never lose precision
  { name: "a size of 2^53", body: "20000000000000\r\n", status: 400, code: "chunk-size-overflow" },
  // EOF anywhere before the final CRLF
  { name: "EOF inside chunk data", body: "5\r\nhel", status: 400, code: "incomplete-message", text: "hel" },
  { name: "EOF before the last chunk", body: "5\r\nhello\r\n", status: 400, code: "incomplete-message", text: "hello" },
  { name: "EOF inside the trailers", body: "0\r\nX: y\r\n", status: 400, code: "incomplete-message" },
  { name: "EOF between the CR and LF after data", body: "5\r\nhello\r", status: 400, code: "incomplete-message", text: "hello" },
];
