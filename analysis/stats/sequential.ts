/**
 * Always-valid inference for a difference of means: the normal-mixture sequential probability ratio test
 * (mSPRT) and its confidence sequence. With the effect estimate's variance V at any look and a normal
 * mixture of variance tau^2 over the effect, the interval
 *   estimate +- sqrt( V (V + tau^2) / tau^2 * log((V + tau^2) / (V alpha^2)) )
 * covers the true effect at every look simultaneously with probability >= 1 - alpha, so it may be watched
 * continuously. tau^2 is tuned so the interval is narrowest when the variance equals the one expected at
 * N* units per arm.
 */

/** Tuning of the mixture. */
export interface SequentialTuning {
  alpha: number;
  /** Mixture variance of the effect. */
  tau2: number;
}

/** The mixture variance that makes the sequence tightest at variance `vStar` (golden-section search). */
export function tuneMixture(vStar: number, alpha = 0.05): SequentialTuning {
  const l = -2 * Math.log(alpha);
  const width = (logR: number): number => {
    const r = Math.exp(logR);
    return (1 + 1 / r) * (l + Math.log(1 + r));
  };
  let lo = -12;
  let hi = 12;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100; i++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (width(a) < width(b)) hi = b;
    else lo = a;
  }
  return { alpha, tau2: Math.exp((lo + hi) / 2) * vStar };
}

/**
 * Tuning for a two-sample comparison planned at `nStar` units per arm with per-unit standard deviation
 * `sd` (a guess; the live test plugs in the observed variance).
 */
export function tuneForSampleSize(nStar: number, sd: number, alpha = 0.05): SequentialTuning {
  return tuneMixture((2 * sd * sd) / nStar, alpha);
}

/** One look at the confidence sequence. */
export interface SequentialLook {
  estimate: number;
  lower: number;
  upper: number;
  /** True once the interval excludes zero: a difference at level alpha, valid under continuous monitoring. */
  significant: boolean;
  /** Mixture likelihood ratio against zero effect; significant when >= 1/alpha. */
  likelihoodRatio: number;
}

/** The confidence sequence at one look, given the effect estimate and its variance. */
export function sequentialLook(estimate: number, variance: number, tuning: SequentialTuning): SequentialLook {
  const { alpha, tau2 } = tuning;
  const v = variance;
  const half = Math.sqrt(((v * (v + tau2)) / tau2) * Math.log((v + tau2) / (v * alpha * alpha)));
  const likelihoodRatio = Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * estimate * estimate) / (2 * v * (v + tau2)));
  return {
    estimate,
    lower: estimate - half,
    upper: estimate + half,
    significant: estimate - half > 0 || estimate + half < 0,
    likelihoodRatio,
  };
}
