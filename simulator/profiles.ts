import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { lognormalFromQuantiles, type Lognormal } from './rng.ts';

const Quantiles = z
  .strictObject({ p50: z.number().positive(), p95: z.number().positive() })
  .refine((q) => q.p95 >= q.p50, 'p95 must be at least p50');

const Rate = z.number().min(0).max(0.5);

const QualitySpec = z
  .strictObject({ mean: z.number().gt(0).lt(1), sd: z.number().positive() })
  .refine((q) => q.sd * q.sd < q.mean * (1 - q.mean), 'sd is too large for a distribution on [0, 1]');

const ColdStart = z.strictObject({ calls: z.number().int().min(0), slowdown: z.number().min(1) });

/**
 * A model that answers `ThrottlingException` (429) on purpose: its first `first` calls, and a `share` of the others
 * (drawn from the call's seed, so the same seed throttles the same calls). Applies whether or not random faults are on.
 */
const Throttling = z.strictObject({ first: z.number().int().min(0).default(0), share: z.number().min(0).max(1).default(0) });

const withDefault = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).refine((r) => r.default !== undefined, 'needs a "default" entry');

const Probability = z.number().min(0).max(1);

/** How faithfully a model answers a retrieval-augmented prompt for one intent. */
export const FidelitySpec = z.strictObject({
  /** Probability that each retrieved line is restated in the answer. */
  factRecall: Probability,
  /** Probability that the answer uses the shopper's browsing history (recommendations). */
  personalise: Probability,
  /** Share of padding sentences that are generic filler rather than grounded restatement. */
  genericness: Probability,
  /** Probability that one restated line carries a slip (a wrong price, window, stock state, status or date). */
  hallucination: Probability,
});
export type Fidelity = z.infer<typeof FidelitySpec>;

/** Fidelity of a model whose profile declares none. */
export const DEFAULT_FIDELITY: Fidelity = { factRecall: 0.9, personalise: 0.9, genericness: 0.25, hallucination: 0.02 };

/** One model's behaviour, as written in profiles.json. */
export const ProfileSpec = z.strictObject({
  name: z.string().min(1),
  maxOutputTokens: z.number().int().positive(),
  /** Time to first token, ms, lognormal. */
  ttftMs: Quantiles,
  /** Output speed, lognormal; its p95 is the fast end, the slow tail mirrors it in log space. */
  tokensPerSecond: Quantiles,
  rates: z.strictObject({ error: Rate, throttle: Rate, timeout: Rate }),
  coldStart: ColdStart.default({ calls: 0, slowdown: 1 }),
  throttling: Throttling.default({ first: 0, share: 0 }),
  /** Typical output length per intent, as a fraction of the intent's token budget. */
  outputFraction: withDefault(z.number().positive().max(1)),
  /** Relative sd of the output length around its typical value. */
  outputSpread: z.number().min(0).max(1),
  /** Declared answer quality per intent: a Beta distribution on [0, 1] with this mean and sd. */
  quality: withDefault(QualitySpec),
  /** Answer fidelity per intent for retrieval-augmented prompts (golden writer); default `DEFAULT_FIDELITY`. */
  fidelity: withDefault(FidelitySpec).optional(),
});
export type ProfileSpec = z.infer<typeof ProfileSpec>;

/** The whole profiles file. */
export const ProfileFile = z
  .strictObject({
    intentBudgets: z.record(z.string(), z.number().int().positive()),
    models: z.record(z.string(), ProfileSpec),
  })
  .refine((f) => f.intentBudgets.other !== undefined, 'intentBudgets needs an "other" entry');
export type ProfileFile = z.infer<typeof ProfileFile>;

/** First-calls slowdown of a model. */
export type ColdStart = z.infer<typeof ColdStart>;
/** Deliberate throttling of a model: its first calls and a seeded share of the rest. */
export type Throttling = z.input<typeof Throttling>;

/** What a model does for one intent, precomputed. */
export interface IntentProfile {
  intent: string;
  budget: number;
  fraction: number;
  quality: { mean: number; sd: number; a: number; b: number };
  fidelity: Fidelity;
}

/** A model profile ready for sampling. */
export interface ModelProfile {
  id: string;
  name: string;
  maxOutputTokens: number;
  ttft: Lognormal;
  tps: Lognormal;
  rates: { error: number; throttle: number; timeout: number };
  coldStart: ColdStart;
  throttling: { first: number; share: number };
  outputSpread: number;
  intents: ReadonlyMap<string, IntentProfile>;
  spec: ProfileSpec;
}

/** All model profiles plus the intent budgets. */
export interface ProfileSet {
  budgets: Readonly<Record<string, number>>;
  models: ReadonlyMap<string, ModelProfile>;
}

const INFERENCE_PROFILE_PREFIX = /^(?:us|eu|apac|us-gov|global)\./;

/** Validates profile data (the shape of profiles.json) and precomputes what sampling needs. */
export function parseProfiles(data: unknown): ProfileSet {
  const parsed = ProfileFile.safeParse(data);
  if (!parsed.success) throw new Error(`invalid simulator profiles:\n${describeIssues(parsed.error)}`);
  const { intentBudgets, models } = parsed.data;
  const compiled = new Map<string, ModelProfile>();
  for (const [id, spec] of Object.entries(models)) compiled.set(id, compileProfile(id, spec, intentBudgets));
  return { budgets: intentBudgets, models: compiled };
}

/** Reads and validates a profiles file; without a path, the bundled profiles.json. */
export function loadProfiles(path?: string): ProfileSet {
  const file = path ?? new URL('./profiles.json', import.meta.url);
  return parseProfiles(JSON.parse(readFileSync(file, 'utf8')));
}

let bundled: ProfileSet | undefined;

/** The bundled profiles, parsed once. */
export function defaultProfiles(): ProfileSet {
  bundled ??= loadProfiles();
  return bundled;
}

/** A copy of a profile set with some models' cold start replaced. */
export function withColdStarts(set: ProfileSet, overrides: Readonly<Record<string, ColdStart>>): ProfileSet {
  const models = new Map(set.models);
  for (const [id, coldStart] of Object.entries(overrides)) {
    const profile = models.get(id);
    if (!profile) throw new Error(`coldStart override for unknown model "${id}"`);
    models.set(id, { ...profile, coldStart: ColdStart.parse(coldStart) });
  }
  return { budgets: set.budgets, models };
}

/** Profiles with some models throttling on purpose (`SimulatorOptions.throttling`). */
export function withThrottling(set: ProfileSet, overrides: Readonly<Record<string, Throttling>>): ProfileSet {
  const models = new Map(set.models);
  for (const [id, throttling] of Object.entries(overrides)) {
    const profile = models.get(id);
    if (!profile) throw new Error(`throttling override for unknown model "${id}"`);
    models.set(id, { ...profile, throttling: Throttling.parse(throttling) });
  }
  return { budgets: set.budgets, models };
}

/** The profile of a Bedrock model id, also reached through a cross-region inference profile id (`us.` ...). */
export function findProfile(set: ProfileSet, modelId: string): ModelProfile | undefined {
  return set.models.get(modelId) ?? set.models.get(modelId.replace(INFERENCE_PROFILE_PREFIX, ''));
}

/** A model's behaviour for an intent; unknown intents behave as `other`. */
export function intentProfile(profile: ModelProfile, intent: string): IntentProfile {
  return profile.intents.get(intent) ?? (profile.intents.get('other') as IntentProfile);
}

/** A model's answer fidelity for an intent; unknown intents behave as `other`. */
export function fidelityOf(profile: ModelProfile, intent: string): Fidelity {
  return intentProfile(profile, intent).fidelity;
}

function compileProfile(id: string, spec: ProfileSpec, budgets: Record<string, number>): ModelProfile {
  const intents = new Map<string, IntentProfile>();
  for (const [intent, budget] of Object.entries(budgets)) {
    const q = spec.quality[intent] ?? spec.quality.default!;
    const k = (q.mean * (1 - q.mean)) / (q.sd * q.sd) - 1;
    intents.set(intent, {
      intent,
      budget,
      fraction: spec.outputFraction[intent] ?? spec.outputFraction.default!,
      quality: { mean: q.mean, sd: q.sd, a: q.mean * k, b: (1 - q.mean) * k },
      fidelity: spec.fidelity?.[intent] ?? spec.fidelity?.default ?? DEFAULT_FIDELITY,
    });
  }
  return {
    id,
    name: spec.name,
    maxOutputTokens: spec.maxOutputTokens,
    ttft: lognormalFromQuantiles(spec.ttftMs.p50, spec.ttftMs.p95),
    tps: lognormalFromQuantiles(spec.tokensPerSecond.p50, spec.tokensPerSecond.p95),
    rates: spec.rates,
    coldStart: spec.coldStart,
    throttling: spec.throttling,
    outputSpread: spec.outputSpread,
    intents,
    spec,
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
}
