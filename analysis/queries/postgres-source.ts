import type { SqlRunner } from '../../stores/warehouse/interface.ts';
import { assignmentColumns, assignmentCountsOf, periodExpression, type AssignmentCounts } from './assignment.ts';
import { armSumsOf, type ArmSums, type OutcomeSums } from './experiments.ts';
import type { RowFilter } from './filter.ts';
import type { CellSums } from './intent-config.ts';
import { groupKey, PERCENTILES, type Percentiles } from './quantiles.ts';
import { byKeys, type AnalysisSource } from './source.ts';
import { nearestRank } from '../stats/nearest-rank.ts';

/** The shared WHERE clause (alias `o`); `$1` is the start time in epoch ms. */
const LIVE = `o.traffic = 'live' AND o.config_id IS NOT NULL AND o.time >= $1`;
/** The quality score in force for row `o` through the `feedback_latest` view; null for failed requests and fallback answers (`quality`). */
const QUALITY_JOIN = `LEFT JOIN feedback_latest fl ON fl.scope = 'request' AND fl.key = o.request_id AND fl.metric = 'quality_score'`;
const quality = (served: string): string => `CASE WHEN o.error_code IS NULL AND ${served} IS NULL THEN fl.value END`;
const fallbackFlag = (served: string): string => `CASE WHEN ${served} IS NOT NULL THEN 1 ELSE 0 END`;

/** `o.served_config_id`, or NULL on a warehouse that predates it (no row there was answered by a fallback). */
async function servedColumn(db: SqlRunner): Promise<string> {
  const present = await db.query<Row>(`SELECT 1 AS x FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'observations' AND column_name = 'served_config_id'`);
  return present.length > 0 ? 'o.served_config_id' : 'CAST(NULL AS VARCHAR(256))';
}
const FAILED = 'CASE WHEN o.error_code IS NOT NULL THEN 1 ELSE 0 END';

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);

async function cells(db: SqlRunner, filter: RowFilter, gates: Record<string, number>, defaultGate: number): Promise<CellSums[]> {
  const served = await servedColumn(db);
  const params: unknown[] = [filter.since, defaultGate];
  const cases = Object.entries(gates).map(([intent, gate]) => {
    params.push(intent, gate);
    return `WHEN CAST($${params.length - 1} AS VARCHAR(256)) THEN CAST($${params.length} AS DOUBLE PRECISION)`;
  });
  const fallback = 'CAST($2 AS DOUBLE PRECISION)';
  const gate = cases.length ? `CASE intent ${cases.join(' ')} ELSE ${fallback} END` : fallback;
  const rows = await db.query<Row>(
    `WITH scored AS (
      SELECT o.intent AS intent, o.config_id AS config_id, ${FAILED} AS failed, ${fallbackFlag(served)} AS fallback, o.cost_usd AS cost,
        CASE WHEN o.stop_reason = 'guardrail_intervened' THEN 1 ELSE 0 END AS guardrailed,
        CAST(o.input_tokens AS BIGINT) + o.output_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS tokens,
        CAST(o.input_tokens AS BIGINT) + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS prompt,
        CAST(COALESCE(o.cache_read_input_tokens, 0) AS BIGINT) AS cache_read, ${quality(served)} AS q
      FROM observations o ${QUALITY_JOIN} WHERE ${LIVE})
    SELECT intent, config_id, COUNT(*) AS requests, SUM(failed) AS errors, SUM(guardrailed) AS guardrailed, SUM(cost) AS cost_usd, SUM(cost * cost) AS cost_sum_sq,
      SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS unpriced, SUM(fallback) AS fallbacks, COUNT(q) AS scored, SUM(q) AS quality_sum,
      SUM(q * q) AS quality_sum_sq, SUM(CASE WHEN q >= ${gate} THEN 1 ELSE 0 END) AS passes,
      SUM(CASE WHEN q IS NOT NULL THEN tokens END) AS scored_tokens, SUM(prompt) AS prompt_tokens, SUM(cache_read) AS cache_read_tokens
    FROM scored GROUP BY intent, config_id`,
    params,
  );
  return rows
    .map((r) => ({
      intent: String(r.intent),
      configId: String(r.config_id),
      requests: num(r.requests),
      errors: num(r.errors),
      guardrailed: num(r.guardrailed),
      costUsd: num(r.cost_usd),
      costSumSq: num(r.cost_sum_sq),
      unpriced: num(r.unpriced),
      fallbacks: num(r.fallbacks),
      scored: num(r.scored),
      qualitySum: num(r.quality_sum),
      qualitySumSq: num(r.quality_sum_sq),
      passes: num(r.passes),
      scoredTokens: num(r.scored_tokens),
      promptTokens: num(r.prompt_tokens),
      cacheReadTokens: num(r.cache_read_tokens),
    }))
    .sort(
      byKeys(
        (c) => c.intent,
        (c) => c.configId,
      ),
    );
}

/**
 * Nearest-rank percentiles per (intent, configuration) with `percentile_disc`, one sort per group. PostgreSQL takes
 * the value at rank ceil(fraction n) computed in floating point, where p / 100 n can land just above a whole rank
 * (one rank too far); the fraction asked is p / 100 - 1e-12, whose rank is exactly ceil(p n / 100) for groups under
 * 10^10 values: when p n / 100 is whole the product falls within n 1e-12 below it, and otherwise it is at least 0.01
 * above the rank below. `referencePercentiles` (ROW_NUMBER and COUNT windows, ranks in integers) gives the same values.
 */
async function percentiles(db: SqlRunner, filter: RowFilter, column: 'latency_ms' | 'ttft_ms'): Promise<Map<string, Percentiles>> {
  const picks = PERCENTILES.map((p) => `percentile_disc(${p / 100 - 1e-12}) WITHIN GROUP (ORDER BY o.${column}) AS p${p}`).join(', ');
  const rows = await db.query<Row>(
    `SELECT o.intent AS intent, o.config_id AS config_id, ${picks}
    FROM observations o WHERE ${LIVE} AND o.error_code IS NULL AND o.${column} IS NOT NULL GROUP BY o.intent, o.config_id`,
    [filter.since],
  );
  const out = new Map<string, Percentiles>();
  for (const r of rows) {
    const entry = {} as Percentiles;
    for (const p of PERCENTILES) entry[p] = Number(r[`p${p}`]);
    out.set(groupKey(String(r.intent), String(r.config_id)), entry);
  }
  return out;
}

/** Nearest-rank percentiles by ROW_NUMBER and COUNT windows over every row, ranks in integers: the reference for `percentiles`. */
export async function referencePercentiles(
  db: SqlRunner,
  filter: RowFilter,
  column: 'latency_ms' | 'ttft_ms',
): Promise<Map<string, Percentiles>> {
  const ranks = PERCENTILES.map((p) => `(${p} * n + 99) / 100`).join(', ');
  const rows = await db.query<Row>(
    `SELECT intent, config_id, n, rn, x FROM (
      SELECT o.intent AS intent, o.config_id AS config_id, o.${column} AS x,
        ROW_NUMBER() OVER (PARTITION BY o.intent, o.config_id ORDER BY o.${column}) AS rn,
        COUNT(*) OVER (PARTITION BY o.intent, o.config_id) AS n
      FROM observations o WHERE ${LIVE} AND o.error_code IS NULL AND o.${column} IS NOT NULL) ranked
    WHERE rn IN (${ranks})`,
    [filter.since],
  );
  const out = new Map<string, Percentiles>();
  for (const r of rows) {
    const key = groupKey(String(r.intent), String(r.config_id));
    const entry = out.get(key) ?? ({} as Percentiles);
    for (const p of PERCENTILES) if (nearestRank(p, num(r.n)) === num(r.rn)) entry[p] = Number(r.x);
    out.set(key, entry);
  }
  return out;
}

async function experimentIds(db: SqlRunner, filter: RowFilter): Promise<string[]> {
  const rows = await db.query<Row>(
    `SELECT DISTINCT o.experiment_id AS id FROM observations o WHERE ${LIVE} AND o.experiment_id IS NOT NULL`,
    [filter.since],
  );
  return rows.map((r) => String(r.id)).sort(byKeys((id) => id));
}

const EXPERIMENT_ROWS = `${LIVE} AND o.experiment_id = $2 AND o.session_id IS NOT NULL`;

/** Each session's first arm in the experiment (see `queryArms` for why a session stays in it). */
const FIRST_ARM = `first_arm AS (
      SELECT session_id, arm FROM (
        SELECT o.session_id AS session_id, o.arm AS arm, ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
        FROM observations o WHERE ${EXPERIMENT_ROWS}) r
      WHERE rn = 1)`;

async function arms(db: SqlRunner, filter: RowFilter, experimentId: string): Promise<ArmSums[]> {
  const served = await servedColumn(db);
  const params = [filter.since, experimentId];
  const rows = await db.query<Row>(
    `WITH ${FIRST_ARM},
    scored AS (
      SELECT o.arm AS arm, o.session_id AS session_id, ${FAILED} AS failed, ${fallbackFlag(served)} AS fallback, o.cost_usd AS cost,
        ${quality(served)} AS q
      FROM observations o JOIN first_arm f ON f.session_id = o.session_id AND f.arm = o.arm ${QUALITY_JOIN}
      WHERE ${EXPERIMENT_ROWS}),
    per_session AS (
      SELECT arm, COUNT(*) AS requests, SUM(failed) AS errors, SUM(fallback) AS fallbacks, COALESCE(SUM(cost), 0) AS cost_usd, COUNT(q) AS scored,
        COALESCE(SUM(q), 0) AS y, COALESCE(SUM(q * q), 0) AS yy
      FROM scored GROUP BY arm, session_id)
    SELECT arm, SUM(requests) AS requests, SUM(errors) AS errors, SUM(fallbacks) AS fallbacks, SUM(cost_usd) AS cost_usd, SUM(scored) AS scored,
      SUM(y) AS quality_sum, SUM(yy) AS quality_sum_sq, COUNT(*) AS sessions, SUM(y * y) AS sum_yy,
      SUM(scored * scored) AS sum_nn, SUM(y * scored) AS sum_yn, SUM(requests * requests) AS req_nn,
      SUM(errors * errors) AS err_yy, SUM(errors * requests) AS err_yn, SUM(cost_usd * cost_usd) AS cost_yy,
      SUM(cost_usd * requests) AS cost_yn
    FROM per_session GROUP BY arm`,
    params,
  );
  // The smallest configuration id per arm, compared by code unit as SQLite's BINARY collation does.
  const configs = await db.query<Row>(
    `WITH ${FIRST_ARM}
    SELECT o.arm AS arm, o.config_id AS config_id FROM observations o JOIN first_arm f ON f.session_id = o.session_id AND f.arm = o.arm
    WHERE ${EXPERIMENT_ROWS} GROUP BY o.arm, o.config_id`,
    params,
  );
  const configOf = new Map<string, string>();
  for (const c of configs) {
    const [arm, id] = [String(c.arm), String(c.config_id)];
    const seen = configOf.get(arm);
    if (seen === undefined || id < seen) configOf.set(arm, id);
  }
  return rows.map((r) => armSumsOf(r, configOf.get(String(r.arm)) ?? '')).sort(byKeys((a) => a.arm));
}

async function outcomes(db: SqlRunner, filter: RowFilter, experimentId: string): Promise<OutcomeSums[]> {
  const rows = await db.query<Row>(
    `WITH ${FIRST_ARM}, s AS (SELECT arm, session_id FROM first_arm),
      m AS (SELECT 'cart_add' AS metric UNION ALL SELECT 'escalated' UNION ALL SELECT 'session_duration_s')
    SELECT s.arm AS arm, m.metric AS metric, COUNT(fl.value) AS n, SUM(fl.value) AS sum, SUM(fl.value * fl.value) AS sum_sq
    FROM s CROSS JOIN m LEFT JOIN feedback_latest fl ON fl.scope = 'session' AND fl.key = s.session_id AND fl.metric = m.metric
    GROUP BY s.arm, m.metric`,
    [filter.since, experimentId],
  );
  return rows.map((r) => ({
    arm: String(r.arm),
    metric: String(r.metric) as OutcomeSums['metric'],
    n: num(r.n),
    sum: num(r.sum),
    sumSq: num(r.sum_sq),
  }));
}

async function assignments(
  db: SqlRunner,
  filter: RowFilter,
  experimentId: string,
  boundaries: readonly number[],
): Promise<AssignmentCounts[]> {
  const present = await db.query<Row>(`SELECT 1 AS x FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'observations' AND column_name = 'expected_share'`);
  const rows = await db.query<Row>(
    `WITH firsts AS (
      SELECT o.arm AS arm, ${assignmentColumns(present.length > 0)}, o.time AS time,
        ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
      FROM observations o WHERE ${EXPERIMENT_ROWS} AND o.arm IN ('control', 'treatment'))
    SELECT arm, config_version, expected_share, period, COUNT(*) AS sessions
    FROM (SELECT arm, config_version, expected_share, ${periodExpression('time', boundaries)} AS period FROM firsts WHERE rn = 1) f
    GROUP BY arm, config_version, expected_share, period`,
    [filter.since, experimentId],
  );
  return assignmentCountsOf(rows);
}

/** The analysis source over the warehouse tables (PostgreSQL; the SQL stays within what Redshift accepts). */
export function postgresAnalysisSource(db: SqlRunner, close: () => Promise<void> = async () => {}): AnalysisSource {
  return {
    kind: 'postgres',
    cells: (filter, gates, defaultGate) => cells(db, filter, gates, defaultGate),
    percentiles: (filter, column) => percentiles(db, filter, column),
    experimentIds: (filter) => experimentIds(db, filter),
    arms: (filter, id) => arms(db, filter, id),
    outcomes: (filter, id) => outcomes(db, filter, id),
    assignments: (filter, id, boundaries) => assignments(db, filter, id, boundaries),
    close,
  };
}
