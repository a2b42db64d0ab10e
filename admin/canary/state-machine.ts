import { evaluateGates, type WindowFigures } from './gates.ts';
import {
  stageLabel,
  type CanaryAction,
  type CanaryPlan,
  type CanaryState,
  type CanarySubject,
  type Decision,
  type DecisionFigures,
  type ReferenceArm,
} from './schema.ts';

/** What a transition asks of the routing configuration. */
export type ConfigEffect =
  | { kind: 'none' }
  /** Set the canary's weight (running). */
  | { kind: 'weight'; weight: number }
  /** Weight 0 and stop the canary: every session back on the baseline. */
  | { kind: 'rollback' }
  /** The candidate becomes the route's configuration; the canary stops. */
  | { kind: 'complete' };

/** A move of the state machine: the next state, the decision to record and the configuration change. */
export interface Transition {
  state: CanaryState;
  decision: Decision;
  effect: ConfigEffect;
}

/** A move a person asks for through the admin API. */
export type ManualMove = 'pause' | 'resume' | 'promote' | 'rollback' | 'abort';

/** Why a move is not allowed in the current state (answered 409). */
export interface MoveRefused {
  refused: string;
}

const ACTIVE = new Set<CanaryState['status']>(['pending', 'warming', 'running', 'paused']);

/** The state of a canary just started for `subject`: pending, before the warm-up. */
export function startState(plan: CanaryPlan, now: number, subject?: CanarySubject): CanaryState {
  return {
    status: 'pending',
    stageIndex: 0,
    stage: 'warmup',
    weight: 0,
    stageStartedAt: now,
    windowStartedAt: now,
    updatedAt: now,
    plan,
    reference: null,
    ...(subject ? { subject } : {}),
  };
}

function decide(
  state: CanaryState,
  action: CanaryAction,
  actor: string,
  reason: string,
  figures: DecisionFigures | null,
  now: number,
): Decision {
  return { at: now, stage: state.stage, weight: state.weight, action, actor, reason, figures };
}

function atStage(state: CanaryState, stageIndex: number, now: number): CanaryState {
  const weight = state.plan.stages[stageIndex - 1]!;
  return {
    ...state,
    status: 'running',
    stageIndex,
    stage: stageLabel(state.plan, stageIndex),
    weight,
    stageStartedAt: now,
    windowStartedAt: now,
    updatedAt: now,
  };
}

/** The next stage, or completion after the last one. */
function promoted(state: CanaryState, actor: string, reason: string, figures: DecisionFigures | null, now: number): Transition {
  if (state.stageIndex >= state.plan.stages.length) {
    const next: CanaryState = { ...state, status: 'completed', updatedAt: now };
    return { state: next, decision: decide(next, 'complete', actor, reason, figures, now), effect: { kind: 'complete' } };
  }
  const next = atStage(state, state.stageIndex + 1, now);
  return { state: next, decision: decide(next, 'promote', actor, reason, figures, now), effect: { kind: 'weight', weight: next.weight } };
}

function rolledBack(
  state: CanaryState,
  action: CanaryAction,
  actor: string,
  reason: string,
  figures: DecisionFigures | null,
  now: number,
): Transition {
  const next: CanaryState = { ...state, status: 'rolled_back', weight: 0, updatedAt: now };
  return { state: next, decision: decide(next, action, actor, reason, figures, now), effect: { kind: 'rollback' } };
}

/** The warm-up is under way. */
export function warmingState(state: CanaryState, now: number): CanaryState {
  return { ...state, status: 'warming', updatedAt: now };
}

/** The warm-up is over (or there was none): live traffic starts at the first stage. */
export function afterWarmup(state: CanaryState, reason: string, now: number): Transition {
  const next = atStage(state, 1, now);
  return {
    state: next,
    decision: decide(next, 'warmup', 'controller', reason, null, now),
    effect: { kind: 'weight', weight: next.weight },
  };
}

/** The warm-up failed too often to trust the candidate with live traffic: paused before the first stage. */
export function warmupFailed(state: CanaryState, reason: string, now: number): Transition {
  const next: CanaryState = { ...state, status: 'paused', updatedAt: now };
  return { state: next, decision: decide(next, 'pause', 'controller', reason, null, now), effect: { kind: 'none' } };
}

/** Whether the running canary's monitor window has closed at `now`. */
export function windowClosed(state: CanaryState, now: number): boolean {
  return state.status === 'running' && now >= state.windowStartedAt + state.plan.windowMs;
}

function referenceOf(window: WindowFigures, weight: number, previous: ReferenceArm | null): ReferenceArm | null {
  if (weight >= 100 || window.baseline.figures.requests === 0) return previous;
  const { figures, sums, errors, p95Bounds, costSumSq } = window.baseline;
  return { figures, sums, errors, p95Bounds, costSumSq };
}

/**
 * Judges the window that closed at `now` and moves on: promote, roll back, pause, or hold for another
 * window; a stage inconclusive for longer than the plan's time-out pauses or rolls back.
 */
export function stepWindow(state: CanaryState, window: WindowFigures, now: number): Transition {
  if (state.status !== 'running') throw new Error(`canary is ${state.status}, not running: no window to judge`);
  const { plan } = state;
  const verdict = evaluateGates(
    window,
    state.weight,
    plan.gates,
    plan.minSamplesPerArm,
    state.reference,
    state.stageIndex >= plan.stages.length,
  );
  const base: CanaryState = { ...state, reference: referenceOf(window, state.weight, state.reference) };
  switch (verdict.kind) {
    case 'promote':
      return promoted(base, 'controller', verdict.reason, verdict.figures, now);
    case 'rollback':
      return rolledBack(base, 'rollback', 'controller', verdict.reason, verdict.figures, now);
    case 'pause': {
      const next: CanaryState = { ...base, status: 'paused', updatedAt: now };
      return { state: next, decision: decide(next, 'pause', 'controller', verdict.reason, verdict.figures, now), effect: { kind: 'none' } };
    }
    case 'hold':
      break;
  }
  if (verdict.inconclusive && now - state.stageStartedAt >= plan.inconclusiveTimeoutMs) {
    const reason = `inconclusive for ${Math.round((now - state.stageStartedAt) / 1000)} s (time-out ${plan.inconclusiveTimeoutMs / 1000} s): ${verdict.reason}`;
    if (plan.onTimeout === 'rollback') return rolledBack(base, 'timeout', 'controller', reason, verdict.figures, now);
    const next: CanaryState = { ...base, status: 'paused', updatedAt: now };
    return { state: next, decision: decide(next, 'timeout', 'controller', reason, verdict.figures, now), effect: { kind: 'none' } };
  }
  const next: CanaryState = { ...base, windowStartedAt: now, updatedAt: now };
  return { state: next, decision: decide(next, 'hold', 'controller', verdict.reason, verdict.figures, now), effect: { kind: 'none' } };
}

/** A move asked for by a person (`actor`: the admin token's id), or why the state does not allow it. */
export function manualMove(state: CanaryState, move: ManualMove, actor: string, now: number): Transition | MoveRefused {
  const refuse = (why: string): MoveRefused => ({ refused: `cannot ${move} canary: it is ${state.status}${why ? `; ${why}` : ''}` });
  if (!ACTIVE.has(state.status)) return refuse('start a new canary instead');
  switch (move) {
    case 'pause': {
      if (state.status === 'paused') return refuse('');
      const next: CanaryState = { ...state, status: 'paused', updatedAt: now };
      return { state: next, decision: decide(next, 'pause', actor, 'paused by hand', null, now), effect: { kind: 'none' } };
    }
    case 'resume': {
      if (state.status !== 'paused') return refuse('only a paused canary resumes');
      const next: CanaryState =
        state.stageIndex === 0
          ? { ...state, status: 'pending', updatedAt: now }
          : { ...state, status: 'running', stageStartedAt: now, windowStartedAt: now, updatedAt: now };
      return {
        state: next,
        decision: decide(next, 'resume', actor, 'resumed by hand; a fresh window starts', null, now),
        effect: next.stageIndex === 0 ? { kind: 'none' } : { kind: 'weight', weight: next.weight },
      };
    }
    case 'promote':
      if (state.stageIndex === 0) {
        const first = atStage(state, 1, now);
        return {
          state: first,
          decision: decide(first, 'promote', actor, 'promoted by hand, without warm-up', null, now),
          effect: { kind: 'weight', weight: first.weight },
        };
      }
      return promoted({ ...state, status: 'running' }, actor, 'promoted by hand', null, now);
    case 'rollback':
      return rolledBack(state, 'rollback', actor, 'rolled back by hand', null, now);
    case 'abort':
      return rolledBack(state, 'abort', actor, 'aborted by hand', null, now);
  }
}
