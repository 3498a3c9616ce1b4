/**
 * The runtime's own Fetch classes, captured when keepwire is first loaded:
 * the light server globals replace `globalThis.Request`, `Response` and
 * `fetch`, and both adapters here must keep reaching the originals.
 *
 * @module
 */

/** The runtime's `Request`. */
export const NativeRequest: typeof Request = globalThis.Request;
/** The runtime's `Response`. */
export const NativeResponse: typeof Response = globalThis.Response;
/** The runtime's `fetch` (absent on some embedders). */
export const nativeFetch: typeof fetch = globalThis.fetch;
