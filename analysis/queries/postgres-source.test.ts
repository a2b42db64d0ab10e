import { describe, expect, it } from 'vitest';
import { nearestRank } from '../stats/nearest-rank.ts';
import { PERCENTILES } from './quantiles.ts';

describe('nearest rank in integers', () => {
  it('is ceil(p n / 100) for every group size up to 20,000, where floating-point p / 100 * n can be off by one', () => {
    const wrong: [number, number][] = [];
    for (const p of PERCENTILES) {
      for (let n = 1; n <= 20_000; n++) {
        const rank = nearestRank(p, n);
        // The smallest rank r with r / n >= p / 100, checked in integers.
        if (!(100 * rank >= p * n && 100 * (rank - 1) < p * n)) wrong.push([p, n]);
      }
    }
    expect(wrong).toEqual([]);
    expect(nearestRank(95, 20)).toBe(19);
    expect(nearestRank(99, 1)).toBe(1);
    expect(nearestRank(50, 5)).toBe(3);
  });
});
