import type { AnalysisSettings } from './settings.ts';

/** The five outcomes of an experiment. */
export type Decision = 'PROMOTE' | 'ROLLBACK' | 'REVIEW' | 'CONTINUE' | 'NO_DIFFERENCE';

/** What a decision needs to know about an experiment. */
export interface DecisionInput {
  /** Treatment minus control quality, session level. */
  qualityDiff: number;
  qualityCi: [number, number];
  /** Multiplicity-adjusted p-value of the session-level quality test. */
  adjustedP: number;
  /** The always-valid confidence sequence excludes zero. */
  sequentialSignificant: boolean;
  /** The fixed-horizon sample size is reached in both arms. */
  ready: boolean;
  srmMismatch: boolean;
  /** Treatment error rate significantly above control's. */
  errorsWorse: boolean;
  costDeltaPerRequest: number;
  costDeltaPerMonth: number | null;
}

/** A decision with its reason. */
export interface DecisionResult {
  decision: Decision;
  reason: string;
}

/**
 * Decides an experiment on quality first, then cost. Before the planned sample size only the always-valid
 * sequential test may stop it early; at the planned size the multiplicity-adjusted fixed test decides.
 */
export function decide(d: DecisionInput, s: AnalysisSettings): DecisionResult {
  const usd = (x: number): string => `${x >= 0 ? '+' : '-'}$${Math.abs(x).toFixed(x !== 0 && Math.abs(x) < 0.01 ? 5 : 2)}`;
  const cost = `cost ${usd(d.costDeltaPerRequest)}/request${d.costDeltaPerMonth === null ? '' : `, ${usd(d.costDeltaPerMonth)}/month`}`;
  const diff = `quality ${d.qualityDiff >= 0 ? '+' : ''}${d.qualityDiff.toFixed(4)}`;
  if (d.srmMismatch) return { decision: 'REVIEW', reason: 'sample ratio mismatch: the arms are not the designed split, so no comparison is trusted until the assignment is fixed' };
  if (d.errorsWorse) return { decision: 'ROLLBACK', reason: 'treatment error rate is significantly higher than control' };
  const significant = d.ready ? d.adjustedP < s.alpha : d.sequentialSignificant;
  if (!significant) {
    if (!d.ready) return { decision: 'CONTINUE', reason: `${diff}, not yet significant and below the planned sample size` };
    if (d.costDeltaPerRequest <= -s.cheaperCostPerRequest && d.qualityCi[0] > -s.minEffect) {
      return { decision: 'PROMOTE', reason: `similar quality (${diff}, interval above -${s.minEffect}) at lower ${cost}` };
    }
    return { decision: 'NO_DIFFERENCE', reason: `${diff} is not significant at the planned sample size` };
  }
  if (d.qualityDiff <= -s.minEffect) return { decision: 'ROLLBACK', reason: `treatment is worse: ${diff}` };
  if (d.qualityDiff >= s.minEffect) {
    if (d.costDeltaPerRequest <= s.marginalCostPerRequest) return { decision: 'PROMOTE', reason: `better ${diff} with ${cost}` };
    return { decision: 'REVIEW', reason: `better ${diff} but costlier: ${cost}` };
  }
  if (d.costDeltaPerRequest <= -s.cheaperCostPerRequest) return { decision: 'PROMOTE', reason: `difference below ${s.minEffect} (${diff}) at lower ${cost}` };
  return { decision: 'NO_DIFFERENCE', reason: `significant but below the minimum effect ${s.minEffect}: ${diff}` };
}
