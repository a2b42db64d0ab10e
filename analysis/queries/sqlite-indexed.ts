import type Database from 'better-sqlite3';
import { nearestRank } from '../stats/nearest-rank.ts';
import { periodExpression, assignmentCountsOf, type AssignmentCounts } from './assignment.ts';
import { ARM_SUMS_FROM_SESSIONS, armSumsOf, type ArmSums, type OutcomeSums } from './experiments.ts';
import { LIVE_ROWS, type RowFilter } from './filter.ts';
import type { CellSums } from './intent-config.ts';
import { groupKey, PERCENTILES, type Percentiles } from './quantiles.ts';

/**
 * Reads of the embedded store through the analysis indexes (`createAnalysisIndexes`, built by `npm run analysis -- --build-indexes`): the same figures as the reference
 * reads beside them (`queryCells`, `queryPercentiles`, `queryArms`, `queryOutcomes`, `queryAssignments`), which sort
 * every live row, without a sort of the table. Sums per (intent, configuration) come from one walk of a covering
 * index in group order, request ids ascending, so the quality lookups walk the feedback index forwards; each
 * percentile is one LIMIT/OFFSET step along a group's ordered latencies, from whichever end is nearer; experiment
 * sessions come in (session, time, seq) order. A store nobody built them in has no such indexes:
 * `hasAnalysisIndexes` says so and the source keeps the reference reads.
 */
const INDEXES = [
  'observations_analysis_cells',
  'observations_analysis_latency',
  'observations_analysis_ttft',
  'observations_analysis_sessions',
  'feedback_quality',
  'feedback_session',
  'observations_shadow',
];

/** True when every index the indexed reads name is in the store. */
export function hasAnalysisIndexes(db: Database.Database): boolean {
  const present = db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN (${INDEXES.map(() => '?').join(', ')})`);
  return present.pluck().get(...INDEXES) === INDEXES.length;
}

/** The quality score in force for row `o` from the covering quality index (latest by event time, then arrival). */
const QUALITY_IN_FORCE = `(SELECT f.value FROM feedback f INDEXED BY feedback_quality
  WHERE f.scope = 'request' AND f.metric = 'quality_score' AND f.key = o.request_id ORDER BY f.event_time DESC, f.seq DESC LIMIT 1)`;
/** The quality of row `o` when it is scored: not failed, not answered by a fallback. */
const SCORED_QUALITY = `CASE WHEN o.error_code IS NULL AND o.served_config_id IS NULL THEN ${QUALITY_IN_FORCE} END`;

function gateExpression(gates: Record<string, number>, params: Record<string, unknown>): string {
  const cases = Object.entries(gates).map(([intent, gate], i) => {
    params[`gi${i}`] = intent;
    params[`gv${i}`] = gate;
    return `WHEN @gi${i} THEN @gv${i}`;
  });
  return cases.length ? `CASE intent ${cases.join(' ')} ELSE @defaultGate END` : '@defaultGate';
}

/**
 * `queryCells` through `observations_analysis_cells`. The inner ORDER BY is the index order (no sort); it keeps
 * the subquery a co-routine, so each row's quality is looked up once, and lets the grouping follow the index.
 */
export function indexedCells(db: Database.Database, filter: RowFilter, gates: Record<string, number>, defaultGate: number): CellSums[] {
  const params: Record<string, unknown> = { since: filter.since, defaultGate };
  const gate = gateExpression(gates, params);
  const sql = `SELECT intent, configId,
      COUNT(*) AS requests, TOTAL(failed) AS errors, TOTAL(guardrailed) AS guardrailed, TOTAL(cost) AS costUsd,
      TOTAL(cost * cost) AS costSumSq, TOTAL(cost IS NULL) AS unpriced, TOTAL(fallback) AS fallbacks,
      COUNT(q) AS scored, TOTAL(q) AS qualitySum, TOTAL(q * q) AS qualitySumSq, TOTAL(q >= ${gate}) AS passes,
      TOTAL(CASE WHEN q IS NOT NULL THEN tokens END) AS scoredTokens, TOTAL(prompt) AS promptTokens, TOTAL(cacheRead) AS cacheReadTokens
    FROM (
      SELECT o.intent AS intent, o.config_id AS configId, o.error_code IS NOT NULL AS failed, o.cost_usd AS cost,
        o.served_config_id IS NOT NULL AS fallback, o.stop_reason IS 'guardrail_intervened' AS guardrailed,
        o.input_tokens + o.output_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS tokens,
        o.input_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS prompt,
        COALESCE(o.cache_read_input_tokens, 0) AS cacheRead, ${SCORED_QUALITY} AS q
      FROM observations o INDEXED BY observations_analysis_cells WHERE ${LIVE_ROWS}
      ORDER BY o.intent, o.config_id, o.request_id)
    GROUP BY intent, configId
    ORDER BY intent, configId`;
  return db.prepare(sql).all(params) as CellSums[];
}

/**
 * `queryPercentiles` per (intent, configuration) through `observations_analysis_<column>`: the group sizes in one
 * index walk, then each nearest-rank value (rank ceil(p n / 100), in integers) by one LIMIT 1 OFFSET step from the
 * nearer end of the group's ordered values: the k-th smallest of n is the (n - k + 1)-th largest, ties included.
 */
export function indexedPercentiles(db: Database.Database, filter: RowFilter, column: 'latency_ms' | 'ttft_ms'): Map<string, Percentiles> {
  const index = column === 'latency_ms' ? 'observations_analysis_latency' : 'observations_analysis_ttft';
  const where = `${LIVE_ROWS} AND o.error_code IS NULL AND o.${column} IS NOT NULL`;
  const counts = db
    .prepare(`SELECT o.intent AS intent, o.config_id AS configId, COUNT(*) AS n FROM observations o INDEXED BY ${index}
      WHERE ${where} GROUP BY o.intent, o.config_id`)
    .all({ since: filter.since }) as { intent: string; configId: string; n: number }[];
  const step = (direction: 'ASC' | 'DESC') =>
    db
      .prepare(`SELECT o.${column} FROM observations o INDEXED BY ${index}
        WHERE ${where} AND o.intent = @intent AND o.config_id = @configId ORDER BY o.${column} ${direction} LIMIT 1 OFFSET @offset`)
      .pluck();
  const ascending = step('ASC');
  const descending = step('DESC');
  const out = new Map<string, Percentiles>();
  for (const { intent, configId, n } of counts) {
    const entry = {} as Percentiles;
    for (const p of PERCENTILES) {
      const rank = nearestRank(p, n);
      const bind = { since: filter.since, intent, configId };
      entry[p] =
        rank - 1 <= n - rank
          ? (ascending.get({ ...bind, offset: rank - 1 }) as number)
          : (descending.get({ ...bind, offset: n - rank }) as number);
    }
    out.set(groupKey(intent, configId), entry);
  }
  return out;
}

/** `queryExperimentIds` from `observations_analysis_sessions`, which holds every live row of an experiment in id order. */
export function indexedExperimentIds(db: Database.Database, filter: RowFilter): string[] {
  const sql = `SELECT DISTINCT o.experiment_id FROM observations o INDEXED BY observations_analysis_sessions
    WHERE ${LIVE_ROWS} AND o.experiment_id IS NOT NULL ORDER BY 1`;
  return db.prepare(sql).pluck().all(filter) as string[];
}

/** Each session's first arm (by time, then sequence), read in index order: the window needs no sort. */
const FIRST_ARM = `first_arm AS MATERIALIZED (
      SELECT session_id, arm FROM (
        SELECT o.session_id AS session_id, o.arm AS arm, ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
        FROM observations o INDEXED BY observations_analysis_sessions
        WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL)
      WHERE rn = 1)`;

/** `queryArms` with sessions read through `observations_analysis_sessions`, each session's rows found from its first arm. */
export function indexedArms(db: Database.Database, filter: RowFilter, experimentId: string): ArmSums[] {
  const sql = `WITH ${FIRST_ARM},
    per_session AS MATERIALIZED (
      SELECT arm, MIN(config_id) AS configId, COUNT(*) AS requests, TOTAL(error_code IS NOT NULL) AS errors,
        TOTAL(served_config_id IS NOT NULL) AS fallbacks, TOTAL(cost_usd) AS costUsd, COUNT(q) AS scored, TOTAL(q) AS y, TOTAL(q * q) AS yy
      FROM (SELECT f.arm AS arm, f.session_id AS session_id, o.config_id AS config_id, o.error_code AS error_code,
          o.served_config_id AS served_config_id, o.cost_usd AS cost_usd, ${SCORED_QUALITY} AS q
        FROM first_arm f CROSS JOIN observations o INDEXED BY observations_analysis_sessions
        WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id = f.session_id AND o.arm = f.arm
        ORDER BY f.session_id)
      GROUP BY session_id
    )
    ${ARM_SUMS_FROM_SESSIONS}`;
  const rows = db.prepare(sql).all({ ...filter, experimentId }) as Record<string, unknown>[];
  return rows.map((r) => armSumsOf(r, String(r.config_id)));
}

/** `queryOutcomes` with the first arms read through `observations_analysis_sessions`. */
export function indexedOutcomes(db: Database.Database, filter: RowFilter, experimentId: string): OutcomeSums[] {
  const outcome = (m: string): string => `(SELECT f.value FROM feedback f INDEXED BY feedback_session
    WHERE f.scope = 'session' AND f.key = s.session_id AND f.metric = '${m}' ORDER BY f.event_time DESC, f.seq DESC LIMIT 1)`;
  const sql = ['cart_add', 'escalated', 'session_duration_s']
    .map(
      (m) => `SELECT arm, '${m}' AS metric, COUNT(v) AS n, TOTAL(v) AS sum, TOTAL(v * v) AS sumSq
    FROM (SELECT s.arm AS arm, ${outcome(m)} AS v FROM first_arm s ORDER BY s.arm)
    GROUP BY arm`,
    )
    .join(' UNION ALL ');
  return db.prepare(`WITH ${FIRST_ARM} ${sql}`).all({ ...filter, experimentId }) as OutcomeSums[];
}

/** `queryAssignments` with each session's first request read through `observations_analysis_sessions`. */
export function indexedAssignments(
  db: Database.Database,
  filter: RowFilter,
  experimentId: string,
  boundaries: readonly number[],
): AssignmentCounts[] {
  const sql = `WITH firsts AS (
      SELECT o.arm AS arm, o.config_version AS config_version, o.expected_share AS expected_share, o.time AS time,
        ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
      FROM observations o INDEXED BY observations_analysis_sessions
      WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL AND o.arm IN ('control', 'treatment'))
    SELECT arm, config_version, expected_share, ${periodExpression('time', boundaries)} AS period, COUNT(*) AS sessions
    FROM firsts WHERE rn = 1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
  return assignmentCountsOf(db.prepare(sql).all({ ...filter, experimentId }) as Record<string, unknown>[]);
}
