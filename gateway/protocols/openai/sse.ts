/** One server-sent event as it came over the wire: its raw text (for pass-through) and its `data`. */
export interface SseEvent {
  raw: string;
  data: string;
}

/** Splits a server-sent-event stream into events as bytes arrive (events end with a blank line). */
export class SseSplitter {
  private pending = '';
  /** One decoder per stream: it holds the bytes of a character split across chunks. */
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): SseEvent[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.pending);
      if (!match) break;
      const raw = this.pending.slice(0, match.index + match[0].length);
      this.pending = this.pending.slice(match.index + match[0].length);
      events.push({ raw, data: dataOf(raw) });
    }
    return events;
  }

  /** What is left at the end of the stream: a last event without its blank line, if any. */
  flush(): SseEvent[] {
    const raw = this.pending + this.decoder.decode();
    this.pending = '';
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
