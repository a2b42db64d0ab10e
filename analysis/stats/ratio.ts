import { normalQ, normalTwoSidedP } from './distributions.ts';

/**
 * Per-session sums of a request-level metric: over sessions s, Y_s is the metric's sum in the session and
 * N_s its number of requests. Only these six totals are needed.
 */
export interface RatioSums {
  sessions: number;
  sumY: number;
  sumN: number;
  sumYY: number;
  sumNN: number;
  sumYN: number;
}

/** A ratio-of-means estimate (sum Y / sum N) with its delta-method variance. */
export interface RatioEstimate {
  sessions: number;
  requests: number;
  ratio: number;
  variance: number;
}

/** The ratio metric and the delta-method variance of the ratio of two session-level means. */
export function ratioEstimate(s: RatioSums): RatioEstimate {
  const n = s.sessions;
  const ratio = s.sumY / s.sumN;
  const meanY = s.sumY / n;
  const meanN = s.sumN / n;
  const varY = (s.sumYY - n * meanY * meanY) / (n - 1);
  const varN = (s.sumNN - n * meanN * meanN) / (n - 1);
  const cov = (s.sumYN - n * meanY * meanN) / (n - 1);
  const variance = Math.max(0, varY - 2 * ratio * cov + ratio * ratio * varN) / (n * meanN * meanN);
  return { sessions: n, requests: s.sumN, ratio, variance };
}

/** Difference of two independent ratio metrics (treatment minus control), normal test and interval. */
export interface RatioComparison {
  control: RatioEstimate;
  treatment: RatioEstimate;
  diff: number;
  se: number;
  z: number;
  p: number;
  ci: [number, number];
}

/** Session-level comparison of a per-request metric between arms randomised by session. */
export function compareRatios(control: RatioSums, treatment: RatioSums, alpha = 0.05): RatioComparison {
  const a = ratioEstimate(control);
  const b = ratioEstimate(treatment);
  const diff = b.ratio - a.ratio;
  const se = Math.sqrt(a.variance + b.variance);
  const z = diff / se;
  const half = normalQ(1 - alpha / 2) * se;
  return { control: a, treatment: b, diff, se, z, p: normalTwoSidedP(z), ci: [diff - half, diff + half] };
}
