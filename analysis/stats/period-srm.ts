import { chiSquareSurvival } from './distributions.ts';
import type { SrmResult } from './proportions.ts';

/** Sessions first seen during one period of constant assignment, by the arm they were first routed to. */
export interface AssignmentPeriod {
  /** Share of new sessions the treatment received in this period (0..1). */
  treatmentShare: number;
  control: number;
  treatment: number;
}

/** A sample-ratio check combined over periods, with its totals. */
export interface PeriodSrmResult extends SrmResult {
  /** Sessions observed per arm, [control, treatment]. */
  observed: [number, number];
  /** Sessions expected per arm, [control, treatment]: the sum over periods of sessions x share. */
  expected: [number, number];
}

/**
 * Sample-ratio-mismatch test across periods of constant assignment (a split change starts a new period).
 *
 * Each session is counted once, in the period where it was first seen, by the arm of that first request. Under
 * correct assignment that arm is treatment with probability s_p, the share in force then, independently across
 * sessions, so the treatment count T is a sum of independent Bernoulli(s_p): mean E = sum_p n_p s_p and exact
 * variance V = sum_p n_p s_p (1 - s_p). The statistic is chi2 = (T - E)^2 / V with 1 degree of freedom.
 *
 * With one period it is exactly Pearson's goodness-of-fit chi-square of [control, treatment] against the shares
 * [1 - s, s] (the test `sampleRatioMismatch` runs). Across periods it keeps the exact variance: Pearson's test on
 * the summed expected counts alone would assume the variance N s̄ (1 - s̄) of one pooled share s̄, which is larger
 * than V whenever the shares differ (by the spread of s_p), and so would miss real mismatches. A split change is
 * never a mismatch: each session is compared with the share it was randomised under.
 *
 * A treatment session in a period whose share is 0 (or a control session at share 1) cannot happen under correct
 * assignment: the result is chi2 = Infinity, p = 0. Returns null when there are no sessions.
 */
export function periodSampleRatioMismatch(periods: AssignmentPeriod[], threshold = 0.001): PeriodSrmResult | null {
  let control = 0;
  let treatment = 0;
  let expectedTreatment = 0;
  let variance = 0;
  let impossible = false;
  for (const p of periods) {
    const n = p.control + p.treatment;
    const s = p.treatmentShare;
    if (!(s >= 0 && s <= 1)) throw new Error(`treatment share must lie in [0, 1], got ${s}`);
    control += p.control;
    treatment += p.treatment;
    expectedTreatment += n * s;
    variance += n * s * (1 - s);
    if ((s === 0 && p.treatment > 0) || (s === 1 && p.control > 0)) impossible = true;
  }
  const total = control + treatment;
  if (total === 0) return null;
  const gap = treatment - expectedTreatment;
  const chi2 = impossible ? Number.POSITIVE_INFINITY : variance > 0 ? gap ** 2 / variance : 0;
  const p = Number.isFinite(chi2) ? chiSquareSurvival(chi2, 1) : 0;
  const expected: [number, number] = [total - expectedTreatment, expectedTreatment];
  return { chi2, df: 1, p, mismatch: p < threshold, observed: [control, treatment], expected };
}
