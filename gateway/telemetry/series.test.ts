import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchedCounter, BatchedHistogram } from './series.ts';

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

describe('BatchedHistogram', () => {
  const histogramConfig = { name: 'h_seconds', help: 'h', labelNames: ['a', 'b'] as const, buckets: [0.001, 0.01, 0.1, 1] };
  const pair = () => {
    const batched = new Registry();
    const plain = new Registry();
    const histogram = new BatchedHistogram({ ...histogramConfig, registers: [batched] });
    const reference = new Histogram({ ...histogramConfig, registers: [plain] });
    const observe = (a: string, b: string | null, value: number): void => {
      histogram.observe(`${a}\0${b}`, () => ({ a, b: b as string }), value);
      reference.observe({ a, b: b as string }, value);
    };
    return { batched, plain, observe };
  };

  it('exposes what a plain histogram fed the same values exposes, on every scrape', async () => {
    const { batched, plain, observe } = pair();
    // On a bound, between bounds, above the last bound (only in +Inf), zero, and values whose sum rounds.
    for (const v of [0.001, 0.0005, 0.05, 0.1, 0.3, 2.5, 0, 0.1, 0.2, 0.7]) observe('x', '1', v);
    observe('y', null, 0.02);
    expect(await batched.metrics()).toBe(await plain.metrics());
    for (const v of [0.1, 0.2, 0.30000000000000004, 5]) observe('x', '1', v);
    observe('z', '3', 0.004);
    expect(await batched.metrics()).toBe(await plain.metrics());
    expect(await batched.metrics()).toContain('h_seconds_bucket{le="0.1",a="x",b="1"} 7');
    expect(await batched.metrics()).toContain('h_seconds_count{a="x",b="1"} 14');
    // A scrape with nothing new reads the same again.
    expect(await batched.metrics()).toBe(await plain.metrics());
  });

  it('drops what was observed before a reset of its registry, scraped or not, as a plain histogram does', async () => {
    const { batched, plain, observe } = pair();
    observe('x', '1', 0.05);
    await batched.metrics();
    await plain.metrics();
    observe('x', '1', 0.5);
    observe('y', '2', 0.005);
    batched.resetMetrics();
    plain.resetMetrics();
    expect(await batched.metrics()).toBe(await plain.metrics());
    observe('y', '2', 0.05);
    expect(await batched.metrics()).toBe(await plain.metrics());
    expect(await batched.metrics()).toContain('h_seconds_count{a="y",b="2"} 1');
  });

  it('ignores a value that is not a finite number instead of throwing', async () => {
    const registry = new Registry();
    const histogram = new BatchedHistogram({ ...histogramConfig, registers: [registry] });
    histogram.observe('k', () => ({ a: 'x', b: '1' }), Number.NaN);
    histogram.observe('k', () => ({ a: 'x', b: '1' }), Number.POSITIVE_INFINITY);
    histogram.observe('k', () => ({ a: 'x', b: '1' }), 0.5);
    expect(await registry.metrics()).toContain('h_seconds_count{a="x",b="1"} 1');
    expect(await registry.metrics()).toContain('h_seconds_sum{a="x",b="1"} 0.5');
  });
});
