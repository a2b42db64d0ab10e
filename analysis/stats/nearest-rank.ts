/**
 * Nearest-rank percentiles, the one definition every part uses (analysis on SQLite and on the warehouse,
 * offline evaluation, canary windows): with n values sorted ascending, percentile p (in percent) is the value
 * at 1-based rank ceil(p * n / 100), always an observed value.
 */

/** 1-based nearest rank of percentile `p` (percent) among `n` values, computed in integers (no floating-point edge). */
export function nearestRank(p: number, n: number): number {
  return Math.floor((p * n + 99) / 100);
}

/** Percentile `p` (percent) of ascending-sorted values by nearest rank; null for none. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.max(1, nearestRank(p, sorted.length)) - 1]!;
}
