import { assignmentSrm, type AssignmentSrm } from './assignment-check.ts';
import type { SplitChange } from './assignment-history.ts';
import { decide, type DecisionResult } from './decision.ts';
import type { AssignmentCounts } from './queries/assignment.ts';
import type { ArmSums, OutcomeSums } from './queries/experiments.ts';
import { benjaminiHochberg, holm } from './stats/multiplicity.ts';
import { twoProportionTest, type ProportionResult } from './stats/proportions.ts';
import { compareRatios, type RatioComparison } from './stats/ratio.ts';
import { sequentialLook, tuneForSampleSize, type SequentialLook } from './stats/sequential.ts';
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

/** One test that enters the multiplicity correction. */
export interface TestedMetric {
  metric: string;
  p: number;
  adjustedP: number;
}

/** Everything the report says about one experiment. */
export interface ExperimentReport {
  id: string;
  intent: string | null;
  arms: { arm: string; configId: string; sessions: number; requests: number; errorRate: number; scored: number; meanQuality: number; costPerRequest: number }[];
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
  errors: ProportionResult;
  outcomes: { cartAdd: ProportionResult | null; escalated: ProportionResult | null; sessionDuration: WelchResult | null };
  costDeltaPerRequest: number;
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
  const group = (arm: AssignmentCounts['arm'], sessions: number): AssignmentCounts =>
    ({ arm, configVersion: null, expectedShare: null, period: 0, sessions });
  return [group('control', c.session.sessions), group('treatment', t.session.sessions)];
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
  const ready = Math.min(c.session.sessions, t.session.sessions) >= s.minSessionsPerArm && Math.min(c.scored, t.scored) >= minimumScoredPerArm;
  const errors = twoProportionTest(c.errors, c.requests, t.errors, t.requests, s.alpha);
  const cartAdd = proportionOf(outcomes, 'cart_add', s.alpha);
  const escalated = proportionOf(outcomes, 'escalated', s.alpha);
  const sessionDuration = durationOf(outcomes, s.alpha);
  const costDeltaPerRequest = t.costUsd / t.requests - c.costUsd / c.requests;
  const tests: TestedMetric[] = [{ metric: 'quality', p: session.p, adjustedP: session.p }];
  if (cartAdd) tests.push({ metric: 'cart_add', p: cartAdd.p, adjustedP: cartAdd.p });
  if (escalated) tests.push({ metric: 'escalated', p: escalated.p, adjustedP: escalated.p });
  if (sessionDuration) tests.push({ metric: 'session_duration_s', p: sessionDuration.p, adjustedP: sessionDuration.p });
  const report: ExperimentReport = {
    id: meta.id,
    intent: meta.intent,
    arms: [c, t].map((a) => ({
      arm: a.arm,
      configId: a.configId,
      sessions: a.session.sessions,
      requests: a.requests,
      errorRate: a.errors / a.requests,
      scored: a.scored,
      meanQuality: a.qualitySum / a.scored,
      costPerRequest: a.costUsd / a.requests,
    })),
    srm: assignmentSrm(assignment ?? wholeArms(c, t), meta.history ?? [], meta.split, s.srmThreshold),
    quality: { session, naive: welchTest(qc, qt, s.alpha), lift: relativeLift(qc, qt, s.alpha), sequential, minimumScoredPerArm, ready },
    errors,
    outcomes: { cartAdd, escalated, sessionDuration },
    costDeltaPerRequest,
    costDeltaPerMonth: monthlyRequests === null ? null : costDeltaPerRequest * monthlyRequests,
    tests,
    decision: { decision: 'CONTINUE', reason: 'pending' },
  };
  return report;
}

/** Adjusts every experiment's p-values together (Holm or Benjamini-Hochberg), then decides each one. */
export function correctAndDecide(reports: ExperimentReport[], s: AnalysisSettings): void {
  const all = reports.flatMap((r) => r.tests);
  const adjusted = (s.correction === 'holm' ? holm : benjaminiHochberg)(all.map((x) => x.p));
  all.forEach((x, i) => (x.adjustedP = adjusted[i]!));
  for (const r of reports) {
    r.decision = decide(
      {
        qualityDiff: r.quality.session.diff,
        qualityCi: r.quality.session.ci,
        adjustedP: r.tests[0]!.adjustedP,
        sequentialSignificant: r.quality.sequential.significant,
        ready: r.quality.ready,
        srmMismatch: r.srm?.mismatch ?? false,
        errorsWorse: r.errors.diff > 0 && r.errors.p < s.alpha,
        costDeltaPerRequest: r.costDeltaPerRequest,
        costDeltaPerMonth: r.costDeltaPerMonth,
      },
      s,
    );
  }
}
