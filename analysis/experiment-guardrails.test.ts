import { describe, expect, it } from 'vitest';
import { analyzeExperiment, correctAndDecide } from './experiment.ts';
import type { ArmSums } from './queries/experiments.ts';
import { AnalysisSettings } from './settings.ts';

const s = AnalysisSettings.parse({});

/**
 * An arm of 1,000 sessions of 4 requests, one scored per session (quality 0.8 +- 0.1), `failing` sessions with
 * `perSession` failed requests each, and request costs `cost` (+- `costSpread` by session).
 */
function arm(name: string, failing: number, perSession: number, cost = 0.006, costSpread = 0): ArmSums {
  const n = 1000;
  const errors = failing * perSession;
  const sessionCost = 4 * cost;
  const costYY = (n / 2) * ((sessionCost + 4 * costSpread) ** 2 + (sessionCost - 4 * costSpread) ** 2);
  return {
    arm: name,
    configId: name,
    requests: 4 * n,
    errors,
    costUsd: n * sessionCost,
    scored: n,
    qualitySum: 800,
    qualitySumSq: 800 * 0.8 + 10,
    session: { sessions: n, sumY: 800, sumN: n, sumYY: 800 * 0.8 + 10, sumNN: n, sumYN: 800 },
    errorSession: { sessions: n, sumY: errors, sumN: 4 * n, sumYY: failing * perSession ** 2, sumNN: 16 * n, sumYN: 4 * errors },
    costSession: { sessions: n, sumY: n * sessionCost, sumN: 4 * n, sumYY: costYY, sumNN: 16 * n, sumYN: 4 * n * sessionCost },
  };
}

const analyze = (c: ArmSums, t: ArmSums) => analyzeExperiment({ id: 'e', intent: null, split: 0.5 }, [c, t], [], s, null)!;

describe('experiment guardrails at the session level', () => {
  it("widens the error interval when a session's requests fail together", () => {
    const spread = analyze(arm('control', 20, 1), arm('treatment', 80, 1)).errorGuardrail;
    const clustered = analyze(arm('control', 5, 4), arm('treatment', 20, 4)).errorGuardrail;
    expect(clustered.estimate).toBeCloseTo(spread.estimate, 12);
    expect(clustered.upper - clustered.lower).toBeGreaterThan(1.5 * (spread.upper - spread.lower));
  });

  it('gives the cost delta an always-valid interval around the estimate, wider with a wider per-session spread', () => {
    const calm = analyze(arm('control', 0, 1, 0.006, 0.0005), arm('treatment', 0, 1, 0.005, 0.0005));
    const noisy = analyze(arm('control', 0, 1, 0.006, 0.003), arm('treatment', 0, 1, 0.005, 0.003));
    expect(calm.costDeltaPerRequest).toBeCloseTo(-0.001, 12);
    expect(calm.costInterval[0]).toBeLessThan(-0.001);
    expect(calm.costInterval[1]).toBeGreaterThan(-0.001);
    expect(noisy.costInterval[1] - noisy.costInterval[0]).toBeGreaterThan(calm.costInterval[1] - calm.costInterval[0]);
  });

  it('puts the error guardrail into the multiplicity family with its always-valid p-value', () => {
    const r = analyze(arm('control', 20, 1), arm('treatment', 80, 1));
    expect(r.tests.find((t) => t.metric === 'errors')).toMatchObject({ basis: 'always-valid', p: r.errorGuardrail.pWorse });
    // 1,000 sessions per arm is the planned size here: quality enters with its fixed-horizon p-value.
    expect(r.quality.ready).toBe(true);
    expect(r.tests.find((t) => t.metric === 'quality')!.basis).toBe('fixed');
  });

  it("keeps an experiment whose quality test is undefined (no spread yet) from disabling the family's other tests", () => {
    // Three sessions per arm, every one rated 1: the quality difference has no variance, so its p-value is undefined.
    const perfect = (name: string): ArmSums => {
      const sums = { sessions: 3, sumY: 3, sumN: 3, sumYY: 3, sumNN: 3, sumYN: 3 };
      const none = { ...sums, sumY: 0, sumYY: 0, sumYN: 0 };
      const cost = { ...sums, sumY: 0.018, sumYY: 3 * 0.006 ** 2, sumYN: 0.018 };
      return {
        arm: name,
        configId: name,
        requests: 3,
        errors: 0,
        costUsd: 0.018,
        scored: 3,
        qualitySum: 3,
        qualitySumSq: 3,
        session: sums,
        errorSession: none,
        costSession: cost,
      };
    };
    const early = analyzeExperiment({ id: 'early', intent: null, split: 0.5 }, [perfect('control'), perfect('treatment')], [], s, null)!;
    const broken = analyze(arm('control', 20, 1), arm('treatment', 300, 1));
    correctAndDecide([broken], s);
    expect(broken.decision.decision).toBe('ROLLBACK');
    correctAndDecide([early, broken], s);
    expect(early.tests.every((t) => Number.isFinite(t.p) && Number.isFinite(t.adjustedP))).toBe(true);
    expect(early.tests.find((t) => t.metric === 'quality')!.p).toBe(1);
    expect(broken.decision.decision).toBe('ROLLBACK');
    expect(early.decision.decision).toBe('CONTINUE');
  });
});
