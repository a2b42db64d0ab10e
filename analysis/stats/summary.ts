/** Sufficient statistics of one sample: size, mean and unbiased variance. */
export interface Summary {
  n: number;
  mean: number;
  variance: number;
}

/** Summary of raw values, by two passes (stable). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = n > 0 ? sum / n : Number.NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return { n, mean, variance: n > 1 ? ss / (n - 1) : Number.NaN };
}

/** Summary from a count, a sum and a sum of squares (what SQL aggregates return). */
export function fromSums(n: number, sum: number, sumSq: number): Summary {
  if (n <= 0) return { n: 0, mean: Number.NaN, variance: Number.NaN };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : Number.NaN;
  return { n, mean, variance };
}
