import { intentProfile, type ModelProfile } from './profiles.ts';
import { drawQuality } from './quality.ts';
import { createRng, mix32, sampleLognormal, type Rng } from './rng.ts';

/** A fault drawn from a profile's rates. */
export type SampledFault = 'error' | 'throttle' | 'timeout';

/** Everything random about one call, drawn up front in a fixed order. */
export interface CallPlan {
  /** Fault drawn from the profile's rates, or null. */
  fault: SampledFault | null;
  ttftMs: number;
  tokensPerSecond: number;
  /** Natural answer length before any max-tokens cap. */
  targetTokens: number;
  /** Declared quality of this answer, in [0, 1]. */
  quality: number;
  /** Cold-start factor applied to all of this call's latency (1 once warm). */
  slowdown: number;
}

/** Draws the plan of one call: fault, latency, answer length and quality. */
export function planCall(profile: ModelProfile, intent: string, callIndex: number, rng: Rng): CallPlan {
  const behaviour = intentProfile(profile, intent);
  const u = rng.next();
  const { error, throttle, timeout } = profile.rates;
  const fault: SampledFault | null =
    u < error ? 'error' : u < error + throttle ? 'throttle' : u < error + throttle + timeout ? 'timeout' : null;
  const ttftMs = sampleLognormal(rng, profile.ttft);
  const tokensPerSecond = sampleLognormal(rng, profile.tps);
  const typical = behaviour.fraction * behaviour.budget;
  const length = typical * (1 + profile.outputSpread * rng.normal());
  const targetTokens = Math.max(1, Math.min(behaviour.budget, Math.round(length)));
  const quality = drawQuality(behaviour, rng);
  const slowdown = callIndex < profile.coldStart.calls ? profile.coldStart.slowdown : 1;
  return { fault, ttftMs, tokensPerSecond, targetTokens, quality, slowdown };
}

/** Simulated model time to the first token, ms. */
export function firstTokenMs(plan: CallPlan): number {
  return plan.ttftMs * plan.slowdown;
}

/** Simulated model time to produce `tokens` output tokens after the first one, ms. */
export function generationMs(plan: CallPlan, tokens: number): number {
  return ((tokens * 1000) / plan.tokensPerSecond) * plan.slowdown;
}

/** Simulated total latency for an answer of `tokens` output tokens, ms. */
export function totalLatencyMs(plan: CallPlan, tokens: number): number {
  return firstTokenMs(plan) + generationMs(plan, tokens);
}

/**
 * Whether a model's throttling profile throttles call number `callIndex`: one of its first calls, or drawn into its
 * share from a stream of its own (seeded by the call), so the call's other draws stay as they were.
 */
export function throttledByProfile(profile: ModelProfile, callIndex: number, callSeed: number): boolean {
  const { first, share } = profile.throttling;
  if (callIndex < first) return true;
  return share > 0 && createRng(mix32(callSeed ^ 0x7417e1)).next() < share;
}
