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
  /**
   * Share of requests a fallback configuration answered (this configuration throttled or failed first). They stay
   * in the error rate, cost and latency as the user got them, and are never scored.
   */
  fallbackShare: number;
  /** Share of requests whose guardrail intervened (stop reason `guardrail_intervened`). */
  guardrailRate: number;
  /** Scored successful requests; failures are never scored. */
  scored: number;
  meanQuality: number | null;
  qualityCi: [number, number] | null;
  passRate: number | null;
  /** Mean cost per request, failures included (null when some rows had no price). */
  costPerRequest: number | null;
  /** Sample standard deviation of cost per request (null without a price or with fewer than 2 requests). */
  costSd: number | null;
  /** Total cost divided by the number of satisfactory responses. */
  costPerSatisfactory: number | null;
  /** Mean quality per 1,000 real tokens (input, output, prompt-cache reads and writes) of scored requests. */
  qualityPer1kTokens: number | null;
  /** Share of prompt tokens read from the prompt cache (null without prompt tokens or figures). */
  cacheReadShare?: number | null;
  latencyMs: Percentiles | null;
  ttftMs: Percentiles | null;
  /** Mean quality divided by P95 latency in seconds. */
  qualityPerP95Second: number | null;
  /** Set when the row has fewer scored requests than the choice needs: the row is shown, never chosen. */
  insufficient: InsufficientData | null;
}

/** The mark of a row under the choice's minimum of scored requests. */
export interface InsufficientData {
  /** "insufficient data (n < 30 scored)". */
  label: string;
  minScored: number;
  /** Scored requests still missing. */
  needed: number;
}

/** The mark for a row with `scored` scored requests under a minimum of `minScored`, or null when it has enough. */
export function insufficientData(scored: number, minScored: number): InsufficientData | null {
  if (scored >= minScored) return null;
  return { label: `insufficient data (n < ${minScored} scored)`, minScored, needed: minScored - scored };
}

/**
 * Turns SQL sums and percentiles into report rows; `minScored` is the choice's minimum of scored requests
 * (rows under it are marked).
 */
export function buildRow(
  cell: CellSums,
  latency: Percentiles | undefined,
  ttft: Percentiles | undefined,
  alpha: number,
  minScored: number,
): IntentConfigRow {
  const q = fromSums(cell.scored, cell.qualitySum, cell.qualitySumSq);
  const meanQuality = cell.scored > 0 ? q.mean : null;
  let qualityCi: [number, number] | null = null;
  if (cell.scored > 1) {
    const half = studentQuantile(1 - alpha / 2, cell.scored - 1) * Math.sqrt(q.variance / cell.scored);
    qualityCi = [q.mean - half, q.mean + half];
  }
  const priced = cell.unpriced === 0;
  const costPerRequest = priced ? cell.costUsd / cell.requests : null;
  const costVariance = fromSums(cell.requests, cell.costUsd, cell.costSumSq).variance;
  const costSd = priced && Number.isFinite(costVariance) ? Math.sqrt(costVariance) : null;
  return {
    intent: cell.intent,
    configId: cell.configId,
    requests: cell.requests,
    errorRate: cell.errors / cell.requests,
    fallbackShare: (cell.fallbacks ?? 0) / cell.requests,
    guardrailRate: cell.guardrailed / cell.requests,
    scored: cell.scored,
    meanQuality,
    qualityCi,
    passRate: cell.scored > 0 ? cell.passes / cell.scored : null,
    costPerRequest,
    costSd,
    costPerSatisfactory: priced && cell.passes > 0 ? cell.costUsd / cell.passes : null,
    qualityPer1kTokens: cell.scoredTokens > 0 ? cell.qualitySum / (cell.scoredTokens / 1000) : null,
    cacheReadShare: cell.promptTokens ? (cell.cacheReadTokens ?? 0) / cell.promptTokens : null,
    latencyMs: latency ?? null,
    ttftMs: ttft ?? null,
    qualityPerP95Second: meanQuality !== null && latency ? meanQuality / (latency[95] / 1000) : null,
    insufficient: insufficientData(cell.scored, minScored),
  };
}
