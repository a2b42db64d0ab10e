import type { Canary } from '../../schema/config.ts';
import type { CanaryState, Decision, DecisionFigures } from '../canary/schema.ts';
import type { CanaryStep, OptimizePlan } from './plan.ts';

/** Where a canary of an applied plan stands. */
export type Outcome = 'shipped' | 'rolled_back' | 'in_progress' | 'paused' | 'not_found';

/** One intent of an applied plan: its canary's stage, the last gate decision, and the saving so far. */
export interface IntentStatus {
  intent: string;
  canaryId: string;
  baseline: string;
  candidate: string;
  startRestsOn: CanaryStep['startRestsOn'];
  outcome: Outcome;
  /** Controller status (`pending`, `running`, `completed`, `rolled_back`, ...), null when never started. */
  status: string | null;
  stage: string | null;
  weight: number;
  /** The newest decision (a hold too: it says which gate is still open). */
  lastDecision: Pick<Decision, 'action' | 'stage' | 'reason' | 'at'> | null;
  /** The newest gate figures (candidate vs baseline in a judged window). */
  figures: DecisionFigures | null;
  projectedMonthlySavingUsd: number | null;
  /**
   * Monthly saving at the live costs per request measured in the canary's windows (baseline minus candidate),
   * at the candidate's current weight (100% once shipped, 0 once rolled back); null without both costs.
   */
  realisedMonthlySavingUsd: number | null;
}

/** The progress of the last applied plan. */
export interface OptimizeStatus {
  appliedAt: string;
  appliedBy: string;
  /** Audit log version of the applied plan. */
  auditVersion: number;
  route: string;
  intents: IntentStatus[];
  shipped: string[];
  rolledBack: string[];
  inProgress: string[];
  projectedMonthlySavingUsd: number;
  realisedMonthlySavingUsd: number;
}

/** What the status reads of one canary. */
export interface CanaryRecord {
  canary: Canary | null;
  state: CanaryState | null;
  decisions: Decision[];
}

function outcomeOf(record: CanaryRecord): Outcome {
  const s = record.state?.status;
  if (!record.canary && !s) return 'not_found';
  if (s === 'completed') return 'shipped';
  // A canary stopped in the configuration (aborted by hand) sends every session back to the baseline.
  if (s === 'rolled_back' || record.canary?.status === 'stopped') return 'rolled_back';
  if (s === 'paused') return 'paused';
  return 'in_progress';
}

/** The newest figures with a live cost per request on both arms. */
function costFigures(decisions: readonly Decision[]): DecisionFigures | null {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const f = decisions[i]!.figures;
    if (f && f.candidate.costPerRequest !== null && f.baseline.costPerRequest !== null) return f;
  }
  return null;
}

function lastDecisionOf(decisions: readonly Decision[]): IntentStatus['lastDecision'] {
  const last = decisions.at(-1);
  return last ? { action: last.action, stage: last.stage, reason: last.reason, at: last.at } : null;
}

/** One intent's status from its plan step and its canary's records. */
export function intentStatus(
  plan: Pick<OptimizePlan, 'dailyVolume' | 'daysPerMonth'>,
  step: CanaryStep,
  record: CanaryRecord,
): IntentStatus {
  const outcome = outcomeOf(record);
  const weight = outcome === 'shipped' ? 100 : outcome === 'rolled_back' ? 0 : (record.state?.weight ?? 0);
  const costs = costFigures(record.decisions);
  const monthly = plan.dailyVolume * plan.daysPerMonth * step.share;
  const realised = costs ? (monthly * (costs.baseline.costPerRequest! - costs.candidate.costPerRequest!) * weight) / 100 : null;
  const newest = [...record.decisions].reverse().find((d) => d.figures)?.figures ?? null;
  return {
    intent: step.intent,
    canaryId: step.canaryId,
    baseline: step.baseline,
    candidate: step.candidate,
    startRestsOn: step.startRestsOn,
    outcome,
    status: record.state?.status ?? null,
    stage: record.state?.stage ?? null,
    weight,
    lastDecision: lastDecisionOf(record.decisions),
    figures: newest,
    projectedMonthlySavingUsd: step.monthlySavingUsd,
    realisedMonthlySavingUsd: outcome === 'rolled_back' ? 0 : realised,
  };
}

/** The status of an applied plan from the records of its canaries (keyed by canary id). */
export function buildStatus(
  applied: { plan: OptimizePlan; time: number; actor: string; version: number },
  records: ReadonlyMap<string, CanaryRecord>,
): OptimizeStatus {
  const { plan } = applied;
  const steps = plan.steps.filter((s): s is CanaryStep => s.action === 'canary');
  const empty: CanaryRecord = { canary: null, state: null, decisions: [] };
  const intents = steps.map((step) => intentStatus(plan, step, records.get(step.canaryId) ?? empty));
  const named = (o: Outcome) => intents.filter((i) => i.outcome === o).map((i) => i.intent);
  return {
    appliedAt: new Date(applied.time).toISOString(),
    appliedBy: applied.actor,
    auditVersion: applied.version,
    route: plan.route,
    intents,
    shipped: named('shipped'),
    rolledBack: named('rolled_back'),
    inProgress: intents.filter((i) => i.outcome === 'in_progress' || i.outcome === 'paused').map((i) => i.intent),
    projectedMonthlySavingUsd: plan.projectedMonthlySavingUsd,
    realisedMonthlySavingUsd: intents.reduce((s, i) => s + (i.realisedMonthlySavingUsd ?? 0), 0),
  };
}
