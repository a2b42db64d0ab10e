import { describe, expect, it } from 'vitest';
import { createRng } from '../../simulator/rng.ts';
import { periodSampleRatioMismatch, type AssignmentPeriod } from './period-srm.ts';
import { sampleRatioMismatch } from './proportions.ts';

const close = (actual: number, expected: number, rel = 1e-9): void => {
  expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);
};

/**
 * Seeded sessions of an experiment whose split changes between periods: each new session is treated with the
 * period's share; a share of treatment sessions can be lost (never recorded), as a broken assignment would.
 */
function simulate(seed: number, plan: { share: number; sessions: number }[], lostTreatment = 0): AssignmentPeriod[] {
  const rng = createRng(seed);
  return plan.map(({ share, sessions }) => {
    const period = { treatmentShare: share, control: 0, treatment: 0 };
    for (let i = 0; i < sessions; i++) {
      if (rng.next() >= share) period.control++;
      else if (rng.next() >= lostTreatment) period.treatment++;
    }
    return period;
  });
}

describe('sample ratio combined over periods of constant assignment', () => {
  it('equals the Pearson chi-square with one period (scipy.stats.chisquare([9120, 880], [9000, 1000]))', () => {
    const r = periodSampleRatioMismatch([{ treatmentShare: 0.1, control: 9120, treatment: 880 }])!;
    close(r.chi2, 16);
    close(r.p, 6.334248366623988e-5);
    close(r.chi2, sampleRatioMismatch([9120, 880], [0.9, 0.1]).chi2);
    expect(r).toMatchObject({ df: 1, observed: [9120, 880], mismatch: true });
    close(r.expected[1], 1000);
  });

  // (T - sum n s)^2 / sum n s (1 - s), p = scipy.stats.chi2.sf(chi2, 1) (= 2 * scipy.stats.norm.sf(|z|)).
  it.each([
    {
      periods: [
        [0.1, 17950, 2050],
        [0.5, 9920, 10080],
      ],
      chi2: 2.485294117647059,
      p: 0.11491486452557433,
      expected: 12000,
    },
    {
      periods: [
        [0.1, 18000, 1900],
        [0.5, 10000, 9500],
      ],
      chi2: 17.341734173417347,
      p: 3.1225343326113314e-5,
      expected: 11740,
    },
    {
      periods: [
        [0.1, 4500, 480],
        [0.25, 2980, 1020],
        [0.5, 3010, 2990],
      ],
      chi2: 0.02371951671484693,
      p: 0.8776007331467413,
      expected: 4498,
    },
  ])('matches the scipy figure for $periods', ({ periods, chi2, p, expected }) => {
    const r = periodSampleRatioMismatch(
      periods.map(([share, control, treatment]) => ({ treatmentShare: share!, control: control!, treatment: treatment! })),
    )!;
    close(r.chi2, chi2);
    close(r.p, p);
    close(r.expected[1], expected);
    expect(r.mismatch).toBe(p < 0.001);
  });

  it('never calls a split change from 0.1 to 0.5 a mismatch when assignment is correct', () => {
    const periods = simulate(1, [
      { share: 0.1, sessions: 20_000 },
      { share: 0.5, sessions: 20_000 },
    ]);
    const r = periodSampleRatioMismatch(periods)!;
    expect(r.mismatch).toBe(false);
    expect(r.p).toBeGreaterThan(0.01);
    // Checked against either split alone, the same data look broken.
    const observed = [r.observed[0], r.observed[1]];
    expect(sampleRatioMismatch(observed, [0.5, 0.5]).mismatch).toBe(true);
    expect(sampleRatioMismatch(observed, [0.9, 0.1]).mismatch).toBe(true);
  });

  it('flags 5% of treatment sessions lost across the same split change', () => {
    const r = periodSampleRatioMismatch(
      simulate(
        2,
        [
          { share: 0.1, sessions: 20_000 },
          { share: 0.5, sessions: 20_000 },
        ],
        0.05,
      ),
    )!;
    expect(r.mismatch).toBe(true);
    expect(r.observed[1]).toBeLessThan(r.expected[1]);
  });

  it('keeps the false-mismatch rate near the threshold over 1,000 correct experiments with a split change', () => {
    let flagged = 0;
    for (let seed = 100; seed < 1_100; seed++) {
      const periods = simulate(seed, [
        { share: 0.1, sessions: 2_000 },
        { share: 0.3, sessions: 1_000 },
        { share: 0.5, sessions: 2_000 },
      ]);
      if (periodSampleRatioMismatch(periods, 0.01)!.mismatch) flagged++;
    }
    console.log(`period SRM at threshold 0.01: ${flagged} of 1,000 correct experiments flagged`);
    expect(flagged).toBeLessThanOrEqual(20);
  });

  it('treats an arm that cannot be reached as a mismatch, and has no answer without sessions', () => {
    const unreachable = periodSampleRatioMismatch([{ treatmentShare: 0, control: 100, treatment: 1 }]);
    expect(unreachable).toMatchObject({ chi2: Infinity, p: 0, mismatch: true });
    expect(periodSampleRatioMismatch([{ treatmentShare: 1, control: 0, treatment: 50 }])).toMatchObject({ chi2: 0, p: 1, mismatch: false });
    expect(periodSampleRatioMismatch([])).toBeNull();
    expect(() => periodSampleRatioMismatch([{ treatmentShare: 1.5, control: 1, treatment: 1 }])).toThrow(/share/);
  });
});
