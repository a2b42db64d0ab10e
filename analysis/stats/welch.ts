import { normalQ, studentQuantile, studentTwoSidedP } from './distributions.ts';
import type { Summary } from './summary.ts';

/** Welch's unequal-variance t-test of treatment minus control. */
export interface WelchResult {
  diff: number;
  se: number;
  t: number;
  df: number;
  p: number;
  ci: [number, number];
}

/** Welch's t-test with Welch-Satterthwaite degrees of freedom and the exact Student-t distribution. */
export function welchTest(control: Summary, treatment: Summary, alpha = 0.05): WelchResult {
  const va = control.variance / control.n;
  const vb = treatment.variance / treatment.n;
  const se = Math.sqrt(va + vb);
  const diff = treatment.mean - control.mean;
  const df = (va + vb) ** 2 / (va ** 2 / (control.n - 1) + vb ** 2 / (treatment.n - 1));
  const t = diff / se;
  const p = studentTwoSidedP(t, df);
  const half = studentQuantile(1 - alpha / 2, df) * se;
  return { diff, se, t, df, p, ci: [diff - half, diff + half] };
}

/** Relative lift of treatment over control with a delta-method interval. */
export interface LiftResult {
  lift: number;
  se: number;
  ci: [number, number];
}

/** Relative lift (treatment / control - 1), independent arms, standard error by the delta method. */
export function relativeLift(control: Summary, treatment: Summary, alpha = 0.05): LiftResult {
  const ma = control.mean;
  const mb = treatment.mean;
  const lift = mb / ma - 1;
  const variance = treatment.variance / treatment.n / ma ** 2 + (mb ** 2 * control.variance) / control.n / ma ** 4;
  const se = Math.sqrt(variance);
  const z = normalQ(1 - alpha / 2);
  return { lift, se, ci: [lift - z * se, lift + z * se] };
}

/**
 * Minimum sample size per arm for a two-sided test of a difference `effect` between two means with
 * standard deviations `sdControl` and `sdTreatment` (normal approximation).
 */
export function minimumSampleSize(effect: number, sdControl: number, sdTreatment = sdControl, alpha = 0.05, power = 0.8): number {
  const z = normalQ(1 - alpha / 2) + normalQ(power);
  return Math.ceil((z ** 2 * (sdControl ** 2 + sdTreatment ** 2)) / effect ** 2);
}
