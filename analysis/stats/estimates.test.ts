import { describe, expect, it } from 'vitest';
import { compareRatios, ratioEstimate, type RatioSums } from './ratio.ts';
import { fromSums, summarize } from './summary.ts';
import { minimumSampleSize, relativeLift, welchTest } from './welch.ts';

function sessionSums(sessions: number[][]): RatioSums {
  const s = { sessions: sessions.length, sumY: 0, sumN: 0, sumYY: 0, sumNN: 0, sumYN: 0 };
  for (const values of sessions) {
    const y = values.reduce((a, b) => a + b, 0);
    const n = values.length;
    s.sumY += y;
    s.sumN += n;
    s.sumYY += y * y;
    s.sumNN += n * n;
    s.sumYN += y * n;
  }
  return s;
}

describe('estimates', () => {
  it('relative lift by the delta method', () => {
    const control = { n: 400, mean: 0.8, variance: 0.01 };
    const treatment = { n: 100, mean: 0.84, variance: 0.0144 };
    const r = relativeLift(control, treatment);
    const se = Math.sqrt(0.0144 / 100 / 0.64 + (0.84 ** 2 * 0.01) / 400 / 0.8 ** 4);
    expect(r.lift).toBeCloseTo(0.05, 12);
    expect(r.se).toBeCloseTo(se, 12);
    expect(r.ci[0]).toBeCloseTo(0.05 - 1.959963984540054 * se, 10);
  });

  it('minimum sample size per arm', () => {
    expect(minimumSampleSize(0.02, 0.12)).toBe(566);
    expect(minimumSampleSize(0.03, 0.12)).toBe(252);
  });

  it('sums of squares give the same summary as raw values', () => {
    const values = [0.8, 0.9, 0.75, 0.62, 0.99, 0.85];
    const a = summarize(values);
    const b = fromSums(
      values.length,
      values.reduce((s, x) => s + x, 0),
      values.reduce((s, x) => s + x * x, 0),
    );
    expect(b.mean).toBeCloseTo(a.mean, 12);
    expect(b.variance).toBeCloseTo(a.variance, 12);
  });

  it('session-level ratio reduces to the per-request mean with one request per session', () => {
    const values = [0.8, 0.9, 0.75, 0.62, 0.99, 0.85, 0.7];
    const est = ratioEstimate(sessionSums(values.map((v) => [v])));
    const s = summarize(values);
    expect(est.ratio).toBeCloseTo(s.mean, 12);
    expect(est.variance).toBeCloseTo(s.variance / s.n, 12);
  });

  it('session-level interval is wider than the naive one when requests of a session are correlated', () => {
    const make = (shift: number) =>
      Array.from({ length: 200 }, (_, i) => {
        const level = 0.8 + shift + 0.1 * Math.sin(i * 12.9898);
        return Array.from({ length: 1 + (i % 7) }, (_, j) => level + 0.01 * Math.cos(i * 7 + j));
      });
    const a = make(0);
    const b = make(0.01);
    const session = compareRatios(sessionSums(a), sessionSums(b));
    const naive = welchTest(summarize(a.flat()), summarize(b.flat()));
    expect(session.diff).toBeCloseTo(naive.diff, 12);
    expect(session.se).toBeGreaterThan(1.5 * naive.se);
  });
});
