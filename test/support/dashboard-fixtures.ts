import type { CanaryTimeline, DashboardAnalysis, EvalReport } from '../../analysis/report/dashboard.ts';

type Row = DashboardAnalysis['intents'][number];

function row(intent: string, configId: string, quality: number, cost: number, p95: number, passRate: number): Row {
  return {
    intent,
    configId,
    requests: 400,
    errorRate: 0.01,
    scored: 390,
    meanQuality: quality,
    qualityCi: [quality - 0.01, quality + 0.01],
    passRate,
    costPerRequest: cost,
    latencyMs: { 50: p95 / 2, 95: p95, 99: p95 * 1.3 },
    ttftMs: { 50: 200, 95: 400, 99: 600 },
  };
}

/** A small analysis report in the job's shape: two intents, one experiment, a recommendation. */
export function sampleAnalysis(): DashboardAnalysis {
  return {
    generatedAt: '2026-01-02T03:04:05.000Z',
    liveRequests: 2000,
    settings: { maxP95LatencyMs: 3000 },
    intents: [
      row('faq', 'haiku-35', 0.84, 0.0012, 900, 0.86),
      row('faq', 'sonnet-35-v2', 0.9, 0.0061, 1800, 0.95),
      row('faq', 'sonnet-3', 0.85, 0.007, 2500, 0.88),
      row('chitchat', 'haiku-35', 0.9, 0.0005, 500, 0.97),
      row('chitchat', 'sonnet-35-v2', 0.91, 0.0014, 1100, 0.99),
    ],
    experiments: [
      {
        id: 'haiku-faq',
        intent: 'faq',
        arms: [
          {
            arm: 'control',
            configId: 'sonnet-35-v2',
            sessions: 500,
            requests: 1200,
            scored: 1190,
            meanQuality: 0.9,
            costPerRequest: 0.0061,
          },
          {
            arm: 'treatment',
            configId: 'haiku-35',
            sessions: 498,
            requests: 1190,
            scored: 1180,
            meanQuality: 0.84,
            costPerRequest: 0.0012,
          },
        ],
        srm: { p: 0.95, mismatch: false },
        quality: {
          session: { diff: -0.06, ci: [-0.075, -0.045], p: 1e-9 },
          lift: { lift: -0.066, ci: [-0.08, -0.05] },
          sequential: { lower: -0.085, upper: -0.035, significant: true },
          minimumScoredPerArm: 300,
          ready: true,
        },
        costDeltaPerRequest: -0.0049,
        costDeltaPerMonth: -65000,
        tests: [{ metric: 'quality', p: 1e-9, adjustedP: 2e-9 }],
        decision: { decision: 'ROLLBACK', reason: 'treatment is worse: quality -0.0600' },
      },
    ],
    recommendation: {
      choices: [
        {
          intent: 'faq',
          current: 'sonnet-35-v2',
          recommended: 'haiku-35',
          front: ['haiku-35', 'sonnet-35-v2'],
          passing: ['haiku-35', 'sonnet-35-v2', 'sonnet-3'],
          closest: null,
          reason: 'haiku-35 is the cheapest of 3 passing configuration(s)',
        },
        {
          intent: 'chitchat',
          current: 'sonnet-35-v2',
          recommended: 'haiku-35',
          front: ['haiku-35', 'sonnet-35-v2'],
          passing: ['haiku-35', 'sonnet-35-v2'],
          closest: null,
          reason: 'haiku-35 is the cheapest of 2 passing configuration(s)',
        },
      ],
      mix: { faq: 0.6, chitchat: 0.4 },
      dailyVolume: 1_000_000,
      current: {
        monthlyUsd: 126_600,
        perIntent: [
          { intent: 'faq', configId: 'sonnet-35-v2', share: 0.6, costPerRequest: 0.0061, monthlyUsd: 109_800 },
          { intent: 'chitchat', configId: 'sonnet-35-v2', share: 0.4, costPerRequest: 0.0014, monthlyUsd: 16_800 },
        ],
        unknown: [],
      },
      recommended: {
        monthlyUsd: 27_600,
        perIntent: [
          { intent: 'faq', configId: 'haiku-35', share: 0.6, costPerRequest: 0.0012, monthlyUsd: 21_600 },
          { intent: 'chitchat', configId: 'haiku-35', share: 0.4, costPerRequest: 0.0005, monthlyUsd: 6_000 },
        ],
        unknown: [],
      },
      currentMonthlyUsd: 126_600,
      recommendedMonthlyUsd: 27_600,
      monthlySavingUsd: 99_000,
    },
  };
}

/** An offline evaluation report following the evaluator's contract: two intents, three configurations. */
export function sampleEvalReport(): EvalReport {
  const dims = (relevance: number, accuracy: number | null) => ({ relevance, accuracy, tone: 0.9 });
  const r = (
    intent: string,
    configId: string,
    quality: number,
    cost: number,
    p95: number,
    passRate: number,
    d: Record<string, number | null>,
  ) => ({ ...row(intent, configId, quality, cost, p95, passRate), requests: 50, scored: 50, dimensions: d });
  return {
    generatedAt: '2026-01-02T04:00:00.000Z',
    runId: 'eval-20260102-0400',
    dataset: { path: 'data/golden/mangaassist.jsonl', cases: 100, intents: ['recommendation', 'faq'] },
    configs: ['sonnet-35-v2', 'haiku-35', 'sonnet-3'],
    rows: [
      r('recommendation', 'sonnet-35-v2', 0.88, 0.009, 2100, 0.9, dims(0.9, 0.86)),
      r('recommendation', 'haiku-35', 0.71, 0.002, 800, 0.55, dims(0.7, 0.72)),
      r('recommendation', 'sonnet-3', 0.8, 0.01, 3400, 0.75, dims(0.82, null)),
      r('faq', 'sonnet-35-v2', 0.9, 0.006, 1700, 0.94, dims(0.92, 0.9)),
      r('faq', 'haiku-35', 0.86, 0.0013, 700, 0.88, dims(0.87, 0.85)),
    ],
    choices: [
      {
        intent: 'recommendation',
        chosen: 'sonnet-35-v2',
        closest: null,
        front: ['sonnet-35-v2', 'haiku-35'],
        passing: ['sonnet-35-v2'],
        reason: 'sonnet-35-v2 is the cheapest of 1 passing configuration(s)',
      },
      {
        intent: 'faq',
        chosen: 'haiku-35',
        closest: null,
        front: ['sonnet-35-v2', 'haiku-35'],
        passing: ['haiku-35', 'sonnet-35-v2'],
        reason: 'haiku-35 is the cheapest of 2 passing configuration(s)',
      },
    ],
  };
}

const T0 = Date.UTC(2026, 0, 2, 8, 0, 0);
const min = 60_000;

function figures(quality: number, delta: number) {
  const arm = (q: number, p95: number, cost: number) => ({
    requests: 800,
    scored: 760,
    quality: q,
    p95LatencyMs: p95,
    errorRate: 0.004,
    costPerRequest: cost,
  });
  return {
    candidate: arm(quality, 900, 0.0012),
    baseline: arm(quality - delta, 1800, 0.0061),
    qualityDelta: { estimate: delta, lower: delta - 0.02, upper: delta + 0.02 },
    srmP: 0.6,
  };
}

/** A canary timeline following the controller's contract: warm-up, two promotions, a hold, then a rollback. */
export function sampleCanary(): CanaryTimeline {
  return {
    canary: {
      id: 'haiku-faq-canary',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v2',
      candidate: 'haiku-35',
      weight: 0,
      status: 'stopped',
    },
    state: {
      status: 'rolled_back',
      stageIndex: 2,
      stage: '50%',
      weight: 0,
      stageStartedAt: T0 + 95 * min,
      windowStartedAt: T0 + 95 * min,
      updatedAt: T0 + 150 * min,
    },
    decisions: [
      { at: T0, stage: 'warmup', weight: 0, action: 'start', actor: 'admin-0123456789ab', reason: 'canary created', figures: null },
      {
        at: T0 + 10 * min,
        stage: 'warmup',
        weight: 0,
        action: 'warmup',
        actor: 'controller',
        reason: 'warm-up passed: 50 eval requests, quality 0.86',
        figures: null,
      },
      {
        at: T0 + 15 * min,
        stage: '5%',
        weight: 5,
        action: 'promote',
        actor: 'controller',
        reason: 'gates passed, entering 5%',
        figures: figures(0.86, -0.01),
      },
      {
        at: T0 + 50 * min,
        stage: '25%',
        weight: 25,
        action: 'promote',
        actor: 'controller',
        reason: 'gates passed at 5%',
        figures: figures(0.855, -0.012),
      },
      {
        at: T0 + 75 * min,
        stage: '25%',
        weight: 25,
        action: 'hold',
        actor: 'controller',
        reason: 'not enough scored requests yet',
        figures: figures(0.85, -0.015),
      },
      {
        at: T0 + 95 * min,
        stage: '50%',
        weight: 50,
        action: 'promote',
        actor: 'controller',
        reason: 'gates passed at 25%',
        figures: figures(0.85, -0.015),
      },
      {
        at: T0 + 140 * min,
        stage: '50%',
        weight: 0,
        action: 'rollback',
        actor: 'controller',
        reason: 'quality delta -0.045 below -0.03 <script>x</script>',
        figures: figures(0.83, -0.045),
      },
    ],
  };
}
