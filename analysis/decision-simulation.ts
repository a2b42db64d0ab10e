import { analyzeExperiment, correctAndDecide } from './experiment.ts';
import type { ArmSums, OutcomeSums } from './queries/experiments.ts';
import type { RatioSums } from './stats/ratio.ts';
import type { AnalysisSettings } from './settings.ts';
import { seededSource } from './stats/monitoring-simulation.ts';
import { twoProportionTest } from './stats/proportions.ts';

/**
 * A seeded Monte Carlo of whole experiments through the real decision code (`analyzeExperiment` and
 * `correctAndDecide`), looked at `looks` times, equally spaced up to `maxSessionsPerArm` sessions per arm.
 * Arm sums are drawn from their distributions chunk by chunk, never request by request. Each session has one
 * request (the least information on errors a session can carry), failing with the arm's error rate, scored with
 * a normal quality (so `quality.sd` is the per-session spread the quality test sees), costing a normal amount
 * of mean `costPerRequest` and spread `costSd`.
 */
export interface DecisionSimulation {
  experiments: number;
  looks: number;
  maxSessionsPerArm: number;
  quality: { control: number; treatment: number; sd: number };
  errorRate: { control: number; treatment: number };
  costPerRequest: number;
  /** Spread of one request's cost (token counts vary); both arms alike. */
  costSd: number;
  seed: number;
}

/** Share of simulated experiments that ended each way (the first PROMOTE or ROLLBACK ends one). */
export interface DecisionOutcome {
  promoted: number;
  rolledBack: number;
  /** Rolled back by the error guardrail (its reason names the error rate). */
  rolledBackOnErrors: number;
  /** The rule this guardrail replaced (two-sided two-proportion test at alpha, worse errors) at any look. */
  previousErrorRule: number;
  /** Mean sessions per arm at the deciding look (decided experiments only). */
  meanDecisionSessions: number | null;
}

type Source = ReturnType<typeof seededSource>;

/** Binomial(n, p): by inversion for small means, else normal (rounded, clamped). */
function binomial(n: number, p: number, r: Source): number {
  if (n * p < 30) {
    const q = 1 - p;
    let pmf = q ** n;
    let cdf = pmf;
    const u = r.uniform();
    let k = 0;
    while (u > cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * (p / q);
      cdf += pmf;
      k++;
    }
    return k;
  }
  return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * r.normal())));
}

/** Chi-square with k degrees of freedom (Wilson-Hilferty). */
function chiSquare(k: number, r: Source): number {
  const a = 2 / (9 * k);
  return k * Math.max(0, 1 - a + Math.sqrt(a) * r.normal()) ** 3;
}

function emptyArm(arm: string): ArmSums {
  const none = { sessions: 0, sumY: 0, sumN: 0, sumYY: 0, sumNN: 0, sumYN: 0 };
  const totals = { requests: 0, errors: 0, costUsd: 0, scored: 0, qualitySum: 0, qualitySumSq: 0 };
  return { arm, configId: arm, ...totals, session: none, errorSession: none, costSession: none };
}

/** Sum and sum of squares of `m` normal draws, from their sampling distributions. */
function normalSums(m: number, mean: number, sd: number, r: Source): { sum: number; sumSq: number } {
  const chunkMean = mean + (sd / Math.sqrt(m)) * r.normal();
  return { sum: m * chunkMean, sumSq: sd * sd * chiSquare(m - 1, r) + m * chunkMean * chunkMean };
}

/** Adds sessions with per-session values Y summing to `y` (squares `yy`), one request each, to ratio sums. */
function addSessions(s: RatioSums, m: number, y: number, yy: number): RatioSums {
  return { sessions: s.sessions + m, sumY: s.sumY + y, sumN: s.sumN + m, sumYY: s.sumYY + yy, sumNN: s.sumNN + m, sumYN: s.sumYN + y };
}

/** Adds `m` sessions of one request each to an arm. */
function grow(a: ArmSums, m: number, mean: number, sd: number, errorRate: number, sim: DecisionSimulation, r: Source): ArmSums {
  const q = normalSums(m, mean, sd, r);
  const cost = normalSums(m, sim.costPerRequest, sim.costSd, r);
  const errors = binomial(m, errorRate, r);
  return {
    ...a,
    requests: a.requests + m,
    errors: a.errors + errors,
    costUsd: a.costUsd + cost.sum,
    scored: a.scored + m,
    qualitySum: a.qualitySum + q.sum,
    qualitySumSq: a.qualitySumSq + q.sumSq,
    session: addSessions(a.session, m, q.sum, q.sumSq),
    // One request per session: a session's error count is 0 or 1, so its square is itself.
    errorSession: addSessions(a.errorSession, m, errors, errors),
    costSession: addSessions(a.costSession, m, cost.sum, cost.sumSq),
  };
}

/**
 * Session outcomes as production has them (cart add, escalation, duration, alike in both arms): they decide
 * nothing, but they are tests of the experiment, so the multiplicity correction sees its real family.
 */
function outcomesOf(sessions: number): OutcomeSums[] {
  const sums = (arm: string): OutcomeSums[] => [
    { arm, metric: 'cart_add', n: sessions, sum: 0.12 * sessions, sumSq: 0.12 * sessions },
    { arm, metric: 'escalated', n: sessions, sum: 0.05 * sessions, sumSq: 0.05 * sessions },
    { arm, metric: 'session_duration_s', n: sessions, sum: 60 * sessions, sumSq: 4500 * sessions },
  ];
  return [...sums('control'), ...sums('treatment')];
}

/** Runs the study under `settings`. */
export function simulateDecisions(sim: DecisionSimulation, settings: AnalysisSettings): DecisionOutcome {
  const r = seededSource(sim.seed);
  const step = Math.floor(sim.maxSessionsPerArm / sim.looks);
  let promoted = 0,
    rolledBack = 0,
    onErrors = 0,
    previous = 0,
    decidedAt = 0;
  for (let e = 0; e < sim.experiments; e++) {
    let c = emptyArm('control');
    let t = emptyArm('treatment');
    let previousHit = false;
    let decided = false;
    for (let look = 1; look <= sim.looks; look++) {
      c = grow(c, step, sim.quality.control, sim.quality.sd, sim.errorRate.control, sim, r);
      t = grow(t, step, sim.quality.treatment, sim.quality.sd, sim.errorRate.treatment, sim, r);
      const fixed = twoProportionTest(c.errors, c.requests, t.errors, t.requests, settings.alpha);
      previousHit ||= fixed.diff > 0 && fixed.p < settings.alpha;
      if (decided) continue;
      const report = analyzeExperiment(
        { id: `sim-${e}`, intent: null, split: 0.5 },
        [c, t],
        outcomesOf(c.session.sessions),
        settings,
        null,
      );
      if (!report) continue;
      correctAndDecide([report], settings);
      const { decision, reason } = report.decision;
      if (decision !== 'PROMOTE' && decision !== 'ROLLBACK') continue;
      decided = true;
      if (decision === 'PROMOTE') promoted++;
      else rolledBack++;
      if (decision === 'ROLLBACK' && reason.includes('error rate')) onErrors++;
      decidedAt += look * step;
    }
    if (previousHit) previous++;
  }
  const decided = promoted + rolledBack;
  const n = sim.experiments;
  return {
    promoted: promoted / n,
    rolledBack: rolledBack / n,
    rolledBackOnErrors: onErrors / n,
    previousErrorRule: previous / n,
    meanDecisionSessions: decided ? decidedAt / decided : null,
  };
}
