import { assignmentSrm, type AssignmentSrm } from './assignment-check.ts';
import type { ExperimentMeta } from './experiment.ts';
import type { AssignmentCounts } from './queries/assignment.ts';
import type { ArmSums } from './queries/experiments.ts';
import type { AnalysisSettings } from './settings.ts';

/**
 * An experiment seen in live traffic that cannot be compared (an arm without sessions, or with fewer than two
 * scored ones: e.g. a treatment whose every request fails, or whose sessions are lost). It gets no decision, but
 * it is listed with why, what each arm holds, and its sample-ratio check, so the worst failures are never silent.
 */
export interface UnanalysedExperiment {
  id: string;
  intent: string | null;
  reason: string;
  arms: { arm: string; configId: string | null; sessions: number; requests: number; errors: number; scored: number }[];
  /** The same per-period check as an analysed experiment's; null when no session's share is known. */
  srm: AssignmentSrm | null;
}

/** Scored sessions an arm needs before the comparison is made (the session-level variance needs two). */
const MIN_SCORED = 2;

function armOf(arms: readonly ArmSums[], name: 'control' | 'treatment'): UnanalysedExperiment['arms'][number] {
  const a = arms.find((x) => x.arm === name);
  if (!a) return { arm: name, configId: null, sessions: 0, requests: 0, errors: 0, scored: 0 };
  return { arm: name, configId: a.configId, sessions: a.session.sessions, requests: a.requests, errors: a.errors, scored: a.scored };
}

function shortOf(a: UnanalysedExperiment['arms'][number]): string | null {
  if (a.requests === 0) return `the ${a.arm} arm has no requests`;
  if (a.scored >= MIN_SCORED && a.sessions >= MIN_SCORED) return null;
  const failed = a.errors ? `, ${a.errors} of its ${a.requests} requests failed` : '';
  return `the ${a.arm} arm has ${a.scored} scored request(s) in ${a.sessions} session(s) (${MIN_SCORED} needed)${failed}`;
}

/**
 * What is known of an experiment `analyzeExperiment` could not compare: both arms' counts and the sample-ratio
 * check over the sessions seen (with one arm empty, every session of the other is a mismatch to test).
 */
export function unanalysedExperiment(
  meta: ExperimentMeta,
  arms: readonly ArmSums[],
  s: AnalysisSettings,
  assignment: readonly AssignmentCounts[],
): UnanalysedExperiment {
  const both = [armOf(arms, 'control'), armOf(arms, 'treatment')];
  const reasons = both.map(shortOf).filter((x): x is string => x !== null);
  const reason = `not compared: ${reasons.join('; ') || 'too few scored sessions'}`;
  const srm = assignmentSrm(assignment, meta.history ?? [], meta.split, s.srmThreshold);
  return { id: meta.id, intent: meta.intent, reason, arms: both, srm };
}
