import { describe, expect, it } from 'vitest';
import { emptyArm } from './gates.ts';
import { CanaryPlan, CanaryState, stateMatches } from './schema.ts';
import { afterWarmup, manualMove, startState, stepWindow, warmupFailed, windowClosed } from './state-machine.ts';
import { MANGAASSIST_WINDOW, seededRandom, simulateWindow } from './traffic-model.ts';

const PLAN = CanaryPlan.parse({ windowMs: 1_000, inconclusiveTimeoutMs: 3_000, onTimeout: 'rollback' });
const none = { candidate: emptyArm(), baseline: emptyArm() };

describe('canary state machine', () => {
  it('goes pending -> 5% after the warm-up, with windows closing on the clock', () => {
    const t = afterWarmup(startState(PLAN, 0), 'warm', 10);
    expect(t.state).toMatchObject({ status: 'running', stageIndex: 1, stage: '5%', weight: 5, windowStartedAt: 10 });
    expect(t.effect).toEqual({ kind: 'weight', weight: 5 });
    expect(windowClosed(t.state, 1_009)).toBe(false);
    expect(windowClosed(t.state, 1_010)).toBe(true);
  });

  it('holds without traffic and rolls back at the time-out when the plan says so', () => {
    let state = afterWarmup(startState(PLAN, 0), 'warm', 0).state;
    const actions: string[] = [];
    for (let t = 1_000; t <= 4_000 && state.status === 'running'; t += 1_000) {
      const next = stepWindow(state, none, t);
      actions.push(next.decision.action);
      state = next.state;
    }
    expect(actions).toEqual(['hold', 'hold', 'timeout']);
    expect(state).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(() => stepWindow(state, none, 5_000)).toThrow(/not running/);
  });

  it('promotes through every stage and completes after the last one', () => {
    const rng = seededRandom(3);
    let state = afterWarmup(startState(PLAN, 0), 'warm', 0).state;
    const effects: unknown[] = [];
    for (let t = 1_000; state.status === 'running'; t += 1_000) {
      const next = stepWindow(state, simulateWindow(MANGAASSIST_WINDOW, state.weight, rng), t);
      effects.push(next.effect);
      state = next.state;
    }
    expect(effects).toEqual([
      { kind: 'weight', weight: 25 },
      { kind: 'weight', weight: 50 },
      { kind: 'weight', weight: 100 },
      { kind: 'complete' },
    ]);
    expect(state).toMatchObject({ status: 'completed', stageIndex: 4, stage: '100%', weight: 100 });
    expect(state.reference?.figures.requests).toBeGreaterThan(0);
  });

  it('never completes a single 100% stage without a baseline: 40% errors roll back, a healthy candidate times out', () => {
    const plan = CanaryPlan.parse({ stages: [100], warmup: { requests: 0 }, windowMs: 1_000, inconclusiveTimeoutMs: 2_000 });
    const model = { ...MANGAASSIST_WINDOW, requestsPerWindow: 600, feedbackRate: 0.5 };
    const failing = simulateWindow({ ...model, candidate: { ...model.candidate, errorRate: 0.4 } }, 100, seededRandom(4));
    expect(failing.candidate.figures.requests).toBeGreaterThan(500);
    expect(failing.candidate.figures.errorRate).toBeGreaterThan(0.3);
    expect(failing.candidate.figures.scored).toBeGreaterThanOrEqual(100);
    const first = afterWarmup(startState(plan, 0), 'no warm-up', 0).state;
    const t = stepWindow(first, failing, 1_000);
    expect(t.decision.action).toBe('rollback');
    expect(t.decision.reason).toMatch(/ceiling/);
    const healthy = () => simulateWindow(model, 100, seededRandom(5));
    const held = stepWindow(first, healthy(), 1_000);
    expect(held.decision).toMatchObject({ action: 'hold' });
    expect(held.decision.reason).toMatch(/no baseline figures/);
    expect(stepWindow(held.state, healthy(), 2_000).decision.action).toBe('timeout');
  });

  it('pauses before the first stage when the warm-up failed, and resume runs it again', () => {
    const t = warmupFailed(startState(PLAN, 0), 'warm-up failed', 5);
    expect(t.state).toMatchObject({ status: 'paused', stageIndex: 0, stage: 'warmup', weight: 0 });
    expect(t.decision).toMatchObject({ action: 'pause', actor: 'controller', reason: 'warm-up failed' });
    expect(t.effect).toEqual({ kind: 'none' });
    const resumed = manualMove(t.state, 'resume', 'ops', 6);
    expect(resumed).toMatchObject({ state: { status: 'pending', stageIndex: 0 } });
  });

  it('keeps the subject a state was started for; a state without one (older) matches any canary', () => {
    const canary = { id: 'c1', route: 'r', intent: 'faq', baseline: 'a', candidate: 'b', weight: 0, status: 'running' as const };
    const subject = { route: 'r', intent: 'faq', baseline: 'a', candidate: 'b' };
    const state = startState(PLAN, 0, subject);
    expect(stateMatches(state, canary)).toBe(true);
    expect(stateMatches(state, { ...canary, baseline: 'b', candidate: 'c' })).toBe(false);
    expect(stateMatches(state, { ...canary, intent: undefined })).toBe(false);
    const { subject: _none, ...older } = state;
    const parsed = CanaryState.parse(JSON.parse(JSON.stringify(older)));
    expect(parsed.subject).toBeUndefined();
    expect(stateMatches(parsed, { ...canary, candidate: 'c' })).toBe(true);
  });

  it('allows only the moves by hand the state admits', () => {
    const pending = startState(PLAN, 0);
    expect(manualMove(pending, 'resume', 'ops', 1)).toHaveProperty('refused');
    const paused = manualMove(pending, 'pause', 'ops', 1);
    expect(paused).toMatchObject({ state: { status: 'paused' }, decision: { action: 'pause', actor: 'ops' } });
    if ('refused' in paused) throw new Error('refused');
    expect(manualMove(paused.state, 'pause', 'ops', 2)).toHaveProperty('refused');
    const back = manualMove(paused.state, 'rollback', 'ops', 3);
    if ('refused' in back) throw new Error('refused');
    expect(back.effect).toEqual({ kind: 'rollback' });
    for (const move of ['pause', 'resume', 'promote', 'rollback', 'abort'] as const)
      expect(manualMove(back.state, move, 'ops', 4)).toHaveProperty('refused');
  });
});
