import type Database from 'better-sqlite3';
import { LIVE_ROWS, scoredQuality, servedByFallback, servedColumn, type RowFilter } from './filter.ts';

/** Sufficient statistics of one (intent, configuration) cell. */
export interface CellSums {
  intent: string;
  configId: string;
  requests: number;
  errors: number;
  /** Answers whose guardrail intervened (stop reason `guardrail_intervened`). */
  guardrailed: number;
  costUsd: number;
  /** Sum of squared costs of priced requests (for the spread of cost per request). */
  costSumSq: number;
  unpriced: number;
  /** Requests a fallback configuration answered (counted in requests, errors, cost and latency; never scored); absent: 0. */
  fallbacks?: number;
  scored: number;
  qualitySum: number;
  qualitySumSq: number;
  passes: number;
  /** Real tokens of the scored requests: input, output and the prompt-cache reads and writes. */
  scoredTokens: number;
  /** Prompt tokens of all requests: input plus cache reads and writes (absent from sums built elsewhere). */
  promptTokens?: number;
  /** Prompt tokens read from the cache, all requests. */
  cacheReadTokens?: number;
}

/**
 * Aggregates live observations per intent and (assigned) configuration in SQL. Failed requests are counted as
 * errors and never scored; requests a fallback answered are counted (and as fallbacks) but never scored; a pass is a quality score at or above the intent's gate.
 */
export function queryCells(db: Database.Database, filter: RowFilter, gates: Record<string, number>, defaultGate: number): CellSums[] {
  const params: Record<string, unknown> = { since: filter.since, defaultGate };
  const cases = Object.entries(gates).map(([intent, gate], i) => {
    params[`gi${i}`] = intent;
    params[`gv${i}`] = gate;
    return `WHEN @gi${i} THEN @gv${i}`;
  });
  const gate = cases.length ? `CASE intent ${cases.join(' ')} ELSE @defaultGate END` : '@defaultGate';
  const served = servedColumn(db);
  const sql = `WITH scored AS MATERIALIZED (
      SELECT o.intent AS intent, o.config_id AS configId, o.error_code IS NOT NULL AS failed, o.cost_usd AS cost,
        ${servedByFallback(served)} AS fallback,
        o.stop_reason IS 'guardrail_intervened' AS guardrailed,
        o.input_tokens + o.output_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS tokens,
        o.input_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS prompt,
        COALESCE(o.cache_read_input_tokens, 0) AS cacheRead, ${scoredQuality(served)} AS q
      FROM observations o WHERE ${LIVE_ROWS}
    )
    SELECT intent, configId,
      COUNT(*) AS requests,
      TOTAL(failed) AS errors,
      TOTAL(guardrailed) AS guardrailed,
      TOTAL(cost) AS costUsd,
      TOTAL(cost * cost) AS costSumSq,
      TOTAL(cost IS NULL) AS unpriced,
      TOTAL(fallback) AS fallbacks,
      COUNT(q) AS scored,
      TOTAL(q) AS qualitySum,
      TOTAL(q * q) AS qualitySumSq,
      TOTAL(q >= ${gate}) AS passes,
      TOTAL(CASE WHEN q IS NOT NULL THEN tokens END) AS scoredTokens,
      TOTAL(prompt) AS promptTokens,
      TOTAL(cacheRead) AS cacheReadTokens
    FROM scored
    GROUP BY intent, configId
    ORDER BY intent, configId`;
  return db.prepare(sql).all(params) as CellSums[];
}
