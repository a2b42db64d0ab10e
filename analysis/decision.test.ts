import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from './decision.ts';
import { AnalysisSettings } from './settings.ts';
import { rateMarginTest } from './stats/guardrail.ts';

const s = AnalysisSettings.parse({});
/** The error guardrail on 10,000 requests per arm, with its adjusted p-value taken as its own. */
const errors = (control: number, treatment: number): DecisionInput['errors'] => {
  const g = rateMarginTest(control, 10_000, treatment, 10_000, s.errorMargin, s.alpha);
  return { ...g, adjustedP: g.pWorse };
};
const base: DecisionInput = {
  qualityDiff: 0.03,
  qualityCi: [0.02, 0.04],
  qualityP: 0.001,
  ready: true,
  srmMismatch: false,
  errors: errors(50, 50),
  costDeltaPerRequest: 0.0002,
  costInterval: [0.0001, 0.0003],
  costDeltaPerMonth: 1500,
};

describe('experiment decisions on the MangaAssist thresholds', () => {
  it('promotes a better treatment with a marginal cost increase', () => {
    expect(decide(base, s).decision).toBe('PROMOTE');
  });

  it('sends a better but costlier treatment to review with the cost per request and per month', () => {
    const d = decide({ ...base, costDeltaPerRequest: 0.004, costInterval: [0.0038, 0.0042], costDeltaPerMonth: 30_000 }, s);
    expect(d.decision).toBe('REVIEW');
    expect(d.reason).toContain('but costlier');
    expect(d.reason).toContain('+$0.00400/request');
    expect(d.reason).toContain('+$30000.00/month');
  });

  it('rolls back a treatment that fails more often even when its arms also show a sample ratio mismatch', () => {
    const d = decide({ ...base, srmMismatch: true, errors: errors(50, 400) }, s);
    expect(d.decision).toBe('ROLLBACK');
    expect(d.reason).toContain('sample ratio mismatch');
    expect(decide({ ...base, srmMismatch: true }, s).decision).toBe('REVIEW');
  });

  it('rolls back a worse treatment', () => {
    expect(decide({ ...base, qualityDiff: -0.03, qualityCi: [-0.04, -0.02], qualityP: 0.001 }, s).decision).toBe('ROLLBACK');
  });

  it("rolls back on errors only when they exceed control's by more than the margin", () => {
    // 0.5% vs 2.5%: two points more, shown to be more than one.
    const worse = decide({ ...base, errors: errors(50, 250) }, s);
    expect(worse.decision).toBe('ROLLBACK');
    expect(worse.reason).toMatch(/by more than \+1\.00 points: \+2\.00 points/);
    // 0.5% vs 0.9%: significantly more (two-sided p < 0.001) but within the margin: not a rollback.
    expect(decide({ ...base, errors: errors(50, 90) }, s).decision).toBe('PROMOTE');
  });

  it('holds a promotion while the error rate is not yet shown within the margin', () => {
    const g = rateMarginTest(2, 300, 6, 300, s.errorMargin, s.alpha);
    expect(g.withinMargin).toBe(false);
    const d = decide({ ...base, errors: { ...g, adjustedP: g.pWorse } }, s);
    expect(d.decision).toBe('CONTINUE');
    expect(d.reason).toMatch(/held until the error rate is shown within \+1\.00 points/);
  });

  it('continues while the quality test, valid at this look, is not significant before the planned size', () => {
    expect(decide({ ...base, ready: false, qualityP: 0.2 }, s).decision).toBe('CONTINUE');
  });

  it('stops early when the always-valid quality test is significant', () => {
    expect(decide({ ...base, ready: false, qualityP: 0.01 }, s).decision).toBe('PROMOTE');
  });

  it('reports no difference at the planned size, unless the treatment is cheaper at similar quality', () => {
    const flat = { ...base, qualityDiff: 0.002, qualityCi: [-0.005, 0.009] as [number, number], qualityP: 0.4 };
    expect(decide(flat, s).decision).toBe('NO_DIFFERENCE');
    expect(decide({ ...flat, costDeltaPerRequest: -0.001, costInterval: [-0.0012, -0.0008] }, s).decision).toBe('PROMOTE');
    // A saving whose interval reaches above -cheaperCostPerRequest is not shown: no promotion on cost.
    expect(decide({ ...flat, costDeltaPerRequest: -0.001, costInterval: [-0.0016, -0.0004] }, s).decision).toBe('NO_DIFFERENCE');
  });

  it('sends a better treatment whose extra cost is not shown within the marginal cost to review', () => {
    const d = decide({ ...base, costDeltaPerRequest: 0.0008, costInterval: [0.0005, 0.0011] }, s);
    expect(d.decision).toBe('REVIEW');
    expect(d.reason).toContain('not shown within the marginal cost');
  });

  it('holds everything but an error rollback for review on a sample ratio mismatch', () => {
    expect(decide({ ...base, srmMismatch: true }, s).decision).toBe('REVIEW');
    expect(decide({ ...base, srmMismatch: true, qualityDiff: -0.03, qualityCi: [-0.04, -0.02] }, s).decision).toBe('REVIEW');
  });
});
