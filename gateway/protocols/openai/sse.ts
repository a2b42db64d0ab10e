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
