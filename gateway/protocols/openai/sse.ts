const decoder = new TextDecoder();

/** One server-sent event as it came over the wire: its raw text (for pass-through) and its `data`. */
export interface SseEvent {
  raw: string;
  data: string;
}

/** Splits a server-sent-event stream into events as bytes arrive (events end with a blank line). */
export class SseSplitter {
  private pending = '';

  push(chunk: Uint8Array): SseEvent[] {
    this.pending += decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.pending);
      if (!match) break;
      const raw = this.pending.slice(0, match.index + match[0].length);
      this.pending = this.pending.slice(match.index + match[0].length);
      const data = raw
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.charAt(5) === ' ' ? 6 : 5))
        .join('\n');
      events.push({ raw, data });
    }
    return events;
  }
}
