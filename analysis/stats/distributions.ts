import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Two-sided p-value of a Student-t statistic with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  return 2 * tCdf(-Math.abs(t), df);
}

/** Quantile of the Student-t distribution. */
export function studentQuantile(p: number, df: number): number {
  return tQuantile(p, df);
}

/** Two-sided p-value of a standard normal statistic. */
export function normalTwoSidedP(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? Number.NaN : 0;
  return 2 * normalCdf(-Math.abs(z), 0, 1);
}

/** Quantile of the standard normal distribution. */
export function normalQ(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Upper tail of the chi-square distribution. */
export function chiSquareSurvival(x: number, df: number): number {
  return 1 - chisquareCdf(x, df);
}
