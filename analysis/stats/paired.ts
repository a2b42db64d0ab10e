import { studentQuantile, studentTwoSidedP } from './distributions.ts';
import { summarize } from './summary.ts';

/** A paired t-test of per-pair differences (candidate minus live). */
export interface PairedResult {
  n: number;
  /** Mean difference. */
  diff: number;
  se: number;
  t: number;
  df: number;
  /** Two-sided p; null with fewer than two pairs or no variance. */
  p: number | null;
  ci: [number, number] | null;
}

/**
 * Paired t-test on differences, with n - 1 degrees of freedom and the exact Student-t distribution. Each pair is
 * the same request answered by both configurations, so the request's own difficulty cancels out.
 */
export function pairedTTest(diffs: readonly number[], alpha = 0.05): PairedResult {
  const s = summarize(diffs);
  const df = s.n - 1;
  if (s.n < 2 || !(s.variance > 0)) return { n: s.n, diff: s.n ? s.mean : Number.NaN, se: 0, t: Number.NaN, df, p: null, ci: null };
  const se = Math.sqrt(s.variance / s.n);
  const t = s.mean / se;
  const half = studentQuantile(1 - alpha / 2, df) * se;
  return { n: s.n, diff: s.mean, se, t, df, p: studentTwoSidedP(t, df), ci: [s.mean - half, s.mean + half] };
}
