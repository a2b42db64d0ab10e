import { z } from 'zod';
import { DEFAULT_CHOICE_RULES } from '../../analysis/choice.ts';
import type { Canary } from '../../schema/config.ts';

/** Gate thresholds a canary window is judged by (see docs/canary.md for why these defaults). */
export const CanaryGates = z.strictObject({
  /** Largest accepted relative quality drop (candidate / baseline - 1 >= -margin). */
  qualityMargin: z.number().min(0).max(1).default(0.05),
  /** Absolute floor of the candidate's mean quality. */
  qualityFloor: z.number().min(0).max(1).default(0.7),
  /** Error level of the quality confidence sequence. */
  qualityAlpha: z.number().gt(0).lt(1).default(0.05),
  /** Largest accepted relative P95 latency increase over the baseline (0.5: +50%). */
  p95RelativeMax: z.number().min(0).default(0.5),
  /** Latency SLA on P95; a candidate above it while the baseline is within it rolls back. */
  slaP95Ms: z.number().positive().default(DEFAULT_CHOICE_RULES.maxP95LatencyMs),
  /**
   * Non-inferiority margin of the error rate over the baseline's, absolute (0.02: +2 points): a window rolls
   * back when the excess is shown (always-valid, one-sided) to be above it, and promotes only once shown below.
   */
  errorRateMaxDelta: z.number().gt(0).max(1).default(0.02),
  /** Ceiling of the candidate's error rate, with or without a baseline to compare with, when shown above it. */
  errorRateMax: z.number().gt(0).max(1).default(0.05),
  /**
   * Margin of the cost per request over the baseline's, relative (0.25: +25%): a window rolls back when the
   * excess is shown (always-valid, one-sided) to be above it.
   */
  costRelativeMax: z.number().gt(0).default(0.25),
  /** p-value below which the split of sessions is a sample-ratio mismatch. */
  srmThreshold: z.number().gt(0).lt(1).default(0.001),
});
export type CanaryGates = z.infer<typeof CanaryGates>;

/** Synthetic requests sent to the candidate before it sees live traffic. */
export const WarmupPlan = z.strictObject({
  /** Number of requests; 0 skips the warm-up. */
  requests: z.number().int().min(0).max(100_000).default(500),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Intent sent with each request (x-intent); the canary's own intent when omitted. */
  intent: z.string().min(1).max(64).optional(),
  /** Largest share of failed warm-up requests that still lets live traffic start; above it the canary pauses. */
  maxFailedShare: z.number().min(0).max(1).default(0.05),
});
export type WarmupPlan = z.infer<typeof WarmupPlan>;

const Stages = z
  .array(z.number().gt(0).max(100))
  .min(1)
  .max(20)
  .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]!), 'stages must increase strictly')
  .default(() => [5, 25, 50, 100]);

/** How a canary moves: its stages, monitor window, sample needs, gates, time-out and notifications. */
export const CanaryPlan = z.strictObject({
  /** Candidate weights in percent, one per stage, strictly increasing; the last one is usually 100. */
  stages: Stages,
  /** Length of a monitor window. */
  windowMs: z.number().int().positive().default(1_800_000),
  /** Live requests, and quality scores, each arm needs in a window before it can be judged. */
  minSamplesPerArm: z.number().int().min(2).default(100),
  warmup: WarmupPlan.default(() => WarmupPlan.parse({})),
  gates: CanaryGates.default(() => CanaryGates.parse({})),
  /** How long a stage may stay inconclusive before `onTimeout` applies. */
  inconclusiveTimeoutMs: z.number().int().positive().default(7_200_000),
  onTimeout: z.enum(['pause', 'rollback']).default('pause'),
  /** Receives a JSON POST for every decision other than a hold. */
  webhookUrl: z
    .url()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
});
export type CanaryPlan = z.infer<typeof CanaryPlan>;

/** Body of `POST /canaries/:id/start`: the plan, every field optional (`{}` takes the defaults). */
export const StartBody = CanaryPlan;

/** The default plan. */
export function defaultPlan(): CanaryPlan {
  return CanaryPlan.parse({});
}

/** Live figures of one arm in one window. */
export const ArmFigures = z.strictObject({
  requests: z.number().int().nonnegative(),
  scored: z.number().int().nonnegative(),
  quality: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  errorRate: z.number().nullable(),
  costPerRequest: z.number().nullable(),
});
export type ArmFigures = z.infer<typeof ArmFigures>;

/** The numbers behind a decision. */
export const DecisionFigures = z.strictObject({
  candidate: ArmFigures,
  baseline: ArmFigures,
  qualityDelta: z.strictObject({ estimate: z.number(), lower: z.number(), upper: z.number() }).nullable(),
  srmP: z.number().nullable(),
});
export type DecisionFigures = z.infer<typeof DecisionFigures>;

/** Statuses of a canary under the controller. */
export const CANARY_STATUSES = ['pending', 'warming', 'running', 'paused', 'rolled_back', 'completed'] as const;
/** What a recorded decision did. */
export const CANARY_ACTIONS = [
  'start',
  'warmup',
  'hold',
  'promote',
  'rollback',
  'pause',
  'resume',
  'abort',
  'complete',
  'timeout',
] as const;
/** One of `CANARY_ACTIONS`. */
export type CanaryAction = (typeof CANARY_ACTIONS)[number];

/** One recorded decision with the figures behind it. */
export const Decision = z.strictObject({
  at: z.number().int(),
  stage: z.string(),
  weight: z.number(),
  action: z.enum(CANARY_ACTIONS),
  actor: z.string(),
  reason: z.string(),
  figures: DecisionFigures.nullable(),
});
export type Decision = z.infer<typeof Decision>;

/** What a baseline measured in its last window with traffic: the reference of the final (100%) stage. */
export const ReferenceArm = z.strictObject({
  figures: ArmFigures,
  sums: z
    .strictObject({ sessions: z.number(), sumY: z.number(), sumN: z.number(), sumYY: z.number(), sumNN: z.number(), sumYN: z.number() })
    .nullable(),
  errors: z.number().int().nonnegative(),
  p95Bounds: z.strictObject({ lower: z.number(), upper: z.number() }).nullable().default(null),
  costSumSq: z.number().nullable().default(null),
});
export type ReferenceArm = z.infer<typeof ReferenceArm>;

/** What a controller state belongs to: the canary's route, intent, baseline and candidate when it was started. */
export const CanarySubject = z.strictObject({
  route: z.string(),
  intent: z.string().nullable(),
  baseline: z.string(),
  candidate: z.string(),
});
export type CanarySubject = z.infer<typeof CanarySubject>;

/** The subject of a canary as configured. */
export function subjectOf(canary: Canary): CanarySubject {
  return { route: canary.route, intent: canary.intent ?? null, baseline: canary.baseline, candidate: canary.candidate };
}

/**
 * Whether a stored state belongs to the canary as configured now. A state of an earlier canary with the same
 * id (deleted and created again, or replaced) does not; a state written before subjects were kept does.
 */
export function stateMatches(state: CanaryState, canary: Canary): boolean {
  const s = state.subject;
  if (!s) return true;
  const c = subjectOf(canary);
  return s.route === c.route && s.intent === c.intent && s.baseline === c.baseline && s.candidate === c.candidate;
}

/** The controller's state of one canary, kept beside (not in) the routing configuration. */
export const CanaryState = z.strictObject({
  status: z.enum(CANARY_STATUSES),
  /** 0 before the first stage (pending, warming), then 1..stages.length. */
  stageIndex: z.number().int().nonnegative(),
  /** `warmup` before the first stage, else the stage's weight, e.g. `25%`. */
  stage: z.string(),
  weight: z.number().min(0).max(100),
  stageStartedAt: z.number().int(),
  windowStartedAt: z.number().int(),
  updatedAt: z.number().int(),
  plan: CanaryPlan,
  reference: ReferenceArm.nullable().default(null),
  /** The canary this state was started for; absent in states written before it was kept (they match any). */
  subject: CanarySubject.optional(),
});
export type CanaryState = z.infer<typeof CanaryState>;

/** The stage label of a stage index under a plan. */
export function stageLabel(plan: CanaryPlan, stageIndex: number): string {
  if (stageIndex <= 0) return 'warmup';
  return `${plan.stages[Math.min(stageIndex, plan.stages.length) - 1]}%`;
}

/** Record and log keys of a canary in the config store. */
export const canaryKeys = {
  state: (id: string): string => `canary/${id}`,
  decisions: (id: string): string => `canary-decisions/${id}`,
  lease: 'canary-controller',
};
