import { defaultProfiles, findProfile, intentProfile, type IntentProfile, type ProfileSet } from './profiles.ts';
import { sampleBeta, type Rng } from './rng.ts';

/** One draw from an intent's declared quality distribution, in [0, 1]. */
export function drawQuality(behaviour: IntentProfile, rng: Rng): number {
  return sampleBeta(rng, behaviour.quality.a, behaviour.quality.b);
}

/**
 * One draw from the declared answer quality of a model for an intent (unknown intents behave as `other`),
 * e.g. for a simulated user posting feedback.
 */
export function sampleQuality(modelId: string, intent: string, rng: Rng, profiles: ProfileSet = defaultProfiles()): number {
  const profile = findProfile(profiles, modelId);
  if (!profile) throw new Error(`unknown model "${modelId}"`);
  return drawQuality(intentProfile(profile, intent), rng);
}
