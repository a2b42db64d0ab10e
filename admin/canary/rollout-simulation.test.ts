import { describe, expect, it } from 'vitest';
import { twoProportionTest } from '../../analysis/stats/proportions.ts';
import type { WindowFigures } from './gates.ts';
import { defaultPlan, type CanaryState, type Decision } from './schema.ts';
import { afterWarmup, startState, stepWindow } from './state-machine.ts';
import { MANGAASSIST_WINDOW, seededRandom, simulateWindow, type TrafficModel } from './traffic-model.ts';

const RUNS = 200;

/** Runs one canary under the default plan over synthetic windows until it leaves the running state. */
function run(
  model: TrafficModel,
  seed: number,
  maxWindows = 8,
  onWindow?: (w: WindowFigures) => void,
): { state: CanaryState; decisions: Decision[] } {
  const plan = defaultPlan();
  const rng = seededRandom(seed);
  let state = afterWarmup(startState(plan, 0), 'warm', 0).state;
  const decisions: Decision[] = [];
  for (let w = 1; w <= maxWindows && state.status === 'running'; w++) {
    const window = simulateWindow(model, state.weight, rng);
    onWindow?.(window);
    const t = stepWindow(state, window, w * plan.windowMs);
    decisions.push(t.decision);
    state = t.state;
  }
  return { state, decisions };
}

const withCandidate = (quality: number): TrafficModel => ({
  ...MANGAASSIST_WINDOW,
  candidate: { ...MANGAASSIST_WINDOW.candidate, qualityMean: quality },
});

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
    console.log(
      `healthy: completed in ${((completed.length / RUNS) * 100).toFixed(1)}% of ${RUNS} runs; rolled back in ${outcomes.filter((o) => o.state.status === 'rolled_back').length}`,
    );
    expect(completed.length / RUNS).toBeGreaterThanOrEqual(0.9);
    for (const o of completed)
      expect(o.decisions.filter((d) => d.action === 'promote').map((d) => d.stage)).toEqual(['25%', '50%', '100%']);
  });

  it('rolls back a candidate with double the P95 latency although its quality is fine (Scenario D)', () => {
    const model: TrafficModel = {
      ...MANGAASSIST_WINDOW,
      candidate: { ...MANGAASSIST_WINDOW.candidate, qualityMean: 0.86, latencyP50Ms: 2_400 },
    };
    const o = run(model, 42);
    expect(o.decisions[0]).toMatchObject({ action: 'rollback', stage: '5%' });
    expect(o.decisions[0]!.reason).toMatch(/P95/);
    expect(o.decisions[0]!.figures!.qualityDelta!.lower).toBeGreaterThan(-0.05);
  });
});

const withErrors = (requestsPerWindow: number, baseline: number, candidate: number): TrafficModel => ({
  ...MANGAASSIST_WINDOW,
  requestsPerWindow,
  baseline: { ...MANGAASSIST_WINDOW.baseline, errorRate: baseline },
  candidate: { ...MANGAASSIST_WINDOW.candidate, errorRate: candidate },
});

/** The error gate this one replaced: excess above +2 points as a point estimate, and p < 0.01 against none. */
function previousGate(w: WindowFigures): boolean {
  const c = w.candidate;
  const b = w.baseline;
  if (c.figures.requests < 100 || b.figures.requests < 100) return false;
  const test = twoProportionTest(b.errors, b.figures.requests, c.errors, c.figures.requests);
  return test.diff > 0.02 && test.p < 0.01;
}

describe('canary error gates on A/A and regressed candidates (real gates and state machine, every window)', () => {
  it('A/A at low volume (3,000 requests per window, 2% errors): rolled back for errors in at most 1% of runs', () => {
    const runs = 300;
    let previous = 0;
    const outcomes = Array.from({ length: runs }, (_, i) => {
      let hit = false;
      const o = run(withErrors(3_000, 0.02, 0.02), 30_000 + i, 8, (w) => (hit ||= previousGate(w)));
      if (hit) previous++;
      return o;
    });
    const onErrors =
      outcomes.filter((o) => o.state.status === 'rolled_back' && /error rate/.test(o.decisions.at(-1)!.reason)).length / runs;
    console.log(
      `A/A canary, 3,000 requests/window, 2% errors, ${runs} runs: rolled back for errors in ${(onErrors * 100).toFixed(1)}%; the previous error gate fired in ${((previous / runs) * 100).toFixed(1)}%`,
    );
    expect(onErrors).toBeLessThanOrEqual(0.01);
    expect(previous / runs).toBeGreaterThan(0.02);
  });

  it('rolls back a candidate whose error rate goes from 0.5% to 4.5% (twice the margin over) in at least 90% of runs', () => {
    const runs = 100;
    const outcomes = Array.from({ length: runs }, (_, i) =>
      run(withErrors(MANGAASSIST_WINDOW.requestsPerWindow, 0.005, 0.045), 40_000 + i),
    );
    const onErrors =
      outcomes.filter((o) => o.state.status === 'rolled_back' && /error rate/.test(o.decisions.at(-1)!.reason)).length / runs;
    console.log(
      `errors 0.5% -> 4.5%, 20,800 requests/window, ${runs} runs: rolled back for errors in ${(onErrors * 100).toFixed(1)}%; completed in ${outcomes.filter((o) => o.state.status === 'completed').length}`,
    );
    expect(onErrors).toBeGreaterThanOrEqual(0.9);
    expect(outcomes.some((o) => o.state.status === 'completed')).toBe(false);
  });
});
