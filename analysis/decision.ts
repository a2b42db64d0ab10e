import type { AnalysisSettings } from './settings.ts';
import type { MarginTest } from './stats/guardrail.ts';

/** The five outcomes of an experiment. */
export type Decision = 'PROMOTE' | 'ROLLBACK' | 'REVIEW' | 'CONTINUE' | 'NO_DIFFERENCE';

/** What a decision needs to know about an experiment. */
export interface DecisionInput {
  /** Treatment minus control quality, session level. */
  qualityDiff: number;
  qualityCi: [number, number];
  /**
   * Multiplicity-adjusted p-value of the session-level quality test valid at this look: the always-valid one
   * before the planned sample size, the fixed-horizon one at it.
   */
  qualityP: number;
  /** The fixed-horizon sample size is reached in both arms. */
  ready: boolean;
  srmMismatch: boolean;
  /** The error-rate guardrail (treatment minus control, margin `errorMargin`) and its adjusted p-value. */
  errors: MarginTest & { adjustedP: number };
  costDeltaPerRequest: number;
  /** Always-valid interval of the cost delta per request: cost rules act on its bounds, never on the estimate. */
  costInterval: [number, number];
  costDeltaPerMonth: number | null;
}

/** A decision with its reason. */
export interface DecisionResult {
  decision: Decision;
  reason: string;
}

const points = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;

/**
 * Decides an experiment: the error guardrail rolls it back when the treatment's error rate is shown to exceed
 * control's by more than the margin (even under a sample-ratio mismatch: rolling back is the safe direction);
 * otherwise a mismatch holds it for review; then quality, then cost.
 * Before the planned sample size only always-valid tests may stop it; at the planned size the fixed-horizon
 * quality test decides; both multiplicity-adjusted. A promotion also needs the error rate shown within the
 * margin (intersection-union: both claims at level alpha, no further correction); until then it continues.
 */
export function decide(d: DecisionInput, s: AnalysisSettings): DecisionResult {
  const e = d.errors;
  const interval = `always-valid interval [${points(e.lower)}, ${points(e.upper)}] points`;
  // Rolling back is the safe direction: a treatment shown to fail more often goes even when the split is off
  // (a broken treatment often loses sessions too, and would otherwise sit in REVIEW while it fails).
  if (e.adjustedP < s.alpha) {
    const srm = d.srmMismatch ? '; the arms also show a sample ratio mismatch' : '';
    return {
      decision: 'ROLLBACK',
      reason: `treatment error rate exceeds control's by more than ${points(e.margin)} points: ${points(e.estimate)} points, ${interval}${srm}`,
    };
  }
  if (d.srmMismatch)
    return {
      decision: 'REVIEW',
      reason: 'sample ratio mismatch: the arms are not the designed split, so no comparison is trusted until the assignment is fixed',
    };
  const verdict = onQuality(d, s);
  if (verdict.decision !== 'PROMOTE' || e.withinMargin) return verdict;
  return {
    decision: 'CONTINUE',
    reason: `${verdict.reason}; held until the error rate is shown within ${points(e.margin)} points of control's (${points(e.estimate)} points, ${interval})`,
  };
}

function onQuality(d: DecisionInput, s: AnalysisSettings): DecisionResult {
  const usd = (x: number): string => `${x >= 0 ? '+' : '-'}$${Math.abs(x).toFixed(x !== 0 && Math.abs(x) < 0.01 ? 5 : 2)}`;
  const cost = `cost ${usd(d.costDeltaPerRequest)}/request${d.costDeltaPerMonth === null ? '' : `, ${usd(d.costDeltaPerMonth)}/month`}`;
  const diff = `quality ${d.qualityDiff >= 0 ? '+' : ''}${d.qualityDiff.toFixed(4)}`;
  const [costLow, costHigh] = d.costInterval;
  const cheaper = costHigh <= -s.cheaperCostPerRequest;
  const significant = d.qualityP < s.alpha;
  if (!significant) {
    if (!d.ready) return { decision: 'CONTINUE', reason: `${diff}, not yet significant and below the planned sample size` };
    if (cheaper && d.qualityCi[0] > -s.minEffect) {
      return { decision: 'PROMOTE', reason: `similar quality (${diff}, interval above -${s.minEffect}) at lower ${cost}` };
    }
    return { decision: 'NO_DIFFERENCE', reason: `${diff} is not significant at the planned sample size` };
  }
  if (d.qualityDiff <= -s.minEffect) return { decision: 'ROLLBACK', reason: `treatment is worse: ${diff}` };
  if (d.qualityDiff >= s.minEffect) {
    if (costHigh <= s.marginalCostPerRequest) return { decision: 'PROMOTE', reason: `better ${diff} with ${cost}` };
    const shown = costLow > s.marginalCostPerRequest ? 'costlier' : 'not shown within the marginal cost';
    return {
      decision: 'REVIEW',
      reason: `better ${diff} but ${shown}: ${cost} (interval ${usd(costLow)} to ${usd(costHigh)}, marginal ${usd(s.marginalCostPerRequest)})`,
    };
  }
  if (cheaper) return { decision: 'PROMOTE', reason: `difference below ${s.minEffect} (${diff}) at lower ${cost}` };
  return { decision: 'NO_DIFFERENCE', reason: `significant but below the minimum effect ${s.minEffect}: ${diff}` };
}
