import { MalformedUpstream } from '../../stream/interface.ts';

/** One server-sent event as it came over the wire: its raw text (for pass-through) and its `data`. */
export interface SseEvent {
  raw: string;
  data: string;
}

/** Longest event an upstream may send (an event-stream frame's limit too); past it the stream is malformed. */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

/** The end of an event: a blank line. At most 4 characters, so a chunk's last 3 may start one the next chunk ends. */
const EVENT_END = /\r?\n\r?\n/g;

/**
 * Splits a server-sent-event stream into events as bytes arrive (events end with a blank line). Each character is
 * scanned once, however the event is chunked, and an event past `MAX_SSE_EVENT_CHARS` throws `MalformedUpstream`:
 * an upstream that never ends its event cannot make the gateway buffer and rescan without bound.
 */
export class SseSplitter {
  private pending = '';
  /** Where the search for the next event end resumes in `pending`. */
  private scanFrom = 0;
  /** One decoder per stream: it holds the bytes of a character split across chunks. */
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): SseEvent[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    EVENT_END.lastIndex = this.scanFrom;
    for (let end = EVENT_END.exec(this.pending); end; end = EVENT_END.exec(this.pending)) {
      const raw = this.pending.slice(start, EVENT_END.lastIndex);
      events.push({ raw, data: dataOf(raw) });
      start = EVENT_END.lastIndex;
    }
    if (start > 0) this.pending = this.pending.slice(start);
    if (this.pending.length > MAX_SSE_EVENT_CHARS) {
      throw new MalformedUpstream(`a stream event longer than ${MAX_SSE_EVENT_CHARS} characters`);
    }
    this.scanFrom = Math.max(0, this.pending.length - 3);
    return events;
  }

  /** What is left at the end of the stream: a last event without its blank line, if any. */
  flush(): SseEvent[] {
    const raw = this.pending + this.decoder.decode();
    this.pending = '';
    this.scanFrom = 0;
    return raw.trim() ? [{ raw, data: dataOf(raw) }] : [];
  }
}

function dataOf(raw: string): string {
  return raw
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.charAt(5) === ' ' ? 6 : 5))
    .join('\n');
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const DATA_FIELD = [100, 97, 116, 97, 58]; // "data:"
const DONE = [91, 68, 79, 78, 69, 93]; // "[DONE]"

/**
 * One event of `SseByteSplitter.push`: bytes `start` to `end` of its `bytes`, blank line included. When the event
 * is a single `data:` line, `dataStart`/`dataEnd` bound its data; otherwise both are -1.
 */
export interface SseSpan {
  start: number;
  end: number;
  dataStart: number;
  dataEnd: number;
}

/** What one push found: whole events as spans of `bytes` (valid until the next push) and whether `bytes` is the chunk itself. */
export interface SseSpans {
  bytes: Uint8Array;
  spans: SseSpan[];
  /** True when `bytes` is the pushed chunk, every byte of it in an event (nothing held back). */
  wholeChunk: boolean;
}

/**
 * Splits a server-sent-event stream into events on its bytes, for a pass-through that hands the upstream's bytes on
 * as they came. Events end with a blank line (`\r?\n\r?\n`), whose bytes never occur inside a UTF-8 character, so no
 * text is decoded to find them; `dataOf` decodes an event's data when the reader needs it. An event held back across
 * chunks grows a buffer (each byte copied a bounded number of times), and one past `MAX_SSE_EVENT_CHARS` bytes throws
 * `MalformedUpstream`.
 */
export class SseByteSplitter {
  private held = new Uint8Array(0);
  private heldLength = 0;
  /** Where the search for the next event end resumes in the held bytes. */
  private scanFrom = 0;
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): SseSpans {
    const bytes = this.heldLength === 0 ? chunk : this.hold(chunk);
    const spans: SseSpan[] = [];
    let start = 0;
    let at = this.heldLength === 0 ? 0 : this.scanFrom;
    let scanFrom = -1;
    for (let lf = bytes.indexOf(LF, at); lf !== -1; lf = bytes.indexOf(LF, at)) {
      const next = bytes[lf + 1];
      const end = next === LF ? lf + 2 : next === CR && bytes[lf + 2] === LF ? lf + 3 : -1;
      if (end === -1) {
        // The blank line may be completed by the next chunk: look at this line end again then.
        if (lf + 1 === bytes.length || (next === CR && lf + 2 === bytes.length)) {
          scanFrom = lf;
          break;
        }
        at = lf + 1;
        continue;
      }
      spans.push(spanOf(bytes, start, lf, end));
      start = end;
      at = end;
    }
    if (scanFrom === -1) scanFrom = bytes.length;
    this.keep(bytes, start, scanFrom - start);
    return { bytes, spans, wholeChunk: bytes === chunk && start === chunk.length };
  }

  /** What is left at the end of the stream: a last event without its blank line, if any (blank bytes count as none). */
  flush(): { bytes: Uint8Array; span: SseSpan } | null {
    const bytes = this.held.slice(0, this.heldLength);
    this.heldLength = 0;
    this.scanFrom = 0;
    if (!this.decoder.decode(bytes).trim()) return null;
    return { bytes, span: { start: 0, end: bytes.length, dataStart: -1, dataEnd: -1 } };
  }

  /** The data of an event, decoded (the `data:` lines joined, as `SseSplitter` reads them). */
  dataOf(bytes: Uint8Array, span: SseSpan): string {
    if (span.dataStart !== -1) return this.decoder.decode(bytes.subarray(span.dataStart, span.dataEnd));
    return dataOf(this.decoder.decode(bytes.subarray(span.start, span.end)));
  }

  /** Appends a chunk to the held bytes; returns the held bytes so far. */
  private hold(chunk: Uint8Array): Uint8Array {
    const length = this.heldLength + chunk.length;
    if (length > this.held.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.held.length));
      grown.set(this.held.subarray(0, this.heldLength));
      this.held = grown;
    }
    this.held.set(chunk, this.heldLength);
    this.heldLength = length;
    return this.held.subarray(0, length);
  }

  /**
   * Holds `bytes[start..]` (an event not yet ended) for the next push; the scan resumes `scanAt` bytes into it. The
   * rest goes to a new buffer whenever events were taken, so the spans this push returns stay intact.
   */
  private keep(bytes: Uint8Array, start: number, scanAt: number): void {
    const rest = bytes.length - start;
    if (rest > MAX_SSE_EVENT_CHARS) throw new MalformedUpstream(`a stream event longer than ${MAX_SSE_EVENT_CHARS} bytes`);
    if (start > 0 || this.heldLength === 0) this.held = rest > 0 ? bytes.slice(start) : new Uint8Array(0);
    this.heldLength = rest;
    this.scanFrom = scanAt;
  }
}

/** The span of an event `bytes[start, end)` whose first line ends at `lf`; its data bounds when it is one `data:` line. */
function spanOf(bytes: Uint8Array, start: number, lf: number, end: number): SseSpan {
  if (bytes.indexOf(LF, start) !== lf || !startsWith(bytes, start, DATA_FIELD)) return { start, end, dataStart: -1, dataEnd: -1 };
  const dataStart = bytes[start + 5] === SPACE ? start + 6 : start + 5;
  const dataEnd = bytes[lf - 1] === CR && lf - 1 >= dataStart ? lf - 1 : lf;
  return { start, end, dataStart, dataEnd };
}

function startsWith(bytes: Uint8Array, at: number, prefix: number[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** True when a one-line event's data is `[DONE]`, read on its bytes. */
export function isDoneSpan(bytes: Uint8Array, span: SseSpan): boolean {
  return span.dataEnd - span.dataStart === DONE.length && startsWith(bytes, span.dataStart, DONE);
}
