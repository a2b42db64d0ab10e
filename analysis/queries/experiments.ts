import type Database from 'better-sqlite3';
import type { RatioSums } from '../stats/ratio.ts';
import { LIVE_ROWS, QUALITY_OF_ROW, sessionOutcome, type RowFilter } from './filter.ts';

/** Request- and session-level sufficient statistics of one experiment arm. */
export interface ArmSums {
  arm: string;
  configId: string;
  requests: number;
  errors: number;
  costUsd: number;
  scored: number;
  qualitySum: number;
  qualitySumSq: number;
  /** Sessions and per-session sums of quality (Y) and scored requests (N). */
  session: RatioSums;
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
  const rows = db.prepare(`SELECT DISTINCT o.experiment_id AS id FROM observations o WHERE ${LIVE_ROWS} AND o.experiment_id IS NOT NULL ORDER BY 1`).all(filter) as { id: string }[];
  return rows.map((r) => r.id);
}

/** Totals per arm of one experiment; sessions are grouped in SQL first, then summed. */
export function queryArms(db: Database.Database, filter: RowFilter, experimentId: string): ArmSums[] {
  const sql = `WITH scored AS MATERIALIZED (
      SELECT o.arm AS arm, o.session_id AS session_id, o.config_id AS configId, o.error_code IS NOT NULL AS failed,
        o.cost_usd AS cost, ${QUALITY_OF_ROW} AS q
      FROM observations o
      WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL
    ),
    per_session AS MATERIALIZED (
      SELECT arm, MIN(configId) AS configId, COUNT(*) AS requests, TOTAL(failed) AS errors, TOTAL(cost) AS costUsd,
        COUNT(q) AS scored, TOTAL(q) AS y, TOTAL(q * q) AS yy
      FROM scored GROUP BY arm, session_id
    )
    SELECT arm, MIN(configId) AS configId, TOTAL(requests) AS requests, TOTAL(errors) AS errors, TOTAL(costUsd) AS costUsd,
      TOTAL(scored) AS scored, TOTAL(y) AS qualitySum, TOTAL(yy) AS qualitySumSq,
      COUNT(*) AS sessions, TOTAL(y * y) AS sumYY, TOTAL(scored * scored) AS sumNN, TOTAL(y * scored) AS sumYN
    FROM per_session GROUP BY arm ORDER BY arm`;
  const rows = db.prepare(sql).all({ ...filter, experimentId }) as Record<string, number | string>[];
  return rows.map((r) => ({
    arm: r.arm as string,
    configId: r.configId as string,
    requests: r.requests as number,
    errors: r.errors as number,
    costUsd: r.costUsd as number,
    scored: r.scored as number,
    qualitySum: r.qualitySum as number,
    qualitySumSq: r.qualitySumSq as number,
    session: {
      sessions: r.sessions as number,
      sumY: r.qualitySum as number,
      sumN: r.scored as number,
      sumYY: r.sumYY as number,
      sumNN: r.sumNN as number,
      sumYN: r.sumYN as number,
    },
  }));
}

/** Session outcomes (cart add, escalation, duration) per arm of one experiment. */
export function queryOutcomes(db: Database.Database, filter: RowFilter, experimentId: string): OutcomeSums[] {
  const metrics = ['cart_add', 'escalated', 'session_duration_s'];
  const sql = metrics.map((m) => `SELECT arm, '${m}' AS metric, COUNT(v) AS n, TOTAL(v) AS sum, TOTAL(v * v) AS sumSq
    FROM (SELECT s.arm AS arm, ${sessionOutcome('s.session_id', m)} AS v FROM (
      SELECT DISTINCT o.arm AS arm, o.session_id AS session_id FROM observations o
      WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL) s)
    GROUP BY arm`).join(' UNION ALL ');
  return db.prepare(sql).all({ ...filter, experimentId }) as OutcomeSums[];
}
