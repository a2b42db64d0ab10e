import { describe, expect, it, vi } from 'vitest';
import { nodeBuffer, utf8 } from './utf8.ts';

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

describe('nodeBuffer', () => {
  it("is Node's Buffer here, and nothing where Buffer has no pool (Workers with nodejs_compat)", async () => {
    expect(nodeBuffer).toBe(Buffer);
    vi.stubGlobal(
      'Buffer',
      Object.assign(function PoolLess() {}, { poolSize: 0 }),
    );
    vi.resetModules();
    try {
      const elsewhere = await import('./utf8.ts');
      expect(elsewhere.nodeBuffer).toBeNull();
      expect(Array.from(elsewhere.utf8('é✓'))).toEqual(Array.from(new TextEncoder().encode('é✓')));
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
