import { describe, expect, it } from 'vitest';
import { utf8 } from './utf8.ts';

describe('utf8', () => {
  it('gives the same bytes as TextEncoder, also for non-ASCII and lone surrogates', () => {
    const encoder = new TextEncoder();
    for (const text of ['', 'hi', 'é ✓ 😀', 'x'.repeat(5_000), 'a\ud800b']) {
      expect(Array.from(utf8(text))).toEqual(Array.from(encoder.encode(text)));
    }
  });

  it('gives bytes that stay as they are when the next text is encoded', () => {
    const first = utf8('first');
    utf8('second');
    expect(new TextDecoder().decode(first)).toBe('first');
  });
});
