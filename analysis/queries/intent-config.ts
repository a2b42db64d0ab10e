import type Database from 'better-sqlite3';
import { LIVE_ROWS, QUALITY_OF_ROW, type RowFilter } from './filter.ts';

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
  scored: number;
  qualitySum: number;
  qualitySumSq: number;
  passes: number;
  /** Real input + output tokens of the scored requests. */
  scoredTokens: number;
}

/**
 * Aggregates live observations per intent and configuration in SQL. Failed requests are counted as errors
 * and never scored; a pass is a quality score at or above the intent's gate.
 */
export function queryCells(db: Database.Database, filter: RowFilter, gates: Record<string, number>, defaultGate: number): CellSums[] {
  const params: Record<string, unknown> = { since: filter.since, defaultGate };
  const cases = Object.entries(gates).map(([intent, gate], i) => {
    params[`gi${i}`] = intent;
    params[`gv${i}`] = gate;
    return `WHEN @gi${i} THEN @gv${i}`;
  });
  const gate = cases.length ? `CASE intent ${cases.join(' ')} ELSE @defaultGate END` : '@defaultGate';
  const sql = `WITH scored AS MATERIALIZED (
      SELECT o.intent AS intent, o.config_id AS configId, o.error_code IS NOT NULL AS failed, o.cost_usd AS cost,
        o.stop_reason IS 'guardrail_intervened' AS guardrailed,
        o.input_tokens + o.output_tokens AS tokens, ${QUALITY_OF_ROW} AS q
      FROM observations o WHERE ${LIVE_ROWS}
    )
    SELECT intent, configId,
      COUNT(*) AS requests,
      TOTAL(failed) AS errors,
      TOTAL(guardrailed) AS guardrailed,
      TOTAL(cost) AS costUsd,
      TOTAL(cost * cost) AS costSumSq,
      TOTAL(cost IS NULL) AS unpriced,
      COUNT(q) AS scored,
      TOTAL(q) AS qualitySum,
      TOTAL(q * q) AS qualitySumSq,
      TOTAL(q >= ${gate}) AS passes,
      TOTAL(CASE WHEN q IS NOT NULL THEN tokens END) AS scoredTokens
    FROM scored
    GROUP BY intent, configId
    ORDER BY intent, configId`;
  return db.prepare(sql).all(params) as CellSums[];
}
