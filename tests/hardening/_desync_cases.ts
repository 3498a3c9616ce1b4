// deno-fmt-ignore-file -- one case per line reads as a table.
/**
 * Request-smuggling and desync inputs for the socket suite, written from
 * RFC 9112 and public desync research (Kettle's "HTTP Desync Attacks",
 * the CL.0 and TE.TE classes, the llhttp and h11 corpora's edge cases).
 *
 * Every input is a Latin-1 string (one char per byte). The suite sends it,
 * then a pipelined canary request, and checks the exact answers:
 * `responses` lists what comes back in order (a string: the handler was
 * called and answered with that text, see {@linkcode describeCall}; a
 * number: keepwire answered that status itself), then `then` says whether
 * the canary is answered next or the connection closes with the canary
 * never reaching the handler.
 *
 * @module
 */

/** One desync case. */
export interface DesyncCase {
  /** What the input does. */
  readonly name: string;
  /** The rule it checks: section and the requirement, in a few words. */
  readonly rule: string;
  /** The bytes sent before the canary (Latin-1). */
  readonly input: string;
  /** Responses before the canary: a handler call's text, or a status keepwire answers itself. */
  readonly responses: readonly (string | number)[];
  /**
   * After them: the canary is answered, or the connection closes without
   * reading it, or either (when timing decides, e.g. whether a body arrived
   * before the response was written); the canary never follows a close.
   */
  readonly then: "canary" | "close" | "either";
  /** The first response answers a HEAD request: it has a length but no body. */
  readonly headFirst?: boolean;
}

/** The pipelined request after every case; the handler answers it with {@linkcode CANARY_CALL}. */
export const CANARY = "GET /canary HTTP/1.1\r\nHost: t\r\n\r\n";

/** The handler's text for the canary. */
export const CANARY_CALL = "GET /canary 0:";

/**
 * Paths starting with this make the handler answer without reading the body
 * (the "early response" of the CL.0 class).
 */
export const EARLY_PREFIX = "/early";

/** The text the test handler answers with: `METHOD path length:body`. */
export function describeCall(method: string, path: string, body: string): string {
  return `${method} ${path} ${body.length}:${body}`;
}

const H = "Host: t\r\n";
/** A complete request hidden in a body: if it ever reaches the handler, framing was lost. */
const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
const post = (fields: string, body = "") => "POST / HTTP/1.1\r\n" + H + fields + "\r\n" + body;
const chunked = (body: string, te = "chunked") => post(`Transfer-Encoding: ${te}\r\n`, body);
const HELLO_CHUNKED = "5\r\nhello\r\n0\r\n\r\n";
const reject = (name: string, rule: string, input: string, status = 400): DesyncCase =>
  ({ name, rule, input, responses: [status], then: "close" });
const accept = (name: string, rule: string, input: string, ...responses: (string | number)[]): DesyncCase =>
  ({ name, rule, input, responses, then: "canary" });

/** Content-Length and Transfer-Encoding together (CL.TE and TE.CL). */
export const clTeCases: DesyncCase[] = [
  reject("CL then TE, smuggled request after the last chunk", "RFC 9112 §6.1: a server MAY reject CL with TE, and MUST close after it", post(`Content-Length: 6\r\nTransfer-Encoding: chunked\r\n`, "0\r\n\r\n" + SMUGGLED)),
  reject("TE then CL, smuggled request inside the CL body", "RFC 9112 §6.1: CL and TE together are rejected", post(`Transfer-Encoding: chunked\r\nContent-Length: 40\r\n`, "0\r\n\r\n" + SMUGGLED)),
  reject("TE with Content-Length: 0", "RFC 9112 §6.3 item 3: CL with TE is how desync starts", post(`Content-Length: 0\r\nTransfer-Encoding: chunked\r\n`, HELLO_CHUNKED)),
  reject("lowercase names, TE last", "RFC 9110 §5.1: field names are case-insensitive", post(`content-length: 5\r\ntransfer-encoding: CHUNKED\r\n`, HELLO_CHUNKED)),
];

/** Transfer-Encoding lists and odd spellings (TE.TE). */
export const teCases: DesyncCase[] = [
  accept("chunked", "RFC 9112 §7.1: chunked framing", chunked(HELLO_CHUNKED), "POST / 5:hello"),
  accept("CHUNKED in capitals", "RFC 9112 §7: transfer-coding names are case-insensitive", chunked(HELLO_CHUNKED, "CHUNKED"), "POST / 5:hello"),
  accept("chunked with trailing spaces and tabs", "RFC 9112 §5: OWS around a field value is not part of it", post("Transfer-Encoding: chunked \t \r\n", HELLO_CHUNKED), "POST / 5:hello"),
  accept("chunked after a tab", "RFC 9112 §5.1: OWS after the colon", post("Transfer-Encoding:\tchunked\r\n", HELLO_CHUNKED), "POST / 5:hello"),
  accept("empty list members around chunked", "RFC 9110 §5.6.1.2: empty list elements are ignored", chunked(HELLO_CHUNKED, ", ,chunked,"), "POST / 5:hello"),
  reject("chunked, identity", "RFC 9112 §6.3 item 4: chunked must be the final coding", chunked(HELLO_CHUNKED, "chunked, identity")),
  reject("identity alone", "RFC 9112 §6.1: identity is not a transfer coding (removed by RFC 7230)", chunked("5\r\nhello", "identity")),
  reject("xchunked", "RFC 9112 §6.3 item 4: a coding other than chunked last leaves the length unknown", chunked(HELLO_CHUNKED, "xchunked")),
  reject("chunk (truncated name)", "RFC 9112 §6.3 item 4: unknown final coding", chunked(HELLO_CHUNKED, "chunk")),
  reject("chunked followed by a vertical tab", "RFC 9110 §5.5: VT is a CTL, not OWS", chunked(HELLO_CHUNKED, "chunked\x0b")),
  reject("a vertical tab before chunked", "RFC 9110 §5.5: VT is a CTL, not OWS", post("Transfer-Encoding:\x0bchunked\r\n", HELLO_CHUNKED)),
  reject("a form feed after chunked", "RFC 9110 §5.5: FF is a CTL", chunked(HELLO_CHUNKED, "chunked\x0c")),
  reject("quoted \"chunked\"", "RFC 9112 §7: a transfer-coding is a token, not a quoted-string", chunked(HELLO_CHUNKED, "\"chunked\"")),
  reject("chunked with an empty parameter list", "RFC 9112 §7.1: chunked takes no parameters", chunked(HELLO_CHUNKED, "chunked;")),
  reject("chunked twice in one field", "RFC 9112 §6.1: chunked MUST NOT be applied more than once", chunked(HELLO_CHUNKED, "chunked, chunked")),
  reject("chunked in two fields", "RFC 9112 §6.1: repeated fields form one list; chunked twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", HELLO_CHUNKED)),
  reject("chunked then identity in a second field", "RFC 9112 §6.3 item 4: the combined list must end in chunked", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", HELLO_CHUNKED)),
  reject("gzip then chunked", "RFC 9112 §6.1: a coding the server does not implement is answered 501", chunked(HELLO_CHUNKED, "gzip, chunked"), 501),
  reject("gzip and chunked in two fields", "RFC 9112 §6.1: 501 for an unimplemented coding, however split", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", HELLO_CHUNKED), 501),
  reject("an empty Transfer-Encoding", "RFC 9112 §6.3 item 4: TE present without chunked last", chunked(HELLO_CHUNKED, "")),
  reject("Transfer-Encoding in HTTP/1.0", "RFC 9112 §6.1: TE in an HTTP/1.0 request is faulty", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED),
  // An underscore is a token character: a different, unknown field. No framing field at all means no body,
  // so the chunked bytes are the next request-line, and that is refused; the canary is never reached.
  { name: "Transfer_Encoding (underscore) frames nothing", rule: "RFC 9112 §6.3 item 7: without CL or TE a request has no body", input: post("Transfer_Encoding: chunked\r\n", HELLO_CHUNKED), responses: ["POST / 0:", 400], then: "close" },
];

/** Content-Length values: lists, signs, hex, overflow, whitespace inside. */
export const contentLengthCases: DesyncCase[] = [
  accept("Content-Length: 5", "RFC 9112 §6.2: the body is exactly that many bytes", post("Content-Length: 5\r\n", "hello"), "POST / 5:hello"),
  accept("leading zeros", "RFC 9110 §8.6: Content-Length = 1*DIGIT", post("Content-Length: 0005\r\n", "hello"), "POST / 5:hello"),
  accept("a list of identical values", "RFC 9110 §8.6: identical members may be taken as one value", post("Content-Length: 5, 5\r\n", "hello"), "POST / 5:hello"),
  accept("identical values in two fields", "RFC 9110 §8.6: repeated identical values are one value", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), "POST / 5:hello"),
  accept("a short length leaves the rest as the next request", "RFC 9112 §6.3 item 6: exactly CL bytes belong to the body", post("Content-Length: 3\r\n", "helGET /next HTTP/1.1\r\n" + H + "\r\n"), "POST / 3:hel", "GET /next 0:"),
  reject("a list that disagrees", "RFC 9112 §6.3 item 5: differing values are unrecoverable", post("Content-Length: 5, 40\r\n", "hello" + SMUGGLED)),
  reject("two fields that disagree", "RFC 9112 §6.3 item 5: differing values are unrecoverable", post("Content-Length: 5\r\nContent-Length: 40\r\n", "hello" + SMUGGLED)),
  reject("a plus sign", "RFC 9110 §8.6: 1*DIGIT, no sign", post("Content-Length: +5\r\n", "hello")),
  reject("a minus sign", "RFC 9110 §8.6: 1*DIGIT, no sign", post("Content-Length: -5\r\n", "hello")),
  reject("hex", "RFC 9110 §8.6: decimal digits only", post("Content-Length: 0x5\r\n", "hello")),
  reject("an exponent", "RFC 9110 §8.6: decimal digits only", post("Content-Length: 5e0\r\n", "hello")),
  reject("a decimal point", "RFC 9110 §8.6: decimal digits only", post("Content-Length: 5.0\r\n", "hello")),
  reject("a space inside", "RFC 9110 §8.6: one number, no inner whitespace", post("Content-Length: 1 5\r\n", "hello")),
  reject("a tab inside", "RFC 9110 §8.6: one number, no inner whitespace", post("Content-Length: 1\t5\r\n", "hello")),
  reject("empty", "RFC 9110 §8.6: at least one digit", post("Content-Length:\r\n", "hello")),
  reject("an empty list member", "RFC 9112 §6.3 item 5: an invalid value is unrecoverable", post("Content-Length: 5,\r\n", "hello")),
  reject("2^64 + 5 (wraps a 64-bit parser to 5)", "RFC 9110 §8.6: a length that overflows is invalid", post("Content-Length: 18446744073709551621\r\n", "hello")),
  reject("16 digits past 2^53", "RFC 9110 §8.6: anticipate large numbers, never lose precision", post("Content-Length: 9007199254740993\r\n", "hello")),
  reject("a trailing NUL", "RFC 9110 §5.5: NUL is never allowed in a value", post("Content-Length: 5\x00\r\n", "hello")),
  reject("a vertical tab before the digits", "RFC 9110 §5.5: VT is not OWS", post("Content-Length:\x0b5\r\n", "hello")),
  reject("over maxBodySize", "RFC 9110 §15.5.14: 413 when the content is larger than the server will take", post("Content-Length: 999999999999999\r\n", "hello"), 413),
];

/** Chunk-size overflow, prefixes and signs; chunk extensions. */
export const chunkCases: DesyncCase[] = [
  accept("hex sizes with leading zeros (16 digits)", "RFC 9112 §7.1: chunk-size = 1*HEXDIG", chunked("000000000000000A\r\n0123456789\r\n0\r\n\r\n"), "POST / 10:0123456789"),
  accept("extensions with a quoted string holding ; and =", "RFC 9112 §7.1.1: chunk-ext values may be quoted-strings", chunked("5;a=b;q=\"x;y=z\\\"\"\r\nhello\r\n0;end\r\n\r\n"), "POST / 5:hello"),
  reject("17 hex digits", "RFC 9112 §7.1: anticipate large sizes, refuse what overflows", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n")),
  reject("2^64 + 5 (wraps a 64-bit parser to 5)", "RFC 9112 §7.1: overflow is an error, not a wrap", chunked("10000000000000005\r\nhello\r\n0\r\n\r\n")),
  reject("2^53", "RFC 9112 §7.1: sizes past 2^53 - 1 lose precision", chunked("20000000000000\r\nhello\r\n0\r\n\r\n")),
  reject("a 0x prefix", "RFC 9112 §7.1: chunk-size is bare HEXDIG", chunked("0x5\r\nhello\r\n0\r\n\r\n")),
  reject("a plus sign", "RFC 9112 §7.1: no sign", chunked("+5\r\nhello\r\n0\r\n\r\n")),
  reject("a minus sign", "RFC 9112 §7.1: no sign", chunked("-5\r\nhello\r\n0\r\n\r\n")),
  reject("a space before the size", "RFC 9112 §7.1: the line starts with the size", chunked(" 5\r\nhello\r\n0\r\n\r\n")),
  reject("whitespace after the size without an extension", "RFC 9112 §7.1.1: BWS only before ';'", chunked("5 \r\nhello\r\n0\r\n\r\n")),
  reject("a non-hex letter", "RFC 9112 §7.1: HEXDIG only", chunked("5g\r\nhello\r\n0\r\n\r\n")),
  reject("data longer than its size", "RFC 9112 §7.1: chunk-data is followed by CRLF", chunked("3\r\nhello\r\n0\r\n\r\n")),
  reject("a size over maxBodySize", "RFC 9110 §15.5.14: 413 as soon as the total would pass the limit", chunked("10000000\r\nhello\r\n0\r\n\r\n"), 413),
  reject("an extension ended by a bare LF", "RFC 9112 §7.1: chunk lines end in CRLF", chunked("5;a=b\nhello\r\n0\r\n\r\n")),
  reject("a quoted extension holding a bare LF", "RFC 9112 §7.1.1: quoted-string excludes CTLs", chunked("5;a=\"b\nc\"\r\nhello\r\n0\r\n\r\n")),
  reject("a quoted extension holding CRLF", "RFC 9112 §7.1.1: a quoted-string never spans lines", chunked("5;a=\"b\r\n0\r\n\r\n\"\r\nhello\r\n0\r\n\r\n")),
  reject("an extension without a name", "RFC 9112 §7.1.1: chunk-ext-name is a token", chunked("5;\r\nhello\r\n0\r\n\r\n")),
  reject("an extension over 4 KiB", "RFC 9112 §7.1.1: a server limits extension length (CVE-2024-22019 class)", chunked("5;a=" + "x".repeat(4200) + "\r\nhello\r\n0\r\n\r\n")),
  reject("a Content-Length trailer", "RFC 9110 §6.5.1: framing fields are not allowed in trailers", chunked("5\r\nhello\r\n0\r\nContent-Length: 40\r\n\r\n")),
];

/** Bare CR and bare LF as line endings, in the head, chunk lines and after chunk data. */
export const lineEndingCases: DesyncCase[] = [
  reject("a request-line ended by a bare LF", "RFC 9112 §2.2: a bare LF line ending is refused here (MAY accept)", "GET / HTTP/1.1\n" + H + "\r\n"),
  reject("a whole head in bare LFs", "RFC 9112 §2.2: LF-only heads are an old desync vector", "GET / HTTP/1.1\nHost: t\n\n"),
  reject("a field line ended by a bare LF", "RFC 9112 §2.2", "GET / HTTP/1.1\r\n" + H + "X: a\nTransfer-Encoding: chunked\r\n\r\n"),
  reject("a bare CR inside a field value", "RFC 9112 §2.2: a bare CR MUST be rejected or replaced with SP", "GET / HTTP/1.1\r\n" + H + "X: a\rContent-Length: 5\r\n\r\nhello"),
  reject("a bare CR inside the request-line", "RFC 9112 §2.2: bare CR", "GET /\r HTTP/1.1\r\n" + H + "\r\n"),
  reject("a header section ended by a bare LF", "RFC 9112 §2.2", "GET / HTTP/1.1\r\n" + H + "\n"),
  reject("a chunk line ended by a bare LF", "RFC 9112 §7.1: CRLF after chunk-size", chunked("5\nhello\r\n0\r\n\r\n")),
  { name: "a bare LF after chunk data", rule: "RFC 9112 §7.1: chunk-data CRLF", input: chunked("5\r\nhello\n0\r\n\r\n"), responses: [400], then: "close" },
  { name: "a bare CR after chunk data", rule: "RFC 9112 §7.1: chunk-data CRLF", input: chunked("5\r\nhello\r0\r\n\r\n"), responses: [400], then: "close" },
  reject("the last chunk ended by a bare LF", "RFC 9112 §7.1: last-chunk CRLF", chunked("0\n\r\n")),
  reject("the trailer section ended by a bare LF", "RFC 9112 §7.1.2: trailer section ends in CRLF", chunked("0\r\n\n")),
  accept("stray CRLFs before a request", "RFC 9112 §2.2: ignore at least one empty line before a request-line", "\r\n\r\nGET /after-crlf HTTP/1.1\r\n" + H + "\r\n", "GET /after-crlf 0:"),
];

/** obs-fold, whitespace before the colon, NUL and CTLs in names and values. */
export const fieldSyntaxCases: DesyncCase[] = [
  reject("obs-fold of a value", "RFC 9112 §5.2: a server MUST reject obs-fold (or replace it)", "GET / HTTP/1.1\r\n" + H + "X: a\r\n b\r\n\r\n"),
  reject("obs-fold carrying Transfer-Encoding", "RFC 9112 §5.2: obs-fold", post("X: a\r\n Transfer-Encoding: chunked\r\n", HELLO_CHUNKED)),
  reject("Transfer-Encoding folded onto its own value", "RFC 9112 §5.2: obs-fold", post("Transfer-Encoding:\r\n chunked\r\n", HELLO_CHUNKED)),
  reject("whitespace before the first field", "RFC 9112 §2.2: a line starting with whitespace after the request-line", "GET / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" + H + "\r\n" + HELLO_CHUNKED),
  reject("a space before the colon of Transfer-Encoding", "RFC 9112 §5.1: no whitespace between name and colon; MUST 400", post("Transfer-Encoding : chunked\r\n", HELLO_CHUNKED)),
  reject("a tab before the colon of Content-Length", "RFC 9112 §5.1: MUST 400", post("Content-Length\t: 5\r\n", "hello")),
  reject("a space before the colon of Host", "RFC 9112 §5.1: MUST 400", "GET / HTTP/1.1\r\nHost : t\r\n\r\n"),
  reject("NUL in a name", "RFC 9110 §5.1: field-name is a token", "GET / HTTP/1.1\r\n" + H + "X\x00Y: 1\r\n\r\n"),
  reject("NUL inside Content-Length's name", "RFC 9110 §5.1: field-name is a token", post("Content-Length\x00: 5\r\n", "hello")),
  reject("NUL in a value", "RFC 9110 §5.5: NUL MUST be rejected or replaced", "GET / HTTP/1.1\r\n" + H + "X: a\x00b\r\n\r\n"),
  reject("ESC in a value", "RFC 9110 §5.5: CTLs are not field-vchar", "GET / HTTP/1.1\r\n" + H + "X: \x1b[31mred\r\n\r\n"),
  reject("DEL in a value", "RFC 9110 §5.5: DEL is not field-vchar", "GET / HTTP/1.1\r\n" + H + "X: a\x7f\r\n\r\n"),
  reject("a control byte in a name", "RFC 9110 §5.1: field-name is a token", "GET / HTTP/1.1\r\n" + H + "X\x01: 1\r\n\r\n"),
  reject("a field without a colon", "RFC 9112 §5: field-line = name \":\" value", "GET / HTTP/1.1\r\n" + H + "Transfer-Encoding chunked\r\n\r\n"),
  reject("an empty field name", "RFC 9110 §5.1: a name is at least one tchar", "GET / HTTP/1.1\r\n" + H + ": x\r\n\r\n"),
];

/** Targets and Host. */
export const targetCases: DesyncCase[] = [
  accept("absolute-form with a matching Host", "RFC 9112 §3.2.2: a server MUST accept absolute-form", "GET http://t/abs HTTP/1.1\r\n" + H + "\r\n", "GET /abs 0:"),
  accept("absolute-form with a different Host", "RFC 9112 §3.2.2: the server MUST ignore Host and take the target's authority", "GET http://other/abs HTTP/1.1\r\n" + H + "\r\n", "GET /abs 0:"),
  reject("absolute-form without Host in HTTP/1.1", "RFC 9112 §3.2: a client MUST send Host; a server MUST 400 without it", "GET http://t/abs HTTP/1.1\r\n\r\n"),
  reject("authority-form with GET", "RFC 9112 §3.2.3: authority-form only for CONNECT", "GET t:80 HTTP/1.1\r\n" + H + "\r\n"),
  accept("authority-form with CONNECT (no tunnel here)", "RFC 9110 §9.3.6: CONNECT is answered 501, framing intact", "CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n", 501),
  reject("asterisk-form with GET", "RFC 9112 §3.2.4: asterisk-form only for OPTIONS", "GET * HTTP/1.1\r\n" + H + "\r\n"),
  reject("a relative target", "RFC 9112 §3.2: origin-form starts with '/'", "GET abs HTTP/1.1\r\n" + H + "\r\n"),
  reject("Host missing", "RFC 9112 §3.2: MUST 400 an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\n\r\n"),
  reject("Host twice, same value", "RFC 9112 §3.2: MUST 400 more than one Host", "GET / HTTP/1.1\r\n" + H + H + "\r\n"),
  reject("Host twice, different values", "RFC 9112 §3.2: MUST 400 more than one Host", "GET / HTTP/1.1\r\n" + H + "Host: evil\r\n\r\n"),
  reject("Host as a list", "RFC 9112 §3.2: Host is one uri-host[:port]", "GET / HTTP/1.1\r\nHost: t, evil\r\n\r\n"),
  reject("Host with userinfo", "RFC 9110 §7.2: no userinfo in Host", "GET / HTTP/1.1\r\nHost: u@t\r\n\r\n"),
  { name: "HTTP/1.0 without Host", rule: "RFC 9112 §3.2: Host is required of HTTP/1.1 only; 1.0 closes without keep-alive", input: "GET /old HTTP/1.0\r\n\r\n", responses: ["GET /old 0:"], then: "close" },
];

/** HTTP versions. */
export const versionCases: DesyncCase[] = [
  reject("HTTP/0.9 simple request", "RFC 9112 §2.3: no version is no HTTP/1.x request", "GET /\r\n\r\n"),
  reject("HTTP/0.9 spelled out", "RFC 9110 §15.6.6: 505 for a major version not supported", "GET / HTTP/0.9\r\n" + H + "\r\n", 505),
  reject("HTTP/1.2", "RFC 9110 §15.6.6: 505 (keepwire speaks 1.0 and 1.1 only)", "GET / HTTP/1.2\r\n" + H + "\r\n", 505),
  reject("HTTP/2.0", "RFC 9110 §15.6.6: 505", "GET / HTTP/2.0\r\n" + H + "\r\n", 505),
  reject("the HTTP/2 preface", "RFC 9113 §3.4: the prior-knowledge preface is not HTTP/1.1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
  reject("a lowercase version", "RFC 9112 §2.3: HTTP-name is case-sensitive", "GET / http/1.1\r\n" + H + "\r\n"),
  reject("a two-digit minor", "RFC 9112 §2.3: HTTP-version = HTTP-name '/' DIGIT '.' DIGIT", "GET / HTTP/1.10\r\n" + H + "\r\n"),
  reject("a missing minor", "RFC 9112 §2.3", "GET / HTTP/1\r\n" + H + "\r\n"),
  reject("a leading zero in the major", "RFC 9112 §2.3", "GET / HTTP/01.1\r\n" + H + "\r\n"),
  reject("a trailing space after the version", "RFC 9112 §3: request-line = method SP target SP version", "GET / HTTP/1.1 \r\n" + H + "\r\n"),
  reject("two spaces before the target", "RFC 9112 §3: single SP separators", "GET  / HTTP/1.1\r\n" + H + "\r\n"),
  reject("a tab as separator", "RFC 9112 §3: SP, not HTAB (MAY accept, refused here)", "GET\t/ HTTP/1.1\r\n" + H + "\r\n"),
];

/** Methods with non-token bytes. */
export const methodCases: DesyncCase[] = [
  reject("a parenthesis in the method", "RFC 9110 §9.1: method = token", "GE(T / HTTP/1.1\r\n" + H + "\r\n"),
  reject("NUL in the method", "RFC 9110 §9.1: method = token", "GE\x00T / HTTP/1.1\r\n" + H + "\r\n"),
  reject("DEL in the method", "RFC 9110 §9.1: method = token", "G\x7fET / HTTP/1.1\r\n" + H + "\r\n"),
  reject("a non-ASCII byte in the method", "RFC 9110 §9.1: method = token", "G\xc9T / HTTP/1.1\r\n" + H + "\r\n"),
  reject("a leading space before the method", "RFC 9112 §3: the line starts with the method", " GET / HTTP/1.1\r\n" + H + "\r\n"),
  accept("TRACE is answered 501", "RFC 9110 §9.3.8: TRACE is optional; Fetch cannot carry it", "TRACE / HTTP/1.1\r\n" + H + "\r\n", 501),
];

/**
 * The CL.0 class: the server answers before reading a body whose bytes
 * spell a request. The body must be drained, never parsed as a request.
 */
export const earlyResponseCases: DesyncCase[] = [
  accept("early response, Content-Length body holding a request", "RFC 9112 §6.3 item 6: the body is CL bytes whether read or not", "POST /early HTTP/1.1\r\n" + H + `Content-Length: ${SMUGGLED.length}\r\n\r\n` + SMUGGLED, "POST /early 0:"),
  // An unread chunked body is drained under the same bound as a Content-Length one.
  accept("early response, chunked body holding a request", "RFC 9112 §7.1: the body ends at the last chunk whether read or not", "POST /early HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n" + SMUGGLED.length.toString(16) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n", "POST /early 0:"),
  accept("GET with a Content-Length body holding a request", "RFC 9110 §9.3.1: a GET body has no meaning but is still framed", "GET /early HTTP/1.1\r\n" + H + `Content-Length: ${SMUGGLED.length}\r\n\r\n` + SMUGGLED, "GET /early 0:"),
  accept("POST with Content-Length: 0 then a request", "RFC 9112 §6.3 item 6: CL 0 means no body, the next bytes are a request", post("Content-Length: 0\r\n", "GET /next HTTP/1.1\r\n" + H + "\r\n"), "POST / 0:", "GET /next 0:"),
  // The client asked for 100-continue and got a final response instead: it may never send the body,
  // so unless the whole body is already in, the server cannot know where the next request starts
  // and closes (RFC 9110 §10.1.1). Either way the body is never a request.
  { name: "early response to Expect: 100-continue, body sent anyway", rule: "RFC 9110 §10.1.1: after a final response without 100, the server closes", input: "POST /early HTTP/1.1\r\n" + H + "Expect: 100-continue\r\n" + `Content-Length: ${SMUGGLED.length}\r\n\r\n` + SMUGGLED, responses: ["POST /early 0:"], then: "either" },
];

/**
 * Where one message ends on the response side, and when the connection
 * stops reading requests (RFC 9112 §9.3, §9.6).
 */
export const connectionCases: DesyncCase[] = [
  { name: "Connection: close, then a pipelined request", rule: "RFC 9112 §9.6: after a close request, a server MUST NOT process further requests", input: "GET /last HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n", responses: ["GET /last 0:"], then: "close" },
  { name: "close inside a Connection list", rule: "RFC 9110 §7.6.1: Connection is a list of case-insensitive options", input: "GET /last HTTP/1.1\r\n" + H + "Connection: keep-alive, CLOSE\r\n\r\n", responses: ["GET /last 0:"], then: "close" },
  accept("HTTP/1.0 with keep-alive, then a pipelined request", "RFC 9112 §9.3: HTTP/1.0 persists only when asked", "GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /ka 0:"),
  accept("Upgrade: h2c is ignored, the connection stays HTTP/1.1", "RFC 9110 §7.8: a server MAY ignore Upgrade", "GET /up HTTP/1.1\r\n" + H + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", "GET /up 0:"),
  { name: "HEAD: a length but no body, then the canary's response", rule: "RFC 9110 §9.3.2: a response to HEAD has no content, whatever its Content-Length", input: "HEAD /head HTTP/1.1\r\n" + H + "\r\n", responses: [200], then: "canary", headFirst: true },
];

/** Every case, by class. */
export const desyncClasses: Record<string, DesyncCase[]> = {
  "CL and TE together": clTeCases,
  "Transfer-Encoding spellings": teCases,
  "Content-Length values": contentLengthCases,
  "chunk sizes and extensions": chunkCases,
  "bare CR and LF": lineEndingCases,
  "field syntax": fieldSyntaxCases,
  "targets and Host": targetCases,
  "versions": versionCases,
  "methods": methodCases,
  "early responses (CL.0)": earlyResponseCases,
  "connection management": connectionCases,
};
