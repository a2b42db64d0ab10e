import { z } from 'zod';

/** Thresholds and assumptions of the analysis job; every field has the MangaAssist document's default. */
export const AnalysisSettings = z.strictObject({
  /** Quality score at or above which a response counts as satisfactory. */
  qualityGate: z.number().min(0).max(1).default(0.75),
  /** Per-intent overrides of `qualityGate`. */
  intentGates: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** Minimum pass rate for a configuration to be chosen for an intent. */
  minPassRate: z.number().min(0).max(1).default(0.8),
  /** Latency SLA on P95 total latency, ms. */
  maxP95LatencyMs: z.number().positive().default(3000),
  /** Scored requests a configuration needs on an intent before it may be chosen (rows below it are shown, marked). */
  minScoredForChoice: z.number().int().nonnegative().default(30),
  /** Passing configurations whose mean cost per request is within this fraction of the cheapest tie on cost. */
  costTieTolerance: z.number().min(0).max(1).default(0.02),
  /** Also tie when the cost difference is within its uncertainty (Welch interval at `alpha` contains 0). */
  costTieByUncertainty: z.boolean().default(true),
  /** Messages per day for the monthly projection. */
  dailyVolume: z.number().positive().default(1_000_000),
  daysPerMonth: z.number().positive().default(30),
  /** Traffic share per intent; default: the observed live mix. */
  trafficMix: z.record(z.string(), z.number().nonnegative()).optional(),
  alpha: z.number().gt(0).lt(1).default(0.05),
  power: z.number().gt(0).lt(1).default(0.8),
  /** Smallest quality difference worth acting on. */
  minEffect: z.number().positive().default(0.02),
  /** Sessions per arm before the fixed-horizon test may decide. */
  minSessionsPerArm: z.number().int().positive().default(1000),
  /** Extra cost per request a better treatment may carry and still be promoted without review. */
  marginalCostPerRequest: z.number().nonnegative().default(0.001),
  /** Saving per request that promotes a treatment of similar quality. */
  cheaperCostPerRequest: z.number().nonnegative().default(0.0005),
  /** Sample-ratio-mismatch flag threshold. */
  srmThreshold: z.number().gt(0).lt(1).default(0.001),
  /** Sessions per arm at which the sequential test is tightest (N*). */
  sequentialNStar: z.number().int().positive().default(1000),
  /** Planning guess of the per-session quality standard deviation, for tuning the sequential test. */
  sequentialSd: z.number().positive().default(0.12),
  /**
   * Non-inferiority margin of the error-rate guardrail, absolute (0.01: one percentage point). An experiment
   * rolls back when the treatment's error rate is shown, always-validly, to exceed control's by more than this;
   * it is promoted only once shown not to.
   */
  errorMargin: z.number().gt(0).max(1).default(0.01),
  /** Multiplicity correction across experiments and metrics. */
  correction: z.enum(['holm', 'bh']).default('holm'),
});
export type AnalysisSettings = z.infer<typeof AnalysisSettings>;

/** The quality gate of an intent. */
export function gateOf(settings: AnalysisSettings, intent: string): number {
  return settings.intentGates[intent] ?? settings.qualityGate;
}
