import { describe, expect, it } from 'vitest';
import { p95WithBounds } from './quantile.ts';

describe('P95 with order-statistic bounds', () => {
  it('gives the nearest-rank P95 between its bounds', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => i + 1);
    const e = p95WithBounds(values)!;
    expect(e.p95).toBe(950);
    expect(e.lower).toBeGreaterThanOrEqual(935);
    expect(e.lower).toBeLessThan(950);
    expect(e.upper).toBeGreaterThan(950);
    expect(e.upper).toBeLessThanOrEqual(965);
  });

  it('keeps the lower bound of a small window clear of two outliers', () => {
    const values = [...Array.from({ length: 24 }, () => 100), 900, 1_000];
    const e = p95WithBounds(values)!;
    expect(e.p95).toBe(900);
    expect(e.lower).toBe(100);
    expect(p95WithBounds([])).toBeNull();
    expect(p95WithBounds([7])).toEqual({ p95: 7, lower: 7, upper: 7 });
  });
});
