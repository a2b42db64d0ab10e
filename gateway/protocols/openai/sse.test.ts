import { describe, expect, it } from 'vitest';
import { MalformedUpstream } from '../../stream/interface.ts';
import { isDoneSpan, MAX_SSE_EVENT_CHARS, SseByteSplitter, SseSplitter, type SseSpans } from './sse.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('SseSplitter', () => {
  it('keeps characters split across chunks whole, with several streams interleaved', () => {
    const a = bytes('data: {"c":"ワンピース"}\n\n');
    const b = bytes('data: {"c":"ベルセルク"}\r\n\r\n');
    const [sa, sb] = [new SseSplitter(), new SseSplitter()];
    const cutA = 15;
    const cutB = 16;
    const events = [
      ...sa.push(a.subarray(0, cutA)),
      ...sb.push(b.subarray(0, cutB)),
      ...sa.push(a.subarray(cutA)),
      ...sb.push(b.subarray(cutB)),
    ];
    expect(events.map((e) => e.data)).toEqual(['{"c":"ワンピース"}', '{"c":"ベルセルク"}']);
    expect(events[1]!.raw).toBe('data: {"c":"ベルセルク"}\r\n\r\n');
  });

  it('hands over a last event that lacks its blank line at the end of the stream', () => {
    const s = new SseSplitter();
    expect(s.push(bytes('data: [DONE]'))).toEqual([]);
    expect(s.flush()).toEqual([{ raw: 'data: [DONE]', data: '[DONE]' }]);
    expect(s.flush()).toEqual([]);
  });

  it('finds every event end, whatever the chunking: one byte at a time, and ends split across chunks', () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\n: comment\ndata: {"c":3}\n\r\ndata: [DONE]\n\n';
    const whole = new SseSplitter().push(bytes(text));
    expect(whole.map((e) => e.data)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '[DONE]']);
    const s = new SseSplitter();
    const byByte = [...bytes(text)].flatMap((b) => s.push(Uint8Array.of(b)));
    expect(byByte).toEqual(whole);
    expect(s.flush()).toEqual([]);
  });

  it(`refuses an event that grows past ${MAX_SSE_EVENT_CHARS} characters without ending, as a malformed upstream`, () => {
    const s = new SseSplitter();
    const piece = bytes(`data: "${'x'.repeat(1 << 20)}`);
    expect(s.push(piece)).toEqual([]);
    expect(() => {
      for (let i = 0; i < 16; i++) s.push(piece);
    }).toThrow(MalformedUpstream);
  });
});

/** Each event of a push as its bytes (decoded, to compare) and its data. */
const eventsOf = (s: SseByteSplitter, { bytes, spans }: SseSpans) =>
  spans.map((span) => ({ raw: new TextDecoder().decode(bytes.subarray(span.start, span.end)), data: s.dataOf(bytes, span) }));

describe('SseByteSplitter', () => {
  const text =
    'data: {"a":"ワンピース"}\n\ndata:{"b":2}\r\n\r\n: comment\ndata: {"c":3}\n\r\nevent: x\ndata: {"d":\ndata: 4}\r\n\ndata: [DONE]\n\n';

  it('finds every event and its data on the bytes, whatever the chunking: one byte at a time, characters and ends split', () => {
    const s = new SseByteSplitter();
    const whole = eventsOf(s, s.push(bytes(text)));
    expect(whole).toEqual(new SseSplitter().push(bytes(text)));
    const byByte = new SseByteSplitter();
    expect([...bytes(text)].flatMap((b) => eventsOf(byByte, byByte.push(Uint8Array.of(b))))).toEqual(whole);
    expect(byByte.flush()).toBeNull();
  });

  it('hands the chunk itself on when it ends at an event end, and views of it otherwise', () => {
    const s = new SseByteSplitter();
    const chunk = bytes('data: {"a":1}\n\ndata: [DONE]\n\n');
    const pushed = s.push(chunk);
    expect(pushed.bytes).toBe(chunk);
    expect(pushed.wholeChunk).toBe(true);
    expect(isDoneSpan(pushed.bytes, pushed.spans[1]!)).toBe(true);
    expect(isDoneSpan(pushed.bytes, pushed.spans[0]!)).toBe(false);
    const split = s.push(bytes('data: {"b":2}\n\ndata: {"c"'));
    expect(split.wholeChunk).toBe(false);
    expect(eventsOf(s, split).map((e) => e.data)).toEqual(['{"b":2}']);
    // The held rest is copied: the spans of the push before stay intact while the next one completes it.
    const rest = s.push(bytes(':3}\n\n'));
    expect(eventsOf(s, split).map((e) => e.data)).toEqual(['{"b":2}']);
    expect(eventsOf(s, rest)).toEqual([{ raw: 'data: {"c":3}\n\n', data: '{"c":3}' }]);
  });

  it('hands over a last event that lacks its blank line at the end of the stream; blank bytes are none', () => {
    const s = new SseByteSplitter();
    expect(s.push(bytes('data: [DONE]')).spans).toEqual([]);
    const rest = s.flush()!;
    expect(new TextDecoder().decode(rest.bytes)).toBe('data: [DONE]');
    expect(s.dataOf(rest.bytes, rest.span)).toBe('[DONE]');
    expect(s.flush()).toBeNull();
    s.push(bytes('\n'));
    expect(s.flush()).toBeNull();
  });

  it(`refuses an event that grows past ${MAX_SSE_EVENT_CHARS} bytes without ending, as a malformed upstream`, () => {
    const s = new SseByteSplitter();
    const piece = bytes(`data: "${'x'.repeat(1 << 20)}`);
    expect(s.push(piece).spans).toEqual([]);
    expect(() => {
      for (let i = 0; i < 16; i++) s.push(piece);
    }).toThrow(MalformedUpstream);
  });
});
