import { describe, expect, it } from 'vitest';
import { defaultPlan, type CanaryState, type Decision } from './schema.ts';
import { afterWarmup, startState, stepWindow } from './state-machine.ts';
import { MANGAASSIST_WINDOW, seededRandom, simulateWindow, type TrafficModel } from './traffic-model.ts';

const RUNS = 200;

/** Runs one canary under the default plan over synthetic windows until it leaves the running state. */
function run(model: TrafficModel, seed: number, maxWindows = 8): { state: CanaryState; decisions: Decision[] } {
  const plan = defaultPlan();
  const rng = seededRandom(seed);
  let state = afterWarmup(startState(plan, 0), 'warm', 0).state;
  const decisions: Decision[] = [];
  for (let w = 1; w <= maxWindows && state.status === 'running'; w++) {
    const t = stepWindow(state, simulateWindow(model, state.weight, rng), w * plan.windowMs);
    decisions.push(t.decision);
    state = t.state;
  }
  return { state, decisions };
}

const withCandidate = (quality: number): TrafficModel => ({ ...MANGAASSIST_WINDOW, candidate: { ...MANGAASSIST_WINDOW.candidate, qualityMean: quality } });

describe('canary gates on MangaAssist-like windows (default plan, seeded runs)', () => {
  it('rolls back a candidate whose quality is 8% lower within its first window in at least 90% of runs', () => {
    const model = withCandidate(MANGAASSIST_WINDOW.baseline.qualityMean * 0.92);
    const outcomes = Array.from({ length: RUNS }, (_, i) => run(model, 1_000 + i));
    const firstWindow = outcomes.filter((o) => o.decisions[0]?.action === 'rollback' && o.decisions[0].stage === '5%').length / RUNS;
    console.log(`8% drop: rolled back in the first window in ${(firstWindow * 100).toFixed(1)}% of ${RUNS} runs`);
    expect(firstWindow).toBeGreaterThanOrEqual(0.9);
    expect(outcomes.some((o) => o.state.status === 'completed')).toBe(false);
  });

  it('takes a healthy candidate through every stage to 100% in at least 90% of runs', () => {
    const model = withCandidate(MANGAASSIST_WINDOW.baseline.qualityMean);
    const outcomes = Array.from({ length: RUNS }, (_, i) => run(model, 5_000 + i));
    const completed = outcomes.filter((o) => o.state.status === 'completed');
    console.log(`healthy: completed in ${((completed.length / RUNS) * 100).toFixed(1)}% of ${RUNS} runs; rolled back in ${outcomes.filter((o) => o.state.status === 'rolled_back').length}`);
    expect(completed.length / RUNS).toBeGreaterThanOrEqual(0.9);
    for (const o of completed) expect(o.decisions.filter((d) => d.action === 'promote').map((d) => d.stage)).toEqual(['25%', '50%', '100%']);
  });

  it('rolls back a candidate with double the P95 latency although its quality is fine (Scenario D)', () => {
    const model: TrafficModel = { ...MANGAASSIST_WINDOW, candidate: { ...MANGAASSIST_WINDOW.candidate, qualityMean: 0.86, latencyP50Ms: 2_400 } };
    const o = run(model, 42);
    expect(o.decisions[0]).toMatchObject({ action: 'rollback', stage: '5%' });
    expect(o.decisions[0]!.reason).toMatch(/P95/);
    expect(o.decisions[0]!.figures!.qualityDelta!.lower).toBeGreaterThan(-0.05);
  });
});
