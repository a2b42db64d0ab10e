import { describe, expect, it } from 'vitest';
import { withFields } from './fields.ts';

describe('withFields', () => {
  it('gives what a spread gives: base fields in order, replaced in place, new ones after', () => {
    const base = { model: 'a', messages: [1], stream: true };
    const out = withFields(base, { model: 'b', max_tokens: 5 });
    expect(out).toEqual({ ...base, model: 'b', max_tokens: 5 });
    expect(Object.keys(out)).toEqual(['model', 'messages', 'stream', 'max_tokens']);
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...base, ...{ model: 'b', max_tokens: 5 } }));
  });

  it('leaves both arguments untouched and shares nested values, as a spread does', () => {
    const base = { headers: { a: '1' }, n: 1 };
    const extra = { n: 2 };
    const out = withFields(base, extra);
    expect(base).toEqual({ headers: { a: '1' }, n: 1 });
    expect(extra).toEqual({ n: 2 });
    expect(out.headers).toBe(base.headers);
    out.n = 3;
    expect(base.n).toBe(1);
  });

  it('copies only own enumerable fields of the base', () => {
    const proto = { inherited: true };
    const base = Object.create(proto, { own: { value: 1, enumerable: true }, hidden: { value: 2, enumerable: false } });
    expect(withFields(base as { own: number }, { x: 1 })).toEqual({ own: 1, x: 1 });
  });
});
