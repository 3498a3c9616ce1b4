/**
 * A `Response` whose body arrived whole, for Node, where `new Response(bytes)`
 * costs 20-60 µs (it builds a WHATWG stream and a transferable wrapper)
 * against ~2 µs for `new Response(null)`: more than the rest of a keep-alive
 * request put together. Measured with scripts/bench_client.ts.
 *
 * It is a real `Response` (the subclass is constructed with a null body and
 * the real status and headers) whose body methods answer from the bytes.
 * The `body` stream is built only when asked for; from then on everything
 * goes to a native `Response` over the same bytes. Deno and Bun build
 * responses cheaply: the client uses this class only with
 * `lightFetchObjects`, which the Node entry points turn on.
 *
 * @module
 */

import { NativeResponse } from "./_native.ts";

const decoder = new TextDecoder();

function alreadyUsed(): Promise<never> {
  return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
}

/** A Response over bytes that are all there. */
export class BufferedResponse extends NativeResponse {
  #bytes: Uint8Array;
  #init: ResponseInit;
  #used = false;
  #native: Response | undefined;

  constructor(bytes: Uint8Array, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
    this.#init = init;
  }

  // The stream view of the body, once asked for, owns it: a body read as a
  // stream after text() would be empty, as a disturbed stream is.
  #real(): Response {
    return this.#native ??= new NativeResponse(
      this.#used ? null : this.#bytes as Uint8Array<ArrayBuffer>,
      this.#init,
    );
  }

  #take(): Uint8Array | null {
    if (this.#used) return null;
    this.#used = true;
    return this.#bytes;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#real().body;
  }

  override get bodyUsed(): boolean {
    return this.#native !== undefined ? this.#native.bodyUsed : this.#used;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#native !== undefined) return this.#native.arrayBuffer();
    const bytes = this.#take();
    return bytes === null ? alreadyUsed() : Promise.resolve(bytes.slice().buffer);
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#native !== undefined) return this.#native.bytes();
    const bytes = this.#take();
    return bytes === null ? alreadyUsed() : Promise.resolve(bytes.slice());
  }

  override text(): Promise<string> {
    if (this.#native !== undefined) return this.#native.text();
    const bytes = this.#take();
    return bytes === null ? alreadyUsed() : Promise.resolve(decoder.decode(bytes));
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override blob(): Promise<Blob> {
    if (this.#native !== undefined) return this.#native.blob();
    const bytes = this.#take();
    if (bytes === null) return alreadyUsed();
    const type = this.headers.get("content-type") ?? "";
    return Promise.resolve(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  }

  override formData(): Promise<FormData> {
    return this.#real().formData();
  }

  override clone(): Response {
    if (this.#native !== undefined) return this.#native.clone();
    if (this.#used) throw new TypeError("Response.clone: Body has already been consumed");
    const copy = new BufferedResponse(this.#bytes, this.#init);
    Object.defineProperty(copy, "url", { value: this.url });
    if (this.redirected) Object.defineProperty(copy, "redirected", { value: true });
    return copy;
  }
}
