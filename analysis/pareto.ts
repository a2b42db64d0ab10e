/** One configuration's standing for one intent. */
export interface Candidate {
  configId: string;
  /** Mean quality score, 0..1 (higher is better). */
  quality: number;
  /** Share of scored responses at or above the intent's quality gate. */
  passRate: number;
  /** Mean cost per request, USD (lower is better). */
  costPerRequest: number;
  /** 95th percentile of total latency, ms (lower is better). */
  p95LatencyMs: number;
}

/** Constraints a configuration must meet to be chosen. */
export interface ChoiceRules {
  /** Minimum pass rate, default 0.8. */
  minPassRate: number;
  /** Latency SLA on P95, default 3,000 ms. */
  maxP95LatencyMs: number;
}

/** The MangaAssist rules: pass rate >= 80% and P95 <= 3 s. */
export const DEFAULT_CHOICE_RULES: ChoiceRules = { minPassRate: 0.8, maxP95LatencyMs: 3000 };

/** Outcome of the choice for one intent. */
export interface Choice {
  /** The cheapest configuration meeting the rules, or null when none does. */
  chosen: Candidate | null;
  /** When nothing passes: the candidate nearest to passing. */
  closest: Candidate | null;
  /** Non-dominated set over (quality up, cost down, P95 latency down). */
  front: Candidate[];
  passing: string[];
  reason: string;
}

/** True when `a` is at least as good as `b` on every axis and strictly better on one. */
export function dominates(a: Candidate, b: Candidate): boolean {
  const noWorse = a.quality >= b.quality && a.costPerRequest <= b.costPerRequest && a.p95LatencyMs <= b.p95LatencyMs;
  const better = a.quality > b.quality || a.costPerRequest < b.costPerRequest || a.p95LatencyMs < b.p95LatencyMs;
  return noWorse && better;
}

/** The candidates no other candidate dominates, in input order. */
export function paretoFront(candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((c) => !candidates.some((o) => o !== c && dominates(o, c)));
}

/** How far a candidate falls short of the rules, as the sum of relative shortfalls (0 when it passes). */
export function shortfall(c: Candidate, rules: ChoiceRules): number {
  const quality = Math.max(0, (rules.minPassRate - c.passRate) / rules.minPassRate);
  const latency = Math.max(0, (c.p95LatencyMs - rules.maxP95LatencyMs) / rules.maxP95LatencyMs);
  return quality + latency;
}

function byCostThenQuality(a: Candidate, b: Candidate): number {
  return a.costPerRequest - b.costPerRequest || b.quality - a.quality || a.configId.localeCompare(b.configId);
}

/** Chooses the cheapest candidate that passes the quality gate and the latency SLA; ties go to quality. */
export function chooseConfig(candidates: readonly Candidate[], rules: ChoiceRules = DEFAULT_CHOICE_RULES): Choice {
  const front = paretoFront(candidates);
  const passing = candidates.filter((c) => shortfall(c, rules) === 0).sort(byCostThenQuality);
  const chosen = passing[0] ?? null;
  if (chosen) {
    return {
      chosen,
      closest: null,
      front,
      passing: passing.map((c) => c.configId),
      reason: `${chosen.configId} is the cheapest of ${passing.length} passing configuration(s) (pass rate ${pct(chosen.passRate)}, P95 ${Math.round(chosen.p95LatencyMs)} ms)`,
    };
  }
  const closest = [...candidates].sort((a, b) => shortfall(a, rules) - shortfall(b, rules) || byCostThenQuality(a, b))[0] ?? null;
  const reason = closest
    ? `no configuration passes (pass rate >= ${pct(rules.minPassRate)}, P95 <= ${rules.maxP95LatencyMs} ms); closest: ${closest.configId} (pass rate ${pct(closest.passRate)}, P95 ${Math.round(closest.p95LatencyMs)} ms)`
    : 'no configuration has data';
  return { chosen: null, closest, front, passing: [], reason };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
