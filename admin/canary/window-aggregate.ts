import type { RatioSums } from '../../analysis/stats/ratio.ts';
import type { ArmWindow } from './gates.ts';
import { p95Ranks } from './quantile.ts';

/** The two arms a canary window compares. */
export type Arm = 'canary' | 'baseline';

/** Per-arm counts and cost sums a SQL window source reads in one aggregate. */
export interface ArmCounts {
  requests: number;
  errors: number;
  /** Cost summed over successful requests (unpriced ones count 0). */
  cost: number;
  costSq: number;
  /** Distinct sessions, null and '' counted as one. */
  sessions: number;
}

/** The distinct 1-based latency ranks (P95 and its bounds) to read for an arm with these counts; none when nothing succeeded. */
export function wantedRanks(counts: ArmCounts | undefined): number[] {
  const succeeded = counts ? counts.requests - counts.errors : 0;
  return succeeded > 0 ? [...new Set(Object.values(p95Ranks(succeeded)))] : [];
}

/**
 * One arm's window from its aggregates: the same figures `figuresOfRows` computes from the rows, given the
 * counts, the session-level quality sums and the latencies at the ranks `wantedRanks` asked for.
 */
export function armWindow(counts: ArmCounts | undefined, sums: RatioSums | undefined, latencies: Map<number, number>): ArmWindow {
  const { requests, errors, cost, costSq } = counts ?? { requests: 0, errors: 0, cost: 0, costSq: 0 };
  const succeeded = requests - errors;
  const ranks = succeeded > 0 ? p95Ranks(succeeded) : null;
  const p95 = ranks && { p95: latencies.get(ranks.p95)!, lower: latencies.get(ranks.lower)!, upper: latencies.get(ranks.upper)! };
  return {
    figures: {
      requests,
      scored: sums?.sumN ?? 0,
      quality: sums ? sums.sumY / sums.sumN : null,
      p95LatencyMs: p95?.p95 ?? null,
      errorRate: requests ? errors / requests : null,
      costPerRequest: succeeded ? cost / succeeded : null,
    },
    sessions: counts?.sessions ?? 0,
    errors,
    sums: sums ?? null,
    p95Bounds: p95 && { lower: p95.lower, upper: p95.upper },
    costSumSq: succeeded ? costSq : null,
  };
}
