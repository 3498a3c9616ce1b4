/**
 * keepwire: HTTP/1.x persistent connections done right, on Deno, Bun and Node.
 *
 * @module
 */
export * from "./lib/codec/errors.ts";
export type * from "./lib/codec/events.ts";
