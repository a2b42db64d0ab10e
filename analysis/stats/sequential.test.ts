import { describe, expect, it } from 'vitest';
import { simulateMonitoring } from './monitoring-simulation.ts';
import { sequentialLook, tuneForSampleSize } from './sequential.ts';

const base = { experiments: 1000, maxPerArm: 2000, lookEvery: 100, mean: 0.8, sd: 0.12, alpha: 0.05, nStar: 1000 };

describe('mixture-SPRT confidence sequence', () => {
  it('keeps the false-positive rate at or below 5% over 1,000 A/A experiments checked every 100 samples', () => {
    const aa = simulateMonitoring({ ...base, effect: 0, seed: 11 });
    console.info(
      `A/A, 20 looks: sequential ${aa.sequentialRate}, fixed test peeking ${aa.fixedPeekingRate}, fixed test once ${aa.fixedFinalRate}`,
    );
    expect(aa.sequentialRate).toBeLessThanOrEqual(0.05);
    expect(aa.fixedPeekingRate).toBeGreaterThan(0.1);
    expect(aa.fixedFinalRate).toBeLessThan(0.07);
  });

  it('detects a +0.03 effect (sd 0.12) within 2,000 sessions per arm in at least 80% of runs', () => {
    const power = simulateMonitoring({ ...base, effect: 0.03, seed: 12 });
    expect(power.sequentialRate).toBeGreaterThanOrEqual(0.8);
    expect(power.meanDetectionPerArm!).toBeLessThanOrEqual(2000);
  });

  it('is wider than the fixed interval and narrowest near N*', () => {
    const tuning = tuneForSampleSize(1000, 0.12);
    const widthAt = (n: number) => {
      const v = (2 * 0.12 * 0.12) / n;
      const look = sequentialLook(0, v, tuning);
      return (look.upper - look.lower) / (2 * 1.96 * Math.sqrt(v));
    };
    expect(widthAt(1000)).toBeGreaterThan(1);
    expect(widthAt(1000)).toBeLessThan(widthAt(100));
    expect(widthAt(1000)).toBeLessThan(widthAt(100_000));
  });

  it('flags significance exactly when the likelihood ratio crosses 1/alpha', () => {
    const tuning = tuneForSampleSize(500, 0.1);
    for (const estimate of [0, 0.005, 0.01, 0.02, -0.03]) {
      const look = sequentialLook(estimate, 4e-5, tuning);
      expect(look.significant).toBe(look.likelihoodRatio >= 1 / tuning.alpha);
    }
  });
});
