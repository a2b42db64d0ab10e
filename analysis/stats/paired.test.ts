import { describe, expect, it } from 'vitest';
import { pairedTTest } from './paired.ts';

describe('pairedTTest', () => {
  it('matches the closed form of Student t with 2 degrees of freedom: p = 1 - |t| / sqrt(2 + t^2)', () => {
    const diffs = [0.1, 0.3, 0.2];
    const r = pairedTTest(diffs);
    const se = 0.1 / Math.sqrt(3);
    const t = 0.2 / se;
    expect(r.n).toBe(3);
    expect(r.df).toBe(2);
    expect(r.diff).toBeCloseTo(0.2, 12);
    expect(r.se).toBeCloseTo(se, 12);
    expect(r.t).toBeCloseTo(t, 9);
    expect(r.p!).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 9);
    // t quantile at 0.975 with 2 df: sqrt(2) * q / sqrt(1 - q^2) with q = 2 * 0.975 - 1.
    const q = 0.95;
    const half = ((Math.sqrt(2) * q) / Math.sqrt(1 - q * q)) * se;
    expect(r.ci![0]).toBeCloseTo(0.2 - half, 9);
    expect(r.ci![1]).toBeCloseTo(0.2 + half, 9);
  });

  it('matches the Cauchy closed form with 1 degree of freedom: p = 1 - 2 atan(|t|) / pi', () => {
    const r = pairedTTest([-1, -3]);
    expect(r.t).toBeCloseTo(-2, 12);
    expect(r.p!).toBeCloseTo(1 - (2 * Math.atan(2)) / Math.PI, 9);
  });

  it('matches a hand computation with 4 degrees of freedom (mean 3.2, sd sqrt(3.7), the figures of R t.test)', () => {
    const r = pairedTTest([1, 2, 3, 4, 6]);
    // Squared deviations from 3.2 sum to 14.8: variance 14.8 / 4 = 3.7, se = sqrt(3.7 / 5).
    expect(r).toMatchObject({ n: 5, df: 4 });
    expect(r.diff).toBeCloseTo(3.2, 12);
    expect(r.se).toBeCloseTo(Math.sqrt(3.7 / 5), 12);
    expect(r.t).toBeCloseTo(3.2 / Math.sqrt(3.7 / 5), 9);
    expect(r.p!).toBeCloseTo(0.020476, 5);
    expect(r.ci![0]).toBeCloseTo(0.811612, 5);
    expect(r.ci![1]).toBeCloseTo(5.588388, 5);
  });

  it('gives no p-value for a single pair or differences without variance', () => {
    expect(pairedTTest([0.5])).toMatchObject({ n: 1, diff: 0.5, p: null, ci: null });
    expect(pairedTTest([0.25, 0.25, 0.25])).toMatchObject({ n: 3, diff: 0.25, p: null, ci: null });
    expect(pairedTTest([]).p).toBeNull();
  });
});
