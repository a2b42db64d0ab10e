import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchedCounter, Memo } from './series.ts';

const config = { name: 'c_total', help: 'c', labelNames: ['a', 'b'] as const };

describe('BatchedCounter', () => {
  it('exposes what a plain counter fed the same increments exposes, on every scrape', async () => {
    const batched = new Registry();
    const plain = new Registry();
    const counter = new BatchedCounter({ ...config, registers: [batched] });
    const reference = new Counter({ ...config, registers: [plain] });
    const add = (a: string, b: string, value?: number): void => {
      counter.inc(`${a}\0${b}`, () => ({ a, b }), value);
      reference.inc({ a, b }, value ?? 1);
    };
    add('x', '1');
    add('y', '2', 2.5);
    add('x', '1', 3);
    expect(await batched.metrics()).toBe(await plain.metrics());
    add('x', '1');
    add('z', '3', 7);
    expect(await batched.metrics()).toBe(await plain.metrics());
    expect(await batched.metrics()).toContain('c_total{a="x",b="1"} 5');
  });

  it('exposes a series whose only increments were 0, as a plain counter does', async () => {
    const batched = new Registry();
    const plain = new Registry();
    const counter = new BatchedCounter({ ...config, registers: [batched] });
    const reference = new Counter({ ...config, registers: [plain] });
    counter.inc('k', () => ({ a: 'x', b: '1' }), 0);
    reference.inc({ a: 'x', b: '1' }, 0);
    expect(await batched.metrics()).toBe(await plain.metrics());
    expect(await batched.metrics()).toContain('c_total{a="x",b="1"} 0');
  });

  it('drops what was counted before a reset of its registry, scraped or not, as a plain counter does', async () => {
    const batched = new Registry();
    const plain = new Registry();
    const counter = new BatchedCounter({ ...config, registers: [batched] });
    const reference = new Counter({ ...config, registers: [plain] });
    const add = (a: string, value: number): void => {
      counter.inc(a, () => ({ a, b: '1' }), value);
      reference.inc({ a, b: '1' }, value);
    };
    add('x', 2);
    await batched.metrics();
    add('x', 3);
    add('y', 4);
    batched.resetMetrics();
    plain.resetMetrics();
    expect(await batched.metrics()).toBe(await plain.metrics());
    add('y', 1);
    expect(await batched.metrics()).toBe(await plain.metrics());
    expect(await batched.metrics()).toContain('c_total{a="y",b="1"} 1');
  });

  it('ignores a value that is not a finite number >= 0 instead of throwing', async () => {
    const registry = new Registry();
    const counter = new BatchedCounter({ ...config, registers: [registry] });
    counter.inc('k', () => ({ a: 'x', b: '1' }), Number.NaN);
    counter.inc('k', () => ({ a: 'x', b: '1' }), Number.POSITIVE_INFINITY);
    counter.inc('k', () => ({ a: 'x', b: '1' }), -1);
    counter.inc('k', () => ({ a: 'x', b: '1' }), 2);
    expect(await registry.metrics()).toContain('c_total{a="x",b="1"} 2');
  });
});

describe('Memo', () => {
  it('builds a value once per key', () => {
    const memo = new Memo<{ key: string }>();
    let built = 0;
    const build = (key: string) => () => {
      built++;
      return { key };
    };
    const first = memo.get('a', build('a'));
    expect(memo.get('a', build('a'))).toBe(first);
    expect(memo.get('b', build('b'))).toEqual({ key: 'b' });
    expect(built).toBe(2);
  });
});
