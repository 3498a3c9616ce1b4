/**
 * One HTTP/1.x message parser for both roles: the head reader, then the
 * body reader, message after message on one connection's bytes. The
 * request and response parsers are thin roles on top: each names its
 * start line and judges a complete head (how its body is framed, what
 * event to emit); everything else is here, once.
 *
 * Theory of operation: `push()` only appends to the buffer; `next()` runs
 * the phases as far as the buffered bytes allow and returns one event.
 * Phases: `idle` (skipping stray CRLFs between messages), `head` (the
 * {@linkcode HeadReader}), `body` (the {@linkcode BodyReader}), and `done`
 * after a close-delimited body, when nothing can follow. A head is
 * consumed from the buffer only once its event is returned, so its strings
 * are cut from bytes in place: when a read holds whole requests (the
 * common case) nothing is copied at all.
 *
 * @module
 */

import type { Framing, RequestData, RequestEnd } from "./events.ts";
import type { ByteBuffer } from "./_byte_buffer.ts";
import { BodyReader, END_OF_BODY } from "./_body_reader.ts";
import type { ChunkedLimits } from "./_chunked_reader.ts";
import type { HeadFields } from "./_head_fields.ts";
import { type HeadLimits, HeadReader, type StartLine } from "./_head_reader.ts";
import { ReaderShell } from "./_shell.ts";
import { CR, LF } from "./_syntax.ts";

// `empty`: a head whose message has no body was returned; its end is next.
type Phase = "idle" | "head" | "empty" | "body" | "done";

/**
 * The parser both roles share; `Head` is what a complete head becomes.
 *
 * @internal The two parsers extend it; it is not an API of its own.
 */
export abstract class MessageParser<Head> extends ReaderShell<Head | RequestData | RequestEnd> {
  #phase: Phase = "idle";
  #head: HeadReader;
  #body: BodyReader;

  /**
   * @param line the role's start line
   * @param head limits of the head
   * @param body limits of the body
   */
  constructor(line: StartLine, head: HeadLimits, body: ChunkedLimits) {
    super();
    this.#head = new HeadReader(line, head);
    this.#body = new BodyReader(body);
  }

  /**
   * `"idle"` between messages (nothing but skipped CRLFs seen), `"head"`
   * while a head is partly buffered, `"body"` from the head event until the
   * end event, `"closed"` after `finish()` once drained (or after a
   * close-delimited body), `"error"` after a {@linkcode ProtocolError}.
   */
  get state(): "idle" | "head" | "body" | "closed" | "error" {
    if (this.failed) return "error";
    const phase = this.#phase;
    if (phase === "head" || phase === "body") return phase;
    if (phase === "empty") return "body";
    if (phase === "done") return "closed";
    // push() never parses, so look at what is buffered: any byte besides
    // the CR/LF of stray empty lines starts a head.
    const { bytes, start, end } = this.input;
    for (let i = start; i < end; i++) {
      if (bytes[i] !== CR && bytes[i] !== LF) return "head";
    }
    return this.ended && start === end ? "closed" : "idle";
  }

  /** The first byte of a head has arrived; a role may refuse it. */
  protected beginHead(): void {}

  /**
   * The head is complete: judge `fields` (and the role's start line),
   * call {@linkcode startBody} unless the head has no message body to
   * follow (an interim response), and return the event.
   */
  protected abstract completeHead(fields: HeadFields): Head;

  /** From {@linkcode completeHead}: the message's body is framed as `kind`. */
  protected startBody(kind: Framing["kind"], length: number): void {
    // Most requests have no body: their end needs no body reader.
    if (kind === "none") {
      this.#phase = "empty";
      return;
    }
    this.#body.start(kind, length);
    this.#phase = "body";
  }

  /**
   * From {@linkcode completeHead}: this head is the last HTTP on the
   * connection (a `101` switching protocols, RFC 9110 §15.2.2). Nothing
   * more is parsed; the bytes after the head stay buffered for
   * `takeBuffered()`, as they belong to the new protocol.
   */
  protected endMessages(): void {
    this.#phase = "done";
  }

  protected read(buffer: ByteBuffer, eof: boolean): Head | RequestData | RequestEnd | null {
    const phase = this.#phase;
    if (phase === "empty") {
      this.#phase = "idle";
      return END_OF_BODY;
    }
    if (phase === "body") {
      const event = this.#body.read(buffer, eof);
      if (event !== null && event.type === "end") {
        this.#phase = this.#body.kind === "close" ? "done" : "idle";
      }
      return event;
    }
    if (phase === "idle") {
      if (!this.#head.skipEmptyLines(buffer, eof)) return null;
      this.beginHead();
      this.#phase = "head";
    } else if (phase === "done") return null;
    const head = this.#head;
    const headEnd = head.read(buffer, eof);
    if (headEnd === -1) return null;
    const event = this.completeHead(head.fields);
    buffer.advance(headEnd - buffer.start);
    head.reset();
    if (this.#phase === "head") this.#phase = "idle";
    return event;
  }
}
