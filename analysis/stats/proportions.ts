import { chiSquareSurvival, normalQ, normalTwoSidedP } from './distributions.ts';

/** Two-proportion comparison of treatment minus control. */
export interface ProportionResult {
  control: { successes: number; n: number; rate: number };
  treatment: { successes: number; n: number; rate: number };
  diff: number;
  /** Pooled-variance z statistic (the test); its square is the uncorrected 2x2 chi-square. */
  z: number;
  p: number;
  /** Wald interval of the difference, unpooled variance. */
  ci: [number, number];
}

/** Two-sided two-proportion z-test with a Wald confidence interval of the difference. */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number, alpha = 0.05): ProportionResult {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const seTest = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const diff = p2 - p1;
  const z = seTest > 0 ? diff / seTest : 0;
  const seCi = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const half = normalQ(1 - alpha / 2) * seCi;
  return {
    control: { successes: x1, n: n1, rate: p1 },
    treatment: { successes: x2, n: n2, rate: p2 },
    diff,
    z,
    p: seTest > 0 ? normalTwoSidedP(z) : 1,
    ci: [diff - half, diff + half],
  };
}

/** Sample-ratio-mismatch check: chi-square goodness of fit of observed counts to expected shares. */
export interface SrmResult {
  chi2: number;
  df: number;
  p: number;
  mismatch: boolean;
}

/** Chi-square test of observed unit counts against the designed shares; flags a mismatch at p < threshold. */
export function sampleRatioMismatch(observed: number[], shares: number[], threshold = 0.001): SrmResult {
  const total = observed.reduce((s, x) => s + x, 0);
  const shareSum = shares.reduce((s, x) => s + x, 0);
  let chi2 = 0;
  observed.forEach((o, i) => {
    const e = (total * shares[i]!) / shareSum;
    chi2 += (o - e) ** 2 / e;
  });
  const df = observed.length - 1;
  const p = chiSquareSurvival(chi2, df);
  return { chi2, df, p, mismatch: p < threshold };
}
