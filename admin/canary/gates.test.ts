import { describe, expect, it } from 'vitest';
import { emptyArm, evaluateGates, qualityDelta, type ArmWindow, type WindowFigures } from './gates.ts';
import { CanaryGates } from './schema.ts';

const GATES = CanaryGates.parse({});

/** An arm of `sessions` sessions of 2 scored requests each, quality alternating mean +- 0.05 by session. */
function arm(o: {
  sessions: number;
  quality: number;
  p95?: number;
  errors?: number;
  cost?: number;
  costSd?: number;
  bounds?: { lower: number; upper: number };
}): ArmWindow {
  const n = o.sessions;
  const hi = 2 * (o.quality + 0.05);
  const lo = 2 * (o.quality - 0.05);
  const highs = Math.ceil(n / 2);
  const lows = n - highs;
  const requests = 2 * n + (o.errors ?? 0);
  return {
    figures: {
      requests,
      scored: 2 * n,
      quality: (highs * hi + lows * lo) / (2 * n),
      p95LatencyMs: o.p95 ?? 2_100,
      errorRate: (o.errors ?? 0) / requests,
      costPerRequest: o.cost ?? 0.006,
    },
    sessions: n,
    errors: o.errors ?? 0,
    sums: {
      sessions: n,
      sumY: highs * hi + lows * lo,
      sumN: 2 * n,
      sumYY: highs * hi * hi + lows * lo * lo,
      sumNN: 4 * n,
      sumYN: 2 * (highs * hi + lows * lo),
    },
    p95Bounds: o.bounds ?? { lower: o.p95 ?? 2_100, upper: o.p95 ?? 2_100 },
    costSumSq: 2 * n * ((o.cost ?? 0.006) ** 2 + (o.costSd ?? 0) ** 2),
  };
}

const window = (candidate: ArmWindow, baseline: ArmWindow): WindowFigures => ({ candidate, baseline });

describe('canary gates', () => {
  it('promotes a candidate as good as the baseline with enough samples', () => {
    const v = evaluateGates(window(arm({ sessions: 300, quality: 0.85 }), arm({ sessions: 5_700, quality: 0.85 })), 5, GATES, 100, null);
    expect(v.kind).toBe('promote');
    expect(v.figures.qualityDelta!.lower).toBeGreaterThan(-0.05);
    expect(v.figures.srmP).toBeGreaterThan(0.001);
  });

  it('holds (never promotes) with too few samples, however good the candidate looks', () => {
    const v = evaluateGates(window(arm({ sessions: 20, quality: 0.95 }), arm({ sessions: 380, quality: 0.85 })), 5, GATES, 100, null);
    expect(v).toMatchObject({ kind: 'hold', inconclusive: true });
    expect(v.reason).toMatch(/too few live requests/);
    expect(evaluateGates(window(emptyArm(), emptyArm()), 5, GATES, 100, null).kind).toBe('hold');
  });

  it('rolls back Scenario D: quality fine, P95 4,200 ms vs 2,100 ms', () => {
    const v = evaluateGates(
      window(arm({ sessions: 300, quality: 0.85, p95: 4_200 }), arm({ sessions: 5_700, quality: 0.84, p95: 2_100 })),
      5,
      GATES,
      100,
      null,
    );
    expect(v.kind).toBe('rollback');
    expect(v.reason).toMatch(/above the 3000 ms SLA/);
    expect(v.reason).toMatch(/\+100\.0%/);
    expect(v.reason).toMatch(/at least 4200 ms/);
    expect(v.figures.qualityDelta!.estimate).toBeGreaterThan(0);
  });

  it('rolls back on the SLA alone when the baseline is within it, and not when both are above it by a similar amount', () => {
    expect(
      evaluateGates(
        window(arm({ sessions: 300, quality: 0.85, p95: 3_200 }), arm({ sessions: 5_700, quality: 0.85, p95: 2_900 })),
        5,
        GATES,
        100,
        null,
      ).kind,
    ).toBe('rollback');
    expect(
      evaluateGates(
        window(arm({ sessions: 300, quality: 0.85, p95: 3_300 }), arm({ sessions: 5_700, quality: 0.85, p95: 3_200 })),
        5,
        GATES,
        100,
        null,
      ).kind,
    ).toBe('promote');
  });

  it('rolls back on a clear quality drop, an error-rate jump, a cost jump and the quality floor', () => {
    const base = arm({ sessions: 5_700, quality: 0.85 });
    const drop = evaluateGates(window(arm({ sessions: 300, quality: 0.77 }), base), 5, GATES, 100, null);
    expect(drop.kind).toBe('rollback');
    expect(drop.figures.qualityDelta!.upper).toBeLessThan(-0.05);
    expect(evaluateGates(window(arm({ sessions: 300, quality: 0.85, errors: 40 }), base), 5, GATES, 100, null).reason).toMatch(
      /error rate/,
    );
    expect(evaluateGates(window(arm({ sessions: 300, quality: 0.85, cost: 0.008 }), base), 5, GATES, 100, null).reason).toMatch(
      /cost per request/,
    );
    expect(
      evaluateGates(window(arm({ sessions: 300, quality: 0.65 }), arm({ sessions: 5_700, quality: 0.66 })), 5, GATES, 100, null).reason,
    ).toMatch(/below the floor 0.7/);
  });

  it('holds while the quality interval straddles the margin', () => {
    const v = evaluateGates(window(arm({ sessions: 60, quality: 0.81 }), arm({ sessions: 1_140, quality: 0.85 })), 5, GATES, 100, null);
    expect(v.figures.qualityDelta!.lower).toBeLessThan(-0.05);
    expect(v.figures.qualityDelta!.upper).toBeGreaterThan(-0.05);
    expect(v).toMatchObject({ kind: 'hold', inconclusive: true });
  });

  it('does not roll back for a P95 pushed up by a few outliers when its lower bound is within the limit', () => {
    const base = arm({ sessions: 285, quality: 0.85, p95: 2_100, bounds: { lower: 2_080, upper: 2_120 } });
    const spiky = arm({ sessions: 15, quality: 0.85, p95: 4_000, bounds: { lower: 2_200, upper: 6_000 } });
    expect(evaluateGates(window(spiky, base), 5, GATES, 20, null).kind).toBe('promote');
    const slow = arm({ sessions: 15, quality: 0.85, p95: 4_000, bounds: { lower: 3_600, upper: 6_000 } });
    expect(evaluateGates(window(slow, base), 5, GATES, 20, null).kind).toBe('rollback');
  });

  it('pauses on a sample-ratio mismatch', () => {
    const v = evaluateGates(window(arm({ sessions: 600, quality: 0.85 }), arm({ sessions: 5_400, quality: 0.85 })), 5, GATES, 100, null);
    expect(v.kind).toBe('pause');
    expect(v.figures.srmP).toBeLessThan(0.001);
  });

  it('judges the full-weight stage against the last baseline measured', () => {
    const reference = {
      figures: arm({ sessions: 3_000, quality: 0.85 }).figures,
      sums: arm({ sessions: 3_000, quality: 0.85 }).sums,
      errors: 0,
      p95Bounds: { lower: 2_050, upper: 2_150 },
      costSumSq: null,
    };
    expect(evaluateGates(window(arm({ sessions: 6_000, quality: 0.85 }), emptyArm()), 100, GATES, 100, reference).kind).toBe('promote');
    expect(evaluateGates(window(arm({ sessions: 6_000, quality: 0.85, p95: 3_500 }), emptyArm()), 100, GATES, 100, reference).kind).toBe(
      'rollback',
    );
  });

  it('never promotes without baseline figures to compare with: holds, inconclusive, so the time-out applies', () => {
    const v = evaluateGates(window(arm({ sessions: 300, quality: 0.85 }), emptyArm()), 100, GATES, 100, null);
    expect(v).toMatchObject({ kind: 'hold', inconclusive: true });
    expect(v.reason).toMatch(/no baseline figures to compare with/);
  });

  it('rolls back above the absolute error-rate ceiling, with or without a baseline', () => {
    // 600 requests, 40% failed, quality 0.85, at full weight with no reference (stages: [100]).
    const failing = arm({ sessions: 180, quality: 0.85, errors: 240 });
    expect(failing.figures).toMatchObject({ requests: 600, errorRate: 0.4 });
    const alone = evaluateGates(window(failing, emptyArm()), 100, GATES, 100, null);
    expect(alone.kind).toBe('rollback');
    expect(alone.reason).toMatch(/error rate 40\.0% is above the 5\.0% ceiling/);
    // 9% vs a baseline at 8%: within errorRateMaxDelta, above the ceiling.
    const v = evaluateGates(
      window(arm({ sessions: 300, quality: 0.85, errors: 60 }), arm({ sessions: 5_700, quality: 0.85, errors: 990 })),
      5,
      GATES,
      100,
      null,
    );
    expect(v.kind).toBe('rollback');
    expect(v.reason).toMatch(/ceiling/);
    expect(v.reason).not.toMatch(/vs baseline/);
    // A rate just above the ceiling in a small window is not a significant excess; a raised ceiling passes it.
    expect(
      evaluateGates(
        window(arm({ sessions: 300, quality: 0.85, errors: 33 }), arm({ sessions: 5_700, quality: 0.85, errors: 570 })),
        5,
        GATES,
        100,
        null,
      ).kind,
    ).toBe('promote');
    expect(
      evaluateGates(
        window(arm({ sessions: 300, quality: 0.85, errors: 60 }), arm({ sessions: 5_700, quality: 0.85, errors: 990 })),
        5,
        { ...GATES, errorRateMax: 0.2 },
        100,
        null,
      ).kind,
    ).toBe('promote');
  });

  it('rolls back on errors only when the excess over the baseline is shown above the +2-point margin', () => {
    // 5.1% vs 2.0% on 158 requests: above the margin as a point, and p < 0.01 against no difference (the previous
    // rule rolled this back), but far from shown above +2 points in so small a window.
    const small = evaluateGates(
      window(arm({ sessions: 75, quality: 0.85, errors: 8 }), arm({ sessions: 1_425, quality: 0.85, errors: 58 })),
      5,
      GATES,
      100,
      null,
    );
    expect(small.kind).not.toBe('rollback');
    // 8.3% vs 2.0% on 654 requests: shown.
    const shown = evaluateGates(
      window(arm({ sessions: 300, quality: 0.85, errors: 54 }), arm({ sessions: 5_700, quality: 0.85, errors: 232 })),
      5,
      GATES,
      100,
      null,
    );
    expect(shown.kind).toBe('rollback');
    expect(shown.reason).toMatch(
      /error rate 8\.3% vs baseline 2\.0%: 6\.3% \(always-valid interval \[[\d.]+%, [\d.]+%\]\) points, above the \+2\.0% limit/,
    );
  });

  it('completes at the last stage only once the error rate is shown within the margin', () => {
    const w = window(arm({ sessions: 300, quality: 0.85, errors: 9 }), arm({ sessions: 5_700, quality: 0.85, errors: 57 }));
    expect(evaluateGates(w, 5, GATES, 100, null, false).kind).toBe('promote');
    const last = evaluateGates(w, 5, GATES, 100, null, true);
    expect(last).toMatchObject({ kind: 'hold', inconclusive: true });
    expect(last.reason).toMatch(/not yet shown within \+2\.0%/);
    const clean = window(arm({ sessions: 3_000, quality: 0.85, errors: 30 }), arm({ sessions: 3_000, quality: 0.85, errors: 30 }));
    expect(evaluateGates(clean, 50, GATES, 100, null, true).kind).toBe('promote');
  });

  it('rolls back on cost only when the excess is shown above the +25% margin', () => {
    // +33% on 600 requests whose cost varies little: shown.
    const steady = evaluateGates(
      window(arm({ sessions: 300, quality: 0.85, cost: 0.008, costSd: 0.001 }), arm({ sessions: 5_700, quality: 0.85, costSd: 0.001 })),
      5,
      GATES,
      100,
      null,
    );
    expect(steady.kind).toBe('rollback');
    expect(steady.reason).toMatch(/cost per request \$0\.00800 vs baseline \$0\.00600 \(\+33\.3%, always-valid interval/);
    // The same +33% on 100 requests whose cost varies by token counts (sd $0.006): not shown, no rollback.
    const noisy = evaluateGates(
      window(arm({ sessions: 50, quality: 0.85, cost: 0.008, costSd: 0.006 }), arm({ sessions: 950, quality: 0.85, costSd: 0.006 })),
      5,
      GATES,
      100,
      null,
    );
    expect(noisy.figures.srmP).toBeGreaterThan(0.001);
    expect(noisy.kind).not.toBe('rollback');
    expect(noisy.reason).not.toMatch(/cost/);
  });

  it('needs two scored sessions per arm for a quality interval', () => {
    expect(qualityDelta(null, arm({ sessions: 10, quality: 0.8 }).sums, 0.05)).toBeNull();
    expect(qualityDelta(arm({ sessions: 1, quality: 0.8 }).sums, arm({ sessions: 10, quality: 0.8 }).sums, 0.05)).toBeNull();
  });
});
