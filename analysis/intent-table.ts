import type { CellSums } from './queries/intent-config.ts';
import type { Percentiles } from './queries/quantiles.ts';
import { studentQuantile } from './stats/distributions.ts';
import { fromSums } from './stats/summary.ts';

/** One row of the per-intent, per-configuration table. */
export interface IntentConfigRow {
  intent: string;
  configId: string;
  requests: number;
  errorRate: number;
  /** Scored successful requests; failures are never scored. */
  scored: number;
  meanQuality: number | null;
  qualityCi: [number, number] | null;
  passRate: number | null;
  /** Mean cost per request, failures included (null when some rows had no price). */
  costPerRequest: number | null;
  /** Total cost divided by the number of satisfactory responses. */
  costPerSatisfactory: number | null;
  /** Mean quality per 1,000 real (input + output) tokens of scored requests. */
  qualityPer1kTokens: number | null;
  latencyMs: Percentiles | null;
  ttftMs: Percentiles | null;
  /** Mean quality divided by P95 latency in seconds. */
  qualityPerP95Second: number | null;
}

/** Turns SQL sums and percentiles into report rows. */
export function buildRow(cell: CellSums, latency: Percentiles | undefined, ttft: Percentiles | undefined, alpha: number): IntentConfigRow {
  const q = fromSums(cell.scored, cell.qualitySum, cell.qualitySumSq);
  const meanQuality = cell.scored > 0 ? q.mean : null;
  let qualityCi: [number, number] | null = null;
  if (cell.scored > 1) {
    const half = studentQuantile(1 - alpha / 2, cell.scored - 1) * Math.sqrt(q.variance / cell.scored);
    qualityCi = [q.mean - half, q.mean + half];
  }
  const priced = cell.unpriced === 0;
  const costPerRequest = priced ? cell.costUsd / cell.requests : null;
  return {
    intent: cell.intent,
    configId: cell.configId,
    requests: cell.requests,
    errorRate: cell.errors / cell.requests,
    scored: cell.scored,
    meanQuality,
    qualityCi,
    passRate: cell.scored > 0 ? cell.passes / cell.scored : null,
    costPerRequest,
    costPerSatisfactory: priced && cell.passes > 0 ? cell.costUsd / cell.passes : null,
    qualityPer1kTokens: cell.scoredTokens > 0 ? cell.qualitySum / (cell.scoredTokens / 1000) : null,
    latencyMs: latency ?? null,
    ttftMs: ttft ?? null,
    qualityPerP95Second: meanQuality !== null && latency ? meanQuality / (latency[95] / 1000) : null,
  };
}
