import type { Candidate } from './pareto.ts';
import { welchTest } from './stats/welch.ts';

/** When two passing configurations cost the same for the choice. */
export interface CostTieRules {
  /** Relative difference of mean cost per request, against the cheaper one, within which two costs tie (0.02 = 2%). */
  costTieTolerance: number;
  /** Two-sided level of the Welch interval of the cost difference; a difference it cannot tell from 0 ties. Null: off. */
  costTieAlpha: number | null;
}

/** Why a configuration ties on cost with the cheapest passing one. */
export type TieGround =
  | { rule: 'tolerance'; relative: number }
  | { rule: 'uncertainty'; relative: number; halfWidth: number; level: number };

/** Relative cost difference of `c` over `cheapest` (0 when both are free, infinite when only the cheapest is). */
function relativeDifference(c: Candidate, cheapest: Candidate): number {
  const diff = c.costPerRequest - cheapest.costPerRequest;
  if (cheapest.costPerRequest === 0) return diff === 0 ? 0 : Number.POSITIVE_INFINITY;
  return diff / cheapest.costPerRequest;
}

/** Half-width of the Welch interval of the cost difference, or null when either spread is unknown or both are 0. */
function uncertainty(c: Candidate, cheapest: Candidate, alpha: number): number | null {
  if (c.costSd === null || cheapest.costSd === null || c.requests < 2 || cheapest.requests < 2) return null;
  const summary = (x: Candidate) => ({ n: x.requests, mean: x.costPerRequest, variance: x.costSd! ** 2 });
  const w = welchTest(summary(cheapest), summary(c), alpha);
  const half = (w.ci[1] - w.ci[0]) / 2;
  return Number.isFinite(half) && half > 0 ? half : null;
}

/**
 * Whether `c` ties on cost with `cheapest` (the cheapest passing configuration): its mean cost per request is
 * within the relative tolerance, or the difference lies inside its own confidence interval. Null: no tie.
 */
export function costTie(c: Candidate, cheapest: Candidate, rules: CostTieRules): TieGround | null {
  const relative = relativeDifference(c, cheapest);
  if (relative <= rules.costTieTolerance) return { rule: 'tolerance', relative };
  if (rules.costTieAlpha === null) return null;
  const half = uncertainty(c, cheapest, rules.costTieAlpha);
  const diff = c.costPerRequest - cheapest.costPerRequest;
  if (half === null || diff > half) return null;
  return { rule: 'uncertainty', relative, halfWidth: half, level: 1 - rules.costTieAlpha };
}

/** A configuration in a cost tie. */
export interface TiedConfig {
  configId: string;
  costPerRequest: number;
  quality: number;
}

/** A cost tie among passing configurations, broken by quality. */
export interface CostTie {
  /** The cheapest passing configuration, the anchor of the tie. */
  cheapest: TiedConfig;
  /** The configurations tying with the cheapest, and why each ties. */
  tied: (TiedConfig & { ground: TieGround })[];
  /** The best quality of the tie (the cheapest or one of `tied`). */
  chosen: string;
}

function byQualityThenCost(a: Candidate, b: Candidate): number {
  return b.quality - a.quality || a.costPerRequest - b.costPerRequest || a.configId.localeCompare(b.configId);
}

const tiedConfig = (c: Candidate): TiedConfig => ({ configId: c.configId, costPerRequest: c.costPerRequest, quality: c.quality });

/**
 * Picks among passing configurations sorted by cost, cheapest first: those tying on cost with the cheapest
 * form a group with it, and the group's best quality wins. Returns the pick and the tie (null when nothing tied).
 */
export function breakCostTie(passing: readonly Candidate[], rules: CostTieRules): { chosen: Candidate | null; tie: CostTie | null } {
  const cheapest = passing[0];
  if (!cheapest) return { chosen: null, tie: null };
  const tied = passing.slice(1).flatMap((c) => {
    const ground = costTie(c, cheapest, rules);
    return ground ? [{ candidate: c, ground }] : [];
  });
  if (!tied.length) return { chosen: cheapest, tie: null };
  const chosen = [cheapest, ...tied.map((t) => t.candidate)].sort(byQualityThenCost)[0]!;
  const members = tied.map((t) => ({ ...tiedConfig(t.candidate), ground: t.ground }));
  return { chosen, tie: { cheapest: tiedConfig(cheapest), tied: members, chosen: chosen.configId } };
}
