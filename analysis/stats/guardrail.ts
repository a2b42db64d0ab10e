import { sequentialLook } from './sequential.ts';

/**
 * A one-sided guardrail with a non-inferiority margin, always valid. For the difference D = treatment -
 * control of a metric where higher is worse (an error rate), and a margin m > 0:
 *
 * - the guardrail FAILS when H0: D <= m is rejected, i.e. the treatment is shown to be worse than control by
 *   more than the margin. Its p-value is min(1, 1/L), L the mixture likelihood ratio against D = m (with the
 *   estimate above m; otherwise 1). Under any D <= m the chance that it ever falls below x, however often it
 *   is looked at, is at most x (Ville's inequality), so it may join a multiplicity correction at every look.
 * - the guardrail HOLDS when the always-valid interval's upper bound is below m: the treatment is shown to be
 *   no worse than control by m or more (the non-inferiority claim that promotion requires).
 * - in between it is inconclusive: neither claim is made yet.
 *
 * An A/A pair (D = 0) sits a whole margin inside H0, so a false failure needs an excess of the margin beyond
 * about three standard errors; a regression of twice the margin is detected as the standard error shrinks.
 * The mixture's variance is the squared margin: it puts its weight on excesses of the margin's size.
 */
export interface MarginTest {
  /** Treatment minus control. */
  estimate: number;
  margin: number;
  /** Always-valid interval of the difference at level alpha. */
  lower: number;
  upper: number;
  /** Anytime-valid p-value of H0: difference <= margin. */
  pWorse: number;
  /** Lower bound above the margin: shown worse by more than it (before any multiplicity correction). */
  worse: boolean;
  /** Upper bound below the margin: shown within it. */
  withinMargin: boolean;
}

/** The margin test of a difference estimate with its variance, at level `alpha`. */
export function marginTest(estimate: number, variance: number, margin: number, alpha: number): MarginTest {
  if (!(margin > 0)) throw new Error(`guardrail margin must be positive, got ${margin}`);
  if (!(variance > 0)) {
    const worse = estimate > margin;
    return { estimate, margin, lower: estimate, upper: estimate, pWorse: worse ? 0 : 1, worse, withinMargin: estimate < margin };
  }
  const look = sequentialLook(estimate - margin, variance, { alpha, tau2: margin * margin });
  return {
    estimate,
    margin,
    lower: look.lower + margin,
    upper: look.upper + margin,
    pWorse: estimate > margin ? Math.min(1, 1 / look.likelihoodRatio) : 1,
    worse: look.lower > 0,
    withinMargin: look.upper < 0,
  };
}

/**
 * Binomial variance of a rate of x in n taken at the Agresti-Caffo rate (one failure and one success added), so
 * a rate of 0 or 1 still carries uncertainty.
 */
export function adjustedRateVariance(x: number, n: number): number {
  const p = (x + 1) / (n + 2);
  return (p * (1 - p)) / (n + 2);
}

/** The margin test of a rate difference (treatment errors x2 of n2 minus control's x1 of n1), Agresti-Caffo variance. */
export function rateMarginTest(x1: number, n1: number, x2: number, n2: number, margin: number, alpha: number): MarginTest {
  const estimate = n1 > 0 && n2 > 0 ? x2 / n2 - x1 / n1 : 0;
  return marginTest(estimate, adjustedRateVariance(x1, n1) + adjustedRateVariance(x2, n2), margin, alpha);
}
