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
  /** Scored requests behind the quality and the pass rate. */
  scored: number;
  /** Requests behind the mean cost (failures included). */
  requests: number;
  /** Standard deviation of cost per request; null when unknown. */
  costSd: number | null;
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

/** The quality gate and the latency SLA a configuration must meet to be chosen. */
export interface PassRules {
  /** Minimum pass rate, default 0.8. */
  minPassRate: number;
  /** Latency SLA on P95, default 3,000 ms. */
  maxP95LatencyMs: number;
}

/** How far a candidate falls short of the rules, as the sum of relative shortfalls (0 when it passes). */
export function shortfall(c: Candidate, rules: PassRules): number {
  const quality = Math.max(0, (rules.minPassRate - c.passRate) / rules.minPassRate);
  const latency = Math.max(0, (c.p95LatencyMs - rules.maxP95LatencyMs) / rules.maxP95LatencyMs);
  return quality + latency;
}
