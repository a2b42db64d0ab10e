import { describe, expect, it } from 'vitest';
import { MalformedUpstream } from '../../stream/interface.ts';
import { MAX_SSE_EVENT_CHARS, SseSplitter } from './sse.ts';

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
