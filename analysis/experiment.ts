import { assignmentSrm, type AssignmentSrm } from './assignment-check.ts';
import type { SplitChange } from './assignment-history.ts';
import { decide, type DecisionResult } from './decision.ts';
import type { AssignmentCounts } from './queries/assignment.ts';
import type { ArmSums, OutcomeSums } from './queries/experiments.ts';
import { adjustedRateVariance, marginTest, type MarginTest } from './stats/guardrail.ts';
import { benjaminiHochberg, holm } from './stats/multiplicity.ts';
import { twoProportionTest, type ProportionResult } from './stats/proportions.ts';
import { compareRatios, ratioEstimate, type RatioComparison, type RatioSums } from './stats/ratio.ts';
import { sequentialLook, tuneForSampleSize, tuneMixture, type SequentialLook } from './stats/sequential.ts';
import { fromSums } from './stats/summary.ts';
import { minimumSampleSize, relativeLift, welchTest, type LiftResult, type WelchResult } from './stats/welch.ts';
import type { AnalysisSettings } from './settings.ts';

/** What the configuration says about an experiment (absent for one only seen in the data). */
export interface ExperimentMeta {
  id: string;
  intent: string | null;
  /** The split in the configuration analysed: the expected share of sessions whose share is known nowhere else. */
  split: number | null;
  /** The split over time from the config store's audit log, when it was read. */
  history?: SplitChange[];
}

/**
 * One test that enters the multiplicity correction, with the p-value valid at this look: `always-valid` for a
 * test that may act at any look (the error guardrail; quality before the planned sample size), `fixed` for a
 * fixed-horizon test at or after its planned size, `pending` (p = 1) for a fixed-horizon test before it.
 */
export interface TestedMetric {
  metric: string;
  basis: 'always-valid' | 'fixed' | 'pending';
  p: number;
  adjustedP: number;
}

/** Everything the report says about one experiment. */
export interface ExperimentReport {
  id: string;
  intent: string | null;
  arms: {
    arm: string;
    configId: string;
    sessions: number;
    requests: number;
    errorRate: number;
    /** Share of the arm's requests a fallback configuration answered (kept in errors and cost, never scored). */
    fallbackShare: number;
    scored: number;
    meanQuality: number;
    costPerRequest: number;
  }[];
  /** Combined over periods of constant assignment; null when no session's expected share is known. */
  srm: AssignmentSrm | null;
  quality: {
    session: RatioComparison;
    naive: WelchResult;
    lift: LiftResult;
    sequential: SequentialLook;
    minimumScoredPerArm: number;
    ready: boolean;
  };
  /** Two-sided fixed-horizon comparison of the error rates (descriptive; the guardrail below decides). */
  errors: ProportionResult;
  /** The error-rate guardrail: always-valid one-sided test against the non-inferiority margin. */
  errorGuardrail: MarginTest;
  outcomes: { cartAdd: ProportionResult | null; escalated: ProportionResult | null; sessionDuration: WelchResult | null };
  costDeltaPerRequest: number;
  /** Always-valid interval of the cost delta per request (session level), at alpha. */
  costInterval: [number, number];
  costDeltaPerMonth: number | null;
  tests: TestedMetric[];
  decision: DecisionResult;
}

function proportionOf(outcomes: OutcomeSums[], metric: OutcomeSums['metric'], alpha: number): ProportionResult | null {
  const c = outcomes.find((o) => o.arm === 'control' && o.metric === metric);
  const t = outcomes.find((o) => o.arm === 'treatment' && o.metric === metric);
  return c && t && c.n > 0 && t.n > 0 ? twoProportionTest(c.sum, c.n, t.sum, t.n, alpha) : null;
}

function durationOf(outcomes: OutcomeSums[], alpha: number): WelchResult | null {
  const c = outcomes.find((o) => o.arm === 'control' && o.metric === 'session_duration_s');
  const t = outcomes.find((o) => o.arm === 'treatment' && o.metric === 'session_duration_s');
  return c && t && c.n > 1 && t.n > 1 ? welchTest(fromSums(c.n, c.sum, c.sumSq), fromSums(t.n, t.sum, t.sumSq), alpha) : null;
}

/** Each arm's sessions as one period with no recorded assignment (the check against the configuration's split). */
function wholeArms(c: ArmSums, t: ArmSums): AssignmentCounts[] {
  const group = (arm: AssignmentCounts['arm'], sessions: number): AssignmentCounts => ({
    arm,
    configVersion: null,
    expectedShare: null,
    period: 0,
    sessions,
  });
  return [group('control', c.session.sessions), group('treatment', t.session.sessions)];
}

/**
 * Variance of an arm's error rate: the session-level delta-method one (requests of a session fail together
 * more often than apart), never below the Agresti-Caffo binomial one (an arm with no errors yet is uncertain).
 */
function errorVariance(a: ArmSums): number {
  const session = ratioEstimate(a.errorSession).variance;
  return Math.max(Number.isFinite(session) ? session : 0, adjustedRateVariance(a.errors, a.requests));
}

/**
 * Always-valid interval of treatment minus control cost per request, each a session-level ratio of sums; the
 * mixture is tuned to be tightest at `sequentialNStar` sessions per arm at the observed per-session spread.
 */
function costInterval(c: RatioSums, t: RatioSums, s: AnalysisSettings): [number, number] {
  const a = ratioEstimate(c);
  const b = ratioEstimate(t);
  const variance = a.variance + b.variance;
  const diff = b.ratio - a.ratio;
  if (!(variance > 0)) return [diff, diff];
  const atNStar = (variance * Math.min(c.sessions, t.sessions)) / s.sequentialNStar;
  const look = sequentialLook(diff, variance, tuneMixture(atNStar, s.alpha));
  return [look.lower, look.upper];
}

/**
 * The experiment's family of tests, each with the p-value valid at this look. The error guardrail always
 * enters with its always-valid p-value; quality with its always-valid one (1 / likelihood ratio) before the
 * planned sample size and its fixed-horizon one at it; the session outcomes, which decide nothing, with their
 * fixed-horizon p-value at the planned size and 1 before it. The family's size does not change between looks.
 */
function testsOf(
  ready: boolean,
  sequential: SequentialLook,
  qualityP: number,
  errors: MarginTest,
  outcomes: [string, { p: number } | null][],
): TestedMetric[] {
  // A p-value that is undefined (NaN: no spread in either arm yet) is no evidence: it enters as 1, since one NaN
  // would make every later adjusted p-value of the family NaN and silence all of its tests, other experiments' too.
  const test = (metric: string, basis: TestedMetric['basis'], raw: number): TestedMetric => {
    const p = Number.isNaN(raw) ? 1 : raw;
    return { metric, basis, p, adjustedP: p };
  };
  const tests = [
    ready ? test('quality', 'fixed', qualityP) : test('quality', 'always-valid', Math.min(1, 1 / sequential.likelihoodRatio)),
    test('errors', 'always-valid', errors.pWorse),
  ];
  for (const [metric, r] of outcomes) if (r) tests.push(ready ? test(metric, 'fixed', r.p) : test(metric, 'pending', 1));
  return tests;
}

/**
 * Analyses one experiment from its arm sums; `monthlyRequests` (the experiment's share of projected traffic)
 * turns the cost delta into a monthly figure. Returns null unless both arms have scored sessions.
 * The decision is provisional until `correctAndDecide` has adjusted the p-values across experiments. `assignment`
 * (sessions by their first request's assignment) drives the sample-ratio check; without it, each arm's sessions
 * are checked against `meta.split`.
 */
export function analyzeExperiment(
  meta: ExperimentMeta,
  arms: ArmSums[],
  outcomes: OutcomeSums[],
  s: AnalysisSettings,
  monthlyRequests: number | null,
  assignment?: AssignmentCounts[],
): ExperimentReport | null {
  const c = arms.find((a) => a.arm === 'control');
  const t = arms.find((a) => a.arm === 'treatment');
  if (!c || !t || c.scored < 2 || t.scored < 2 || c.session.sessions < 2 || t.session.sessions < 2) return null;
  const qc = fromSums(c.scored, c.qualitySum, c.qualitySumSq);
  const qt = fromSums(t.scored, t.qualitySum, t.qualitySumSq);
  const session = compareRatios(c.session, t.session, s.alpha);
  const sequential = sequentialLook(session.diff, session.se ** 2, tuneForSampleSize(s.sequentialNStar, s.sequentialSd, s.alpha));
  const minimumScoredPerArm = minimumSampleSize(s.minEffect, Math.sqrt(qc.variance), Math.sqrt(qt.variance), s.alpha, s.power);
  const ready =
    Math.min(c.session.sessions, t.session.sessions) >= s.minSessionsPerArm && Math.min(c.scored, t.scored) >= minimumScoredPerArm;
  const errors = twoProportionTest(c.errors, c.requests, t.errors, t.requests, s.alpha);
  const cartAdd = proportionOf(outcomes, 'cart_add', s.alpha);
  const escalated = proportionOf(outcomes, 'escalated', s.alpha);
  const sessionDuration = durationOf(outcomes, s.alpha);
  const costDeltaPerRequest = t.costUsd / t.requests - c.costUsd / c.requests;
  const errorGuardrail = marginTest(
    t.errors / t.requests - c.errors / c.requests,
    errorVariance(c) + errorVariance(t),
    s.errorMargin,
    s.alpha,
  );
  const tests = testsOf(ready, sequential, session.p, errorGuardrail, [
    ['cart_add', cartAdd],
    ['escalated', escalated],
    ['session_duration_s', sessionDuration],
  ]);
  const report: ExperimentReport = {
    id: meta.id,
    intent: meta.intent,
    arms: [c, t].map((a) => ({
      arm: a.arm,
      configId: a.configId,
      sessions: a.session.sessions,
      requests: a.requests,
      errorRate: a.errors / a.requests,
      fallbackShare: (a.fallbacks ?? 0) / a.requests,
      scored: a.scored,
      meanQuality: a.qualitySum / a.scored,
      costPerRequest: a.costUsd / a.requests,
    })),
    srm: assignmentSrm(assignment ?? wholeArms(c, t), meta.history ?? [], meta.split, s.srmThreshold),
    quality: { session, naive: welchTest(qc, qt, s.alpha), lift: relativeLift(qc, qt, s.alpha), sequential, minimumScoredPerArm, ready },
    errors,
    errorGuardrail,
    outcomes: { cartAdd, escalated, sessionDuration },
    costDeltaPerRequest,
    costInterval: costInterval(c.costSession, t.costSession, s),
    costDeltaPerMonth: monthlyRequests === null ? null : costDeltaPerRequest * monthlyRequests,
    tests,
    decision: { decision: 'CONTINUE', reason: 'pending' },
  };
  return report;
}

/** The tests a decision acts on; the session outcomes are reported, never acted on. */
const DECIDING = new Set(['quality', 'errors']);

/** Adjusts one family of tests in place (Holm or Benjamini-Hochberg). */
function adjustFamily(tests: TestedMetric[], s: AnalysisSettings): void {
  const adjusted = (s.correction === 'holm' ? holm : benjaminiHochberg)(tests.map((x) => x.p));
  tests.forEach((x, i) => {
    x.adjustedP = adjusted[i]!;
  });
}

/**
 * Adjusts the p-values of every experiment together (Holm or Benjamini-Hochberg), then decides each one. The
 * tests decisions act on (quality and the error guardrail of every experiment) form one family; the session
 * outcomes, which decide nothing, are adjusted in a family of their own, so they cost the decisions no power.
 * Holm needs only that each p-value be valid when it is used, so always-valid and fixed-horizon p-values share
 * one family; with always-valid p-values and a family whose size is the same at every look, its error guarantee
 * holds over all looks, not just one. Benjamini-Hochberg assumes positively dependent p-values at the look.
 */
export function correctAndDecide(reports: ExperimentReport[], s: AnalysisSettings): void {
  const all = reports.flatMap((r) => r.tests);
  adjustFamily(
    all.filter((x) => DECIDING.has(x.metric)),
    s,
  );
  adjustFamily(
    all.filter((x) => !DECIDING.has(x.metric)),
    s,
  );
  for (const r of reports) {
    const adjustedP = (metric: string): number => r.tests.find((x) => x.metric === metric)!.adjustedP;
    r.decision = decide(
      {
        qualityDiff: r.quality.session.diff,
        qualityCi: r.quality.session.ci,
        qualityP: adjustedP('quality'),
        ready: r.quality.ready,
        srmMismatch: r.srm?.mismatch ?? false,
        errors: { ...r.errorGuardrail, adjustedP: adjustedP('errors') },
        costDeltaPerRequest: r.costDeltaPerRequest,
        costInterval: r.costInterval,
        costDeltaPerMonth: r.costDeltaPerMonth,
      },
      s,
    );
  }
}
