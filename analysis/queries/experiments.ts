import type Database from 'better-sqlite3';
import type { RatioSums } from '../stats/ratio.ts';
import { LIVE_ROWS, scoredQuality, servedByFallback, servedColumn, sessionOutcome, type RowFilter } from './filter.ts';

/** Request- and session-level sufficient statistics of one experiment arm. */
export interface ArmSums {
  arm: string;
  configId: string;
  requests: number;
  errors: number;
  /** Requests a fallback configuration answered: kept in the arm's requests, errors and cost, never scored; absent: 0. */
  fallbacks?: number;
  costUsd: number;
  scored: number;
  qualitySum: number;
  qualitySumSq: number;
  /** Sessions and per-session sums of quality (Y) and scored requests (N). */
  session: RatioSums;
  /** Per-session sums of failed requests (Y) over requests (N): the error rate at the session level. */
  errorSession: RatioSums;
  /** Per-session sums of cost in USD (Y) over requests (N): the cost per request at the session level. */
  costSession: RatioSums;
}

/** Per-arm totals of a session-level outcome. */
export interface OutcomeSums {
  arm: string;
  metric: 'cart_add' | 'escalated' | 'session_duration_s';
  n: number;
  sum: number;
  sumSq: number;
}

/** Experiment ids seen in live traffic. */
export function queryExperimentIds(db: Database.Database, filter: RowFilter): string[] {
  const rows = db
    .prepare(`SELECT DISTINCT o.experiment_id AS id FROM observations o WHERE ${LIVE_ROWS} AND o.experiment_id IS NOT NULL ORDER BY 1`)
    .all(filter) as { id: string }[];
  return rows.map((r) => r.id);
}

/**
 * Each session's first arm in an experiment (by time, then sequence). A session belongs to that arm for the
 * whole experiment: when a split changes, a returning session may be routed to the other arm, and its requests
 * there are left out of both arms (the first assignment is the randomised one, as in the sample-ratio check).
 */
const FIRST_ARM = `first_arm AS MATERIALIZED (
      SELECT session_id, arm FROM (
        SELECT o.session_id AS session_id, o.arm AS arm, ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
        FROM observations o WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL)
      WHERE rn = 1)`;

/** Totals per arm of one experiment, each session in its first arm; sessions are grouped in SQL first, then summed. */
export function queryArms(db: Database.Database, filter: RowFilter, experimentId: string): ArmSums[] {
  const served = servedColumn(db);
  const sql = `WITH ${FIRST_ARM},
    scored AS MATERIALIZED (
      SELECT o.arm AS arm, o.session_id AS session_id, o.config_id AS configId, o.error_code IS NOT NULL AS failed,
        ${servedByFallback(served)} AS fallback, o.cost_usd AS cost, ${scoredQuality(served)} AS q
      FROM observations o JOIN first_arm f ON f.session_id = o.session_id AND f.arm = o.arm
      WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL
    ),
    per_session AS MATERIALIZED (
      SELECT arm, MIN(configId) AS configId, COUNT(*) AS requests, TOTAL(failed) AS errors, TOTAL(fallback) AS fallbacks,
        TOTAL(cost) AS costUsd, COUNT(q) AS scored, TOTAL(q) AS y, TOTAL(q * q) AS yy
      FROM scored GROUP BY arm, session_id
    )
    ${ARM_SUMS_FROM_SESSIONS}`;
  const rows = db.prepare(sql).all({ ...filter, experimentId }) as Record<string, unknown>[];
  return rows.map((r) => armSumsOf(r, String(r.config_id)));
}

/**
 * The arms' sums over a `per_session` table (arm, configId, requests, errors, fallbacks, costUsd, scored, y, yy per
 * session), in the columns `armSumsOf` reads; the last step of the reference and the indexed arm reads alike.
 */
export const ARM_SUMS_FROM_SESSIONS = `SELECT arm, MIN(configId) AS config_id, TOTAL(requests) AS requests, TOTAL(errors) AS errors, TOTAL(fallbacks) AS fallbacks, TOTAL(costUsd) AS cost_usd,
      TOTAL(scored) AS scored, TOTAL(y) AS quality_sum, TOTAL(yy) AS quality_sum_sq,
      COUNT(*) AS sessions, TOTAL(y * y) AS sum_yy, TOTAL(scored * scored) AS sum_nn, TOTAL(y * scored) AS sum_yn,
      TOTAL(requests * requests) AS req_nn, TOTAL(errors * errors) AS err_yy, TOTAL(errors * requests) AS err_yn,
      TOTAL(costUsd * costUsd) AS cost_yy, TOTAL(costUsd * requests) AS cost_yn
    FROM per_session GROUP BY arm ORDER BY arm`;

/**
 * An arm's sums from a result row with the columns arm, requests, errors, fallbacks, cost_usd, scored, quality_sum,
 * quality_sum_sq, sessions, sum_yy, sum_nn, sum_yn, req_nn, err_yy, err_yn, cost_yy, cost_yn (the shape both analysis
 * sources select).
 */
export function armSumsOf(r: Record<string, unknown>, configId: string): ArmSums {
  const num = (v: unknown): number => Number(v ?? 0);
  return {
    arm: String(r.arm),
    configId,
    requests: num(r.requests),
    errors: num(r.errors),
    fallbacks: num(r.fallbacks),
    costUsd: num(r.cost_usd),
    scored: num(r.scored),
    qualitySum: num(r.quality_sum),
    qualitySumSq: num(r.quality_sum_sq),
    session: {
      sessions: num(r.sessions),
      sumY: num(r.quality_sum),
      sumN: num(r.scored),
      sumYY: num(r.sum_yy),
      sumNN: num(r.sum_nn),
      sumYN: num(r.sum_yn),
    },
    errorSession: {
      sessions: num(r.sessions),
      sumY: num(r.errors),
      sumN: num(r.requests),
      sumYY: num(r.err_yy),
      sumNN: num(r.req_nn),
      sumYN: num(r.err_yn),
    },
    costSession: {
      sessions: num(r.sessions),
      sumY: num(r.cost_usd),
      sumN: num(r.requests),
      sumYY: num(r.cost_yy),
      sumNN: num(r.req_nn),
      sumYN: num(r.cost_yn),
    },
  };
}

/** Session outcomes (cart add, escalation, duration) per arm of one experiment, each session in its first arm. */
export function queryOutcomes(db: Database.Database, filter: RowFilter, experimentId: string): OutcomeSums[] {
  const metrics = ['cart_add', 'escalated', 'session_duration_s'];
  const sql = metrics
    .map(
      (m) => `SELECT arm, '${m}' AS metric, COUNT(v) AS n, TOTAL(v) AS sum, TOTAL(v * v) AS sumSq
    FROM (SELECT s.arm AS arm, ${sessionOutcome('s.session_id', m)} AS v FROM first_arm s)
    GROUP BY arm`,
    )
    .join(' UNION ALL ');
  return db.prepare(`WITH ${FIRST_ARM} ${sql}`).all({ ...filter, experimentId }) as OutcomeSums[];
}
