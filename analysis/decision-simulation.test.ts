import { describe, expect, it } from 'vitest';
import { simulateDecisions, type DecisionSimulation } from './decision-simulation.ts';
import { AnalysisSettings } from './settings.ts';

const settings = AnalysisSettings.parse({});
// One request per session (the least information on errors a session can carry); request costs vary (sd $0.004
// around $0.006), so the cost rules see noise too.
const aa: DecisionSimulation = {
  experiments: 1000,
  looks: 20,
  maxSessionsPerArm: 5000,
  quality: { control: 0.8, treatment: 0.8, sd: 0.12 },
  errorRate: { control: 0.005, treatment: 0.005 },
  costPerRequest: 0.006,
  costSd: 0.004,
  seed: 1,
};
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

describe('experiment decisions under continuous monitoring (seeded Monte Carlo through analyzeExperiment + correctAndDecide)', () => {
  it('A/A: any PROMOTE or ROLLBACK in at most 1% of 1,000 experiments analysed at 20 looks', () => {
    const o = simulateDecisions(aa, settings);
    const decided = `PROMOTE ${pct(o.promoted)}, ROLLBACK ${pct(o.rolledBack)} (errors ${pct(o.rolledBackOnErrors)})`;
    console.log(
      `A/A, 1,000 experiments x 20 looks to 5,000 sessions/arm: ${decided}; previous error rule alone ${pct(o.previousErrorRule)}`,
    );
    expect(o.promoted + o.rolledBack).toBeLessThanOrEqual(0.01);
    // The rule this guardrail replaced cries wolf on the very same data.
    expect(o.previousErrorRule).toBeGreaterThan(0.05);
  });

  it('errors 0.5% -> 2.5%: rolled back in at least 80% of experiments within 5,000 sessions per arm', () => {
    const o = simulateDecisions({ ...aa, errorRate: { control: 0.005, treatment: 0.025 }, seed: 2 }, settings);
    const at = `mean ${Math.round(o.meanDecisionSessions ?? 0)} sessions/arm at the decision`;
    console.log(
      `errors 0.5% -> 2.5%, 1,000 experiments x 20 looks to 5,000 sessions/arm: ROLLBACK on errors ${pct(o.rolledBackOnErrors)}, PROMOTE ${pct(o.promoted)}, ${at}`,
    );
    expect(o.rolledBackOnErrors).toBeGreaterThanOrEqual(0.8);
    expect(o.promoted).toBe(0);
  });

  it('quality +0.03 (sd 0.12): promoted in at least 80% of experiments within 2,000 sessions per arm', () => {
    const o = simulateDecisions(
      { ...aa, maxSessionsPerArm: 2000, quality: { control: 0.8, treatment: 0.83, sd: 0.12 }, seed: 3 },
      settings,
    );
    const at = `mean ${Math.round(o.meanDecisionSessions ?? 0)} sessions/arm at the decision`;
    console.log(
      `quality +0.03 (sd 0.12), 1,000 experiments x 20 looks to 2,000 sessions/arm: PROMOTE ${pct(o.promoted)}, ROLLBACK ${pct(o.rolledBack)}, ${at}`,
    );
    expect(o.promoted).toBeGreaterThanOrEqual(0.8);
    expect(o.rolledBack).toBe(0);
  });

  it('errors 0.5% -> 1.2%, inside the one-point margin: rolled back in at most 1% of experiments', () => {
    const o = simulateDecisions({ ...aa, experiments: 300, errorRate: { control: 0.005, treatment: 0.012 }, seed: 4 }, settings);
    const previous = `previous error rule ${pct(o.previousErrorRule)}`;
    console.log(
      `errors 0.5% -> 1.2% (inside the margin), 300 experiments x 20 looks: ROLLBACK on errors ${pct(o.rolledBackOnErrors)}; ${previous}`,
    );
    expect(o.rolledBackOnErrors).toBeLessThanOrEqual(0.01);
  });
});
