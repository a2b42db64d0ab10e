import { describe, expect, it } from 'vitest';
import { createRng } from '../../../simulator/rng.ts';
import { randomEventData } from './pass-through-harness.ts';
import { mayBeMetered, METERED, meteredStarts } from './pass-through.ts';

const encoder = new TextEncoder();
const check = (data: string): { bytes: boolean; text: boolean } => {
  // Some bytes before and after the data, as in a chunk holding several events.
  const bytes = encoder.encode(`data: ${data}\n\n`);
  return { bytes: mayBeMetered(bytes, 6, bytes.length - 2), text: METERED.test(data) };
};

describe('mayBeMetered', () => {
  it('is false for plain content chunks and true where the pattern matches', () => {
    const plain = '{"id":"c","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}],"usage":null}';
    expect(check(plain)).toEqual({ bytes: false, text: false });
    for (const data of [
      '{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":null}',
      '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}',
      '{"choices":[],"usage" :\t{"prompt_tokens":3}}',
      '{"error":{"message":"overloaded"}}',
      '{"error" : null}',
      '{"choices":[{"finish_reason" : "length"}]}',
    ]) {
      expect(check(data), data).toEqual({ bytes: true, text: true });
    }
  });

  it('never says no where the pattern matches, on random events (non-ASCII spaces answer "maybe")', () => {
    const rng = createRng(7);
    let matched = 0;
    for (let n = 0; n < 20_000; n++) {
      const data = randomEventData(rng);
      const { bytes, text } = check(data);
      if (text) {
        matched++;
        expect(bytes, JSON.stringify(data)).toBe(true);
      }
    }
    // The draw must reach the pattern often enough for this to mean something.
    expect(matched).toBeGreaterThan(250);
  });
});

describe('meteredStarts', () => {
  it('finds where usage, a finish reason or an error starts, and not the nulls of every chunk', () => {
    const chunk = encoder.encode(
      'data: {"choices":[{"delta":{"content":"x"},"finish_reason":null}],"usage":null}\n\n' +
        'data: {"choices":[],"usage" :\t{"a":1}}\n\ndata: {"finish_reason":"stop"}\n\ndata: {"error":1}\n\n',
    );
    const text = new TextDecoder().decode(chunk);
    expect(meteredStarts(chunk)).toEqual([text.indexOf('"usage" :'), text.indexOf('"finish_reason":"'), text.indexOf('"error"')]);
    expect(meteredStarts(encoder.encode('data: {"usage":null,"finish_reason":null,"content":"error"}\n\n'))).toEqual([]);
  });

  it('puts a start inside every event of a chunk whose data the pattern matches, on random chunks', () => {
    const rng = createRng(11);
    let matched = 0;
    for (let n = 0; n < 5_000; n++) {
      const datas = Array.from({ length: 1 + rng.int(6) }, () => randomEventData(rng));
      const events = datas.map((data) => encoder.encode(`data: ${data}\n\n`));
      const starts = meteredStarts(Buffer.concat(events));
      expect(starts).not.toBeNull();
      let at = 0;
      datas.forEach((data, i) => {
        const from = at + 6;
        const to = at + events[i]!.length - 2;
        at += events[i]!.length;
        if (!METERED.test(data)) return;
        matched++;
        expect(
          starts!.some((s) => s >= from && s < to),
          JSON.stringify(data),
        ).toBe(true);
      });
    }
    expect(matched).toBeGreaterThan(250);
  });
});
