import { adjustedRateVariance, marginTest, rateMarginTest, type MarginTest } from '../../analysis/stats/guardrail.ts';
import { sampleRatioMismatch } from '../../analysis/stats/proportions.ts';
import { ratioEstimate, type RatioSums } from '../../analysis/stats/ratio.ts';
import { sequentialLook, tuneMixture } from '../../analysis/stats/sequential.ts';
import type { ArmFigures, CanaryGates, DecisionFigures, ReferenceArm } from './schema.ts';

/** Live traffic of one arm in one window: its figures plus what the tests need. */
export interface ArmWindow {
  figures: ArmFigures;
  /** Distinct sessions with live requests on the arm: the randomisation unit of the split. */
  sessions: number;
  /** Failed requests (non-2xx or an error code). */
  errors: number;
  /** Session-level sums of quality scores (Y) over scored requests (N), for the delta method; null when none. */
  sums: RatioSums | null;
  /** Confidence bounds of the P95 latency (see quantile.ts); null without successful requests. */
  p95Bounds: { lower: number; upper: number } | null;
  /** Sum of squared costs of the successful requests (their spread); null when unknown. */
  costSumSq: number | null;
}

/** Candidate and baseline over the same window. */
export interface WindowFigures {
  candidate: ArmWindow;
  baseline: ArmWindow;
}

/** What the gates say about a window. */
export interface GateVerdict {
  kind: 'promote' | 'hold' | 'rollback' | 'pause';
  /** True for a hold caused by too few samples or an undecided interval (the time-out counts these). */
  inconclusive: boolean;
  reason: string;
  figures: DecisionFigures;
}

/** An arm with no traffic. */
export function emptyArm(): ArmWindow {
  return {
    figures: { requests: 0, scored: 0, quality: null, p95LatencyMs: null, errorRate: null, costPerRequest: null },
    sessions: 0,
    errors: 0,
    sums: null,
    p95Bounds: null,
    costSumSq: null,
  };
}

/**
 * Always-valid interval of the relative quality difference candidate / baseline - 1. Each arm's mean is a
 * session-level ratio of sums (delta method); the relative difference's variance follows by the delta
 * method again. The mixture is tuned on the window's own variance. Null without two scored sessions per arm.
 */
export function qualityDelta(
  candidate: RatioSums | null,
  baseline: RatioSums | null,
  alpha: number,
): { estimate: number; lower: number; upper: number } | null {
  if (!candidate || !baseline || candidate.sessions < 2 || baseline.sessions < 2 || candidate.sumN <= 0 || baseline.sumN <= 0) return null;
  const c = ratioEstimate(candidate);
  const b = ratioEstimate(baseline);
  if (b.ratio <= 0) return null;
  const estimate = c.ratio / b.ratio - 1;
  const variance = c.variance / b.ratio ** 2 + (c.ratio ** 2 * b.variance) / b.ratio ** 4;
  if (!(variance > 0)) return { estimate, lower: estimate, upper: estimate };
  const look = sequentialLook(estimate, variance, tuneMixture(variance, alpha));
  return { estimate, lower: look.lower, upper: look.upper };
}

function srmP(window: WindowFigures, weight: number): number | null {
  const { candidate, baseline } = window;
  if (weight <= 0 || weight >= 100 || candidate.sessions + baseline.sessions === 0) return null;
  return sampleRatioMismatch([candidate.sessions, baseline.sessions], [weight, 100 - weight]).p;
}

/** The baseline to compare with: this window's, or at full weight the reference from the last shared window. */
function baselineOf(window: WindowFigures, weight: number, reference: ReferenceArm | null): ArmWindow | null {
  if (weight < 100) return window.baseline;
  return reference
    ? {
        figures: reference.figures,
        sessions: 0,
        errors: reference.errors,
        sums: reference.sums,
        p95Bounds: reference.p95Bounds,
        costSumSq: reference.costSumSq,
      }
    : null;
}

/**
 * The error-rate guardrail of a window: candidate minus baseline error rate against the margin
 * `errorRateMaxDelta`, one-sided and always valid (analysis/stats/guardrail.ts). Null without both rates.
 */
export function errorGuardrail(c: ArmWindow, b: ArmWindow | null, gates: CanaryGates): MarginTest | null {
  const bf = b?.figures;
  if (!b || !bf || c.figures.requests === 0 || bf.requests === 0) return null;
  return rateMarginTest(b.errors, bf.requests, c.errors, c.figures.requests, gates.errorRateMaxDelta, ERROR_ALPHA);
}

/** Mean cost per successful request and the variance of that mean (0 when the spread is unknown). */
function meanCost(a: ArmWindow): { mean: number; variance: number } | null {
  const n = a.figures.requests - a.errors;
  const mean = a.figures.costPerRequest;
  if (mean === null || n <= 0) return null;
  const perRequest = a.costSumSq === null || n < 2 ? 0 : Math.max(0, (a.costSumSq - n * mean * mean) / (n - 1));
  return { mean, variance: perRequest / n };
}

/**
 * The cost guardrail of a window: the relative excess of the candidate's cost per successful request over the
 * baseline's, against the margin `costRelativeMax`, one-sided and always valid (delta-method variance). With the
 * spread unknown (a reference stored before it was kept) it is the point comparison. Null without both costs.
 */
export function costGuardrail(c: ArmWindow, b: ArmWindow | null, gates: CanaryGates): MarginTest | null {
  const mc = meanCost(c);
  const mb = b && meanCost(b);
  if (!mc || !mb || mb.mean <= 0) return null;
  const variance = mc.variance / mb.mean ** 2 + (mc.mean ** 2 * mb.variance) / mb.mean ** 4;
  return marginTest(mc.mean / mb.mean - 1, variance, gates.costRelativeMax, ERROR_ALPHA);
}

function rollbackReasons(
  c: ArmWindow,
  b: ArmWindow | null,
  gates: CanaryGates,
  enoughScores: boolean,
  errors: MarginTest | null,
): string[] {
  const reasons: string[] = [];
  const cf = c.figures;
  const bf = b?.figures;
  if (cf.p95LatencyMs !== null) {
    // The candidate's lower bound against the baseline's upper bound: a slow outlier or two in a small window
    // is not a regression, a whole slow tail is.
    const candidateLow = c.p95Bounds?.lower ?? cf.p95LatencyMs;
    const baselineHigh = b?.p95Bounds?.upper ?? bf?.p95LatencyMs ?? null;
    if (candidateLow > gates.slaP95Ms && (bf?.p95LatencyMs == null || bf.p95LatencyMs <= gates.slaP95Ms)) {
      reasons.push(`candidate P95 ${ms(cf.p95LatencyMs)} (at least ${ms(candidateLow)}) is above the ${gates.slaP95Ms} ms SLA`);
    }
    if (bf?.p95LatencyMs != null && baselineHigh !== null && candidateLow > baselineHigh * (1 + gates.p95RelativeMax)) {
      reasons.push(
        `candidate P95 ${ms(cf.p95LatencyMs)} vs baseline ${ms(bf.p95LatencyMs)} (+${pct(cf.p95LatencyMs / bf.p95LatencyMs - 1)}; bounds ${ms(candidateLow)} vs ${ms(baselineHigh)}, limit +${pct(gates.p95RelativeMax)})`,
      );
    }
  }
  if (cf.errorRate !== null && aboveCeiling(c.errors, cf.requests, gates.errorRateMax)) {
    reasons.push(`candidate error rate ${pct(cf.errorRate)} is above the ${pct(gates.errorRateMax)} ceiling`);
  }
  if (errors?.worse && cf.errorRate !== null && bf?.errorRate != null) {
    reasons.push(
      `candidate error rate ${pct(cf.errorRate)} vs baseline ${pct(bf.errorRate)}: ${points(errors)} points, above the +${pct(gates.errorRateMaxDelta)} limit`,
    );
  }
  const cost = costGuardrail(c, b, gates);
  if (cost?.worse && cf.costPerRequest !== null && bf?.costPerRequest != null) {
    const excess = `+${pct(cost.estimate)}, always-valid interval [${pct(cost.lower)}, ${pct(cost.upper)}]`;
    reasons.push(
      `candidate cost per request $${cf.costPerRequest.toFixed(5)} vs baseline $${bf.costPerRequest.toFixed(5)} (${excess}; limit +${pct(gates.costRelativeMax)})`,
    );
  }
  if (enoughScores && cf.quality !== null && cf.quality < gates.qualityFloor) {
    reasons.push(`candidate quality ${cf.quality.toFixed(3)} is below the floor ${gates.qualityFloor}`);
  }
  return reasons;
}

// The error gates need a clear excess: small windows hold few errors, and a z-test on two or three is loose.
const ERROR_ALPHA = 0.01;

const points = (g: MarginTest): string => `${pct(g.estimate)} (always-valid interval [${pct(g.lower)}, ${pct(g.upper)}])`;

/**
 * Whether `errors` of `requests` is shown above the rate `ceiling`: the same one-sided always-valid test as the
 * comparison with the baseline, at ERROR_ALPHA, its variance from the rate with one error and one success added.
 */
function aboveCeiling(errors: number, requests: number, ceiling: number): boolean {
  if (requests === 0) return false;
  return marginTest(errors / requests, adjustedRateVariance(errors, requests), ceiling, ERROR_ALPHA).worse;
}

const ms = (x: number): string => `${Math.round(x)} ms`;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Judges one window: too few samples holds (never promotes); a sample-ratio mismatch pauses; any failed
 * gate (latency, errors shown above the +errorRateMaxDelta margin, error ceiling, cost, quality floor, quality
 * interval wholly below -margin) rolls back; without baseline figures it holds; the quality interval's lower
 * bound above -margin promotes, except that the last stage (`lastStage`) completes only once the error rate is
 * also shown within the margin (earlier stages leave that to the next, larger share); anything else holds.
 */
export function evaluateGates(
  window: WindowFigures,
  weight: number,
  gates: CanaryGates,
  minSamples: number,
  reference: ReferenceArm | null,
  lastStage = weight >= 100,
): GateVerdict {
  const c = window.candidate;
  const b = baselineOf(window, weight, reference);
  const delta = qualityDelta(c.sums, b?.sums ?? null, gates.qualityAlpha);
  const figures: DecisionFigures = {
    candidate: c.figures,
    baseline: b?.figures ?? emptyArm().figures,
    qualityDelta: delta,
    srmP: srmP(window, weight),
  };
  const verdict = (kind: GateVerdict['kind'], reason: string, inconclusive = false): GateVerdict => ({
    kind,
    inconclusive,
    reason,
    figures,
  });

  const enoughRequests = c.figures.requests >= minSamples && (b === null || b.figures.requests >= minSamples);
  if (!enoughRequests)
    return verdict(
      'hold',
      `too few live requests (candidate ${c.figures.requests}, baseline ${b?.figures.requests ?? 0}; need ${minSamples} each)`,
      true,
    );
  if (figures.srmP !== null && figures.srmP < gates.srmThreshold) {
    return verdict(
      'pause',
      `sample-ratio mismatch: ${c.sessions} candidate vs ${window.baseline.sessions} baseline sessions at weight ${weight}% (p = ${figures.srmP.toExponential(2)})`,
    );
  }
  const enoughScores = c.figures.scored >= minSamples && (b === null || b.figures.scored >= minSamples);
  const errors = errorGuardrail(c, b, gates);
  const failed = rollbackReasons(c, b, gates, enoughScores, errors);
  if (delta && enoughScores && delta.upper < -gates.qualityMargin) {
    failed.push(
      `quality ${pct(delta.estimate)} vs baseline, interval [${pct(delta.lower)}, ${pct(delta.upper)}] wholly below -${pct(gates.qualityMargin)}`,
    );
  }
  if (failed.length > 0) return verdict('rollback', failed.join('; '));
  if (!enoughScores)
    return verdict(
      'hold',
      `too few quality scores (candidate ${c.figures.scored}, baseline ${b?.figures.scored ?? 0}; need ${minSamples} each)`,
      true,
    );
  // Without baseline figures only the absolute gates were checked: never enough to promote or complete.
  if (b === null) return verdict('hold', 'no baseline figures to compare with (no window with baseline traffic before this stage)', true);
  if (!delta) return verdict('hold', 'quality difference not estimable yet', true);
  if (lastStage && errors && !errors.withinMargin) {
    return verdict('hold', `error rate ${points(errors)} points vs baseline, not yet shown within +${pct(gates.errorRateMaxDelta)}`, true);
  }
  if (delta.lower > -gates.qualityMargin) {
    return verdict(
      'promote',
      `all gates pass; quality ${pct(delta.estimate)} vs baseline, interval [${pct(delta.lower)}, ${pct(delta.upper)}] above -${pct(gates.qualityMargin)}`,
    );
  }
  return verdict(
    'hold',
    `quality ${pct(delta.estimate)} vs baseline, interval [${pct(delta.lower)}, ${pct(delta.upper)}] straddles -${pct(gates.qualityMargin)}`,
    true,
  );
}
