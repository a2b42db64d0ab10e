import { describe, expect, it } from 'vitest';
import { marginTest, rateMarginTest } from './guardrail.ts';

describe('one-sided margin guardrail (always valid)', () => {
  it('fails exactly when the interval lies wholly above the margin, and its p-value crosses alpha there', () => {
    for (const estimate of [0, 0.005, 0.012, 0.02, 0.03, 0.05]) {
      const g = marginTest(estimate, 2e-5, 0.01, 0.05);
      expect(g.pWorse < 0.05).toBe(g.lower > 0.01);
      expect(g.worse).toBe(g.lower > 0.01);
      expect(g.lower).toBeLessThan(estimate);
      expect(g.upper).toBeGreaterThan(estimate);
    }
  });

  it('never fails with the estimate at or below the margin, however precise', () => {
    expect(marginTest(0.01, 1e-12, 0.01, 0.05).pWorse).toBe(1);
    expect(marginTest(-0.2, 1e-6, 0.01, 0.05).pWorse).toBe(1);
    expect(marginTest(-0.2, 1e-6, 0.01, 0.05).withinMargin).toBe(true);
  });

  it('is wider than a one-look 95% interval', () => {
    const g = marginTest(0.02, 1e-5, 0.01, 0.05);
    expect(g.upper - g.lower).toBeGreaterThan(2 * 1.96 * Math.sqrt(1e-5));
  });

  it('takes the rate variance from Agresti-Caffo rates, so no errors in either arm is still uncertain', () => {
    const none = rateMarginTest(0, 50, 0, 50, 0.01, 0.05);
    expect(none.estimate).toBe(0);
    expect(none.upper).toBeGreaterThan(0.01);
    expect(none.withinMargin).toBe(false);
    const many = rateMarginTest(0, 20_000, 0, 20_000, 0.01, 0.05);
    expect(many.withinMargin).toBe(true);
  });

  it('rejects a margin that is not positive', () => {
    expect(() => marginTest(0, 1e-5, 0, 0.05)).toThrow(/margin must be positive/);
  });
});
