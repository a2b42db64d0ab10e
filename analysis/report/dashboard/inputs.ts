import { z } from 'zod';

const Num = z.number();
const NullableNum = z.number().nullable();
const Interval = z.tuple([Num, Num]);
const Percentiles = z.object({ 50: Num, 95: Num, 99: Num });

/** A paired test as the report's JSON holds it (NaN is written as null). */
const Paired = z.object({ n: Num, diff: NullableNum, p: NullableNum, ci: z.tuple([NullableNum, NullableNum]).nullable() }).nullable();
const ShadowSide = z.object({
  configId: z.string(),
  errorRate: NullableNum,
  meanQuality: NullableNum,
  meanCostUsd: NullableNum,
  meanLatencyMs: NullableNum,
});
/** One shadow comparison of the analysis report. */
const ShadowRow = z.object({
  route: z.string(),
  intent: z.string(),
  pairs: Num,
  scored: Num,
  live: ShadowSide,
  shadow: ShadowSide,
  quality: Paired,
  costUsd: Paired,
  latencyMs: Paired,
});

/** A per-intent, per-configuration row as the analysis job and the offline evaluator write it. */
export const DashboardRow = z.object({
  intent: z.string(),
  configId: z.string(),
  requests: Num,
  errorRate: Num,
  scored: Num,
  meanQuality: NullableNum,
  qualityCi: Interval.nullable(),
  passRate: NullableNum,
  costPerRequest: NullableNum,
  latencyMs: Percentiles.nullable(),
  ttftMs: Percentiles.nullable(),
  /** Set when the row is under the choice's minimum of scored requests (absent in reports written before it). */
  insufficient: z.object({ label: z.string(), minScored: Num, needed: Num }).nullable().optional(),
});
export type DashboardRow = z.infer<typeof DashboardRow>;

/** A cost tie among passing configurations, broken by quality (see analysis/cost-tie.ts). */
const CostTie = z
  .object({
    cheapest: z.object({ configId: z.string(), costPerRequest: Num, quality: Num }),
    tied: z.array(z.object({ configId: z.string(), costPerRequest: Num, quality: Num })),
    chosen: z.string(),
  })
  .nullable()
  .optional();

const Projection = z.object({
  monthlyUsd: Num,
  perIntent: z.array(z.object({ intent: z.string(), configId: z.string(), share: Num, costPerRequest: Num, monthlyUsd: Num })),
  unknown: z.array(z.string()),
});

/** Where a report's configuration came from (store and version, or file); absent in older reports. */
const ConfigSource = z
  .object({ kind: z.enum(['store', 'file']), description: z.string() })
  .nullable()
  .optional();

/** The parts of the analysis report (`analysis.json`) the dashboard reads. */
export const DashboardAnalysis = z.object({
  generatedAt: z.string(),
  /** Where the analysed configuration came from; absent in reports written before it was recorded. */
  configSource: ConfigSource,
  liveRequests: Num,
  settings: z.object({ maxP95LatencyMs: Num }),
  intents: z.array(DashboardRow),
  experiments: z.array(
    z.object({
      id: z.string(),
      intent: z.string().nullable(),
      arms: z.array(
        z.object({
          arm: z.string(),
          configId: z.string(),
          sessions: Num,
          requests: Num,
          scored: Num,
          meanQuality: Num,
          costPerRequest: Num,
        }),
      ),
      srm: z.object({ p: Num, mismatch: z.boolean() }).nullable(),
      quality: z.object({
        session: z.object({ diff: Num, ci: Interval, p: Num }),
        lift: z.object({ lift: Num, ci: Interval }),
        sequential: z.object({ lower: Num, upper: Num, significant: z.boolean() }),
        minimumScoredPerArm: Num,
        ready: z.boolean(),
      }),
      costDeltaPerRequest: Num,
      costDeltaPerMonth: NullableNum,
      tests: z.array(z.object({ metric: z.string(), p: Num, adjustedP: Num })),
      decision: z.object({ decision: z.string(), reason: z.string() }),
    }),
  ),
  /** Experiments that could not be compared (absent in reports written before they were listed). */
  unanalysed: z
    .array(
      z.object({
        id: z.string(),
        intent: z.string().nullable(),
        reason: z.string(),
        srm: z.object({ p: Num, mismatch: z.boolean() }).nullable(),
      }),
    )
    .optional(),
  /** Shadow candidates beside the live configuration (absent in reports written before shadow traffic). */
  shadow: z.array(ShadowRow).optional(),
  recommendation: z
    .object({
      choices: z.array(
        z.object({
          intent: z.string(),
          current: z.string(),
          recommended: z.string(),
          front: z.array(z.string()),
          passing: z.array(z.string()),
          closest: z.string().nullable(),
          reason: z.string(),
          tie: CostTie,
        }),
      ),
      mix: z.record(z.string(), Num),
      dailyVolume: Num,
      current: Projection,
      recommended: Projection,
      currentMonthlyUsd: Num,
      recommendedMonthlyUsd: Num,
      monthlySavingUsd: Num,
    })
    .nullable(),
});
export type DashboardAnalysis = z.infer<typeof DashboardAnalysis>;

/** The offline evaluation report (`eval-report.json`). */
export const EvalReport = z.object({
  generatedAt: z.string(),
  configSource: ConfigSource,
  runId: z.string(),
  dataset: z.object({ path: z.string(), cases: Num, intents: z.array(z.string()) }),
  configs: z.array(z.string()),
  rows: z.array(DashboardRow.extend({ dimensions: z.record(z.string(), NullableNum) })),
  choices: z.array(
    z.object({
      intent: z.string(),
      chosen: z.string().nullable(),
      closest: z.string().nullable(),
      front: z.array(z.string()),
      passing: z.array(z.string()),
      reason: z.string(),
      tie: CostTie,
    }),
  ),
});
export type EvalReport = z.infer<typeof EvalReport>;

/** What a canary gate saw of one arm. */
export const ArmFigures = z.object({
  requests: Num,
  scored: Num,
  quality: NullableNum,
  p95LatencyMs: NullableNum,
  errorRate: NullableNum,
  costPerRequest: NullableNum,
});
export type ArmFigures = z.infer<typeof ArmFigures>;

/** One step of a canary's history. */
export const CanaryDecision = z.object({
  /** Epoch ms. */
  at: Num,
  stage: z.string(),
  weight: Num,
  /** start, warmup, hold, promote, rollback, pause, resume, abort, complete or timeout. */
  action: z.string(),
  actor: z.string(),
  reason: z.string(),
  figures: z
    .object({
      candidate: ArmFigures,
      baseline: ArmFigures,
      qualityDelta: z.object({ estimate: Num, lower: Num, upper: Num }).nullable(),
      srmP: NullableNum,
    })
    .nullable(),
});
export type CanaryDecision = z.infer<typeof CanaryDecision>;

/** A canary, its controller state and its decisions. */
export const CanaryTimeline = z.object({
  canary: z.object({
    id: z.string(),
    route: z.string(),
    intent: z.string().optional(),
    baseline: z.string(),
    candidate: z.string(),
    weight: Num,
    status: z.string(),
  }),
  state: z
    .object({
      status: z.string(),
      stageIndex: Num.optional(),
      stage: z.string().optional(),
      weight: Num,
      stageStartedAt: NullableNum.optional(),
      windowStartedAt: NullableNum.optional(),
      updatedAt: NullableNum.optional(),
    })
    .nullable(),
  decisions: z.array(CanaryDecision),
});
export type CanaryTimeline = z.infer<typeof CanaryTimeline>;

/** Everything the dashboard page can show; each part is optional. */
export interface DashboardData {
  analysis?: DashboardAnalysis;
  evaluation?: EvalReport;
  canaries?: CanaryTimeline[];
  /** Ids of the experiments running in the configuration in force (the admin app reads them from its store). */
  runningExperiments?: string[];
  title?: string;
  /** Problems met while gathering the data (unreadable files, a failing source), shown at the top. */
  notices?: string[];
}
