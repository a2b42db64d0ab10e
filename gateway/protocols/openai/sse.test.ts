import { describe, expect, it } from 'vitest';
import { SseSplitter } from './sse.ts';

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
});
