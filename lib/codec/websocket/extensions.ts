/**
 * `Sec-WebSocket-Extensions` (RFC 6455 §9.1) and the parameters of
 * permessage-deflate (RFC 7692 §7): parsing offers and choosing the answer.
 * Compressing and inflating are not here; they live with the socket.
 *
 * @module
 */

/**
 * One extension a client offers, with its parameters in order; a parameter
 * without a value has `true` (quoted values are unquoted).
 *
 * @example
 * ```ts
 * import { type ExtensionOffer, parseExtensions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const [offer]: ExtensionOffer[] = parseExtensions("permessage-deflate; client_max_window_bits");
 * assert.deepEqual(offer, { name: "permessage-deflate", params: [["client_max_window_bits", true]] });
 * ```
 */
export interface ExtensionOffer {
  /** The extension token, lower-cased. */
  readonly name: string;
  /** Parameters `[name, value]`, names lower-cased, in the order sent. */
  readonly params: readonly (readonly [string, string | true])[];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1: a list of
 * `token *( ";" token [ "=" ( token / quoted-string ) ] )`). A malformed
 * value yields no offers at all: declining every extension is always a
 * valid answer, and guessing at a half-understood offer is not.
 *
 * @example
 * ```ts
 * import { parseExtensions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const offers = parseExtensions('permessage-deflate; server_max_window_bits="10", x-foo');
 * assert.deepEqual(offers.map((offer) => offer.name), ["permessage-deflate", "x-foo"]);
 * assert.deepEqual(offers[0].params, [["server_max_window_bits", "10"]]);
 * assert.deepEqual(parseExtensions("permessage-deflate;;"), []);
 * ```
 */
export function parseExtensions(value: string | null): ExtensionOffer[] {
  if (value === null) return [];
  let at = 0;
  const skipSpace = () => {
    while (at < value.length && (value[at] === " " || value[at] === "\t")) at++;
  };
  const readToken = (): string | null => {
    const start = at;
    while (at < value.length && TCHAR.test(value[at])) at++;
    return at > start ? value.slice(start, at) : null;
  };
  const readQuoted = (): string | null => {
    at++; // the opening DQUOTE
    let result = "";
    while (at < value.length && value[at] !== '"') {
      if (value[at] === "\\") at++;
      if (at >= value.length) return null;
      result += value[at++];
    }
    if (at >= value.length) return null;
    at++;
    // §9.1: a quoted value must still be a token once unquoted.
    return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(result) ? result : null;
  };

  const offers: ExtensionOffer[] = [];
  for (;;) {
    skipSpace();
    if (value[at] === ",") { // empty list elements are allowed (RFC 9110 §5.6.1)
      at++;
      continue;
    }
    if (at >= value.length) return offers;
    const name = readToken();
    if (name === null) return [];
    const params: [string, string | true][] = [];
    skipSpace();
    while (value[at] === ";") {
      at++;
      skipSpace();
      const param = readToken();
      if (param === null) return [];
      skipSpace();
      let paramValue: string | true = true;
      if (value[at] === "=") {
        at++;
        skipSpace();
        const read = value[at] === '"' ? readQuoted() : readToken();
        if (read === null) return [];
        paramValue = read;
        skipSpace();
      }
      params.push([param.toLowerCase(), paramValue]);
    }
    if (at < value.length && value[at] !== ",") return [];
    offers.push({ name: name.toLowerCase(), params });
  }
}

/**
 * What this end's permessage-deflate implementation can do; the answer to
 * an offer never promises more.
 *
 * @example
 * ```ts
 * import { negotiatePerMessageDeflate, parseExtensions, type PerMessageDeflateSupport } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const support: PerMessageDeflateSupport = { clientNoContextTakeover: true };
 * const agreed = negotiatePerMessageDeflate(parseExtensions("permessage-deflate"), support);
 * assert.equal(agreed?.response, "permessage-deflate; client_no_context_takeover");
 * ```
 */
export interface PerMessageDeflateSupport {
  /**
   * Ask the client to compress every message on its own
   * (`client_no_context_takeover`, RFC 7692 §7.1.1.2, which a server MAY add
   * unasked): for an inflater that cannot keep its window between messages.
   * Default false.
   */
  clientNoContextTakeover?: boolean;
  /**
   * Announce that this server compresses every message on its own
   * (`server_no_context_takeover`, §7.1.1.1, which a server MAY add unasked).
   * Default false.
   */
  serverNoContextTakeover?: boolean;
  /**
   * The LZ77 window this server compresses with, 8–15; offers that limit
   * the server's window below it are declined (§7.1.2.1). Default 15,
   * the window of `CompressionStream("deflate-raw")`.
   */
  serverWindowBits?: number;
}

/**
 * The permessage-deflate parameters both ends agreed on, and the
 * `Sec-WebSocket-Extensions` value that says so.
 *
 * @example
 * ```ts
 * import { negotiatePerMessageDeflate, parseExtensions, type PerMessageDeflateParams } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const agreed: PerMessageDeflateParams | null = negotiatePerMessageDeflate(
 *   parseExtensions("permessage-deflate; server_no_context_takeover"),
 * );
 * assert.equal(agreed?.serverNoContextTakeover, true);
 * assert.equal(agreed?.clientNoContextTakeover, false);
 * ```
 */
export interface PerMessageDeflateParams {
  /** The server compresses each message on its own. */
  readonly serverNoContextTakeover: boolean;
  /** The client compresses each message on its own: the server may reset its inflater per message. */
  readonly clientNoContextTakeover: boolean;
  /** The server's LZ77 window, in bits. */
  readonly serverMaxWindowBits: number;
  /** The client's LZ77 window, in bits (15 unless the client offered less). */
  readonly clientMaxWindowBits: number;
  /** The `Sec-WebSocket-Extensions` value of the answer. */
  readonly response: string;
}

const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

/**
 * Chooses the first permessage-deflate offer this server can accept (RFC
 * 7692 §7.1), or null to decline them all. An offer with an unknown or
 * repeated parameter or an invalid value is declined (§7.1), as is one
 * whose `server_max_window_bits` is below the window this server
 * compresses with. `client_max_window_bits` is never limited in the answer:
 * an inflater takes any window up to 15.
 *
 * @example
 * ```ts
 * import { negotiatePerMessageDeflate, parseExtensions } from "@keepwire/keepwire";
 * import assert from "node:assert/strict";
 *
 * const offers = parseExtensions(
 *   "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
 * );
 * const agreed = negotiatePerMessageDeflate(offers); // the first asks for a 10-bit window: declined
 * assert.equal(agreed?.response, "permessage-deflate");
 * assert.equal(negotiatePerMessageDeflate(parseExtensions("x-webkit-deflate-frame")), null);
 * ```
 */
export function negotiatePerMessageDeflate(
  offers: readonly ExtensionOffer[],
  support: PerMessageDeflateSupport = {},
): PerMessageDeflateParams | null {
  const serverWindow = support.serverWindowBits ?? 15;
  for (const offer of offers) {
    if (offer.name !== "permessage-deflate") continue;
    const seen = new Set<string>();
    let acceptable = true;
    let serverNoContext = support.serverNoContextTakeover ?? false;
    let clientNoContext = support.clientNoContextTakeover ?? false;
    let serverMaxWindowBits: number | null = null;
    let clientMaxWindowBits = 15;
    for (const [name, value] of offer.params) {
      if (seen.has(name)) acceptable = false;
      seen.add(name);
      if (name === "server_no_context_takeover" || name === "client_no_context_takeover") {
        if (value !== true) acceptable = false;
        else if (name === "server_no_context_takeover") serverNoContext = true;
        else clientNoContext = true;
      } else if (name === "server_max_window_bits") {
        if (value === true || !WINDOW_BITS.test(value)) acceptable = false;
        else serverMaxWindowBits = Number(value);
      } else if (name === "client_max_window_bits") {
        if (value !== true && !WINDOW_BITS.test(value)) acceptable = false;
        else if (value !== true) clientMaxWindowBits = Number(value);
      } else {
        acceptable = false;
      }
    }
    if (!acceptable) continue;
    if (serverMaxWindowBits !== null && serverMaxWindowBits < serverWindow) continue;
    let response = "permessage-deflate";
    if (serverNoContext) response += "; server_no_context_takeover";
    if (clientNoContext) response += "; client_no_context_takeover";
    // §7.1.2.1: an offer with server_max_window_bits is answered with it.
    if (serverMaxWindowBits !== null) response += `; server_max_window_bits=${serverWindow}`;
    return {
      serverNoContextTakeover: serverNoContext,
      clientNoContextTakeover: clientNoContext,
      serverMaxWindowBits: serverWindow,
      clientMaxWindowBits,
      response,
    };
  }
  return null;
}
