import { nearestRank } from '../../analysis/stats/nearest-rank.ts';

/** A P95 by nearest rank with a distribution-free confidence interval. */
export interface P95Estimate {
  p95: number;
  /** Order statistics whose ranks bound the 95th percentile's rank at about 95% confidence each way. */
  lower: number;
  upper: number;
}

const Z_ONE_SIDED_95 = 1.6448536269514722;

/**
 * P95 of ascending-sorted values by nearest rank, with order-statistic bounds: the count of values below
 * the true P95 is Binomial(n, 0.95), so ranks n*0.95 -+ z*sqrt(n*0.95*0.05) (normal approximation) bound
 * it. A few slow outliers in a small window move the point estimate, not the lower bound.
 */
export function p95WithBounds(sorted: ArrayLike<number>): P95Estimate | null {
  if (sorted.length === 0) return null;
  const ranks = p95Ranks(sorted.length);
  const at = (rank: number): number => sorted[rank - 1]!;
  return { p95: at(ranks.p95), lower: at(ranks.lower), upper: at(ranks.upper) };
}

/** The 1-based ranks (within 1..n) of the P95 and its bounds among `n` > 0 sorted values. */
export function p95Ranks(n: number): P95Estimate {
  const clamp = (rank: number): number => Math.min(n, Math.max(1, rank));
  const mean = 0.95 * n;
  const spread = Z_ONE_SIDED_95 * Math.sqrt(n * 0.95 * 0.05);
  return { p95: clamp(nearestRank(95, n)), lower: clamp(Math.floor(mean - spread)), upper: clamp(Math.ceil(mean + spread) + 1) };
}
