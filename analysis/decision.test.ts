import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from './decision.ts';
import { AnalysisSettings } from './settings.ts';

const s = AnalysisSettings.parse({});
const base: DecisionInput = {
  qualityDiff: 0.03, qualityCi: [0.02, 0.04], adjustedP: 0.001, sequentialSignificant: true, ready: true,
  srmMismatch: false, errorsWorse: false, costDeltaPerRequest: 0.0002, costDeltaPerMonth: 1500,
};

describe('experiment decisions on the MangaAssist thresholds', () => {
  it('promotes a better treatment with a marginal cost increase', () => {
    expect(decide(base, s).decision).toBe('PROMOTE');
  });

  it('sends a better but costlier treatment to review with the cost per request and per month', () => {
    const d = decide({ ...base, costDeltaPerRequest: 0.004, costDeltaPerMonth: 30_000 }, s);
    expect(d.decision).toBe('REVIEW');
    expect(d.reason).toContain('+$0.00400/request');
    expect(d.reason).toContain('+$30000.00/month');
  });

  it('rolls back a worse treatment, and one with more errors', () => {
    expect(decide({ ...base, qualityDiff: -0.03, qualityCi: [-0.04, -0.02] }, s).decision).toBe('ROLLBACK');
    expect(decide({ ...base, errorsWorse: true }, s).decision).toBe('ROLLBACK');
  });

  it('continues while neither the sequential test nor the sample size allows a call', () => {
    expect(decide({ ...base, ready: false, sequentialSignificant: false, adjustedP: 0.001 }, s).decision).toBe('CONTINUE');
  });

  it('stops early when the always-valid sequence excludes zero', () => {
    expect(decide({ ...base, ready: false, adjustedP: 0.2 }, s).decision).toBe('PROMOTE');
  });

  it('reports no difference at the planned size, unless the treatment is cheaper at similar quality', () => {
    const flat = { ...base, qualityDiff: 0.002, qualityCi: [-0.005, 0.009] as [number, number], adjustedP: 0.4, sequentialSignificant: false };
    expect(decide(flat, s).decision).toBe('NO_DIFFERENCE');
    expect(decide({ ...flat, costDeltaPerRequest: -0.001 }, s).decision).toBe('PROMOTE');
  });

  it('holds everything for review on a sample ratio mismatch', () => {
    expect(decide({ ...base, srmMismatch: true }, s).decision).toBe('REVIEW');
  });
});
