import type Database from 'better-sqlite3';
/** Which observations an analysis reads: live traffic only, optionally from a start time. */
export interface RowFilter {
  /** Epoch ms; rows before it are ignored. */
  since: number;
}

/** The WHERE clause every query shares (alias `o`); binds `@since`. */
export const LIVE_ROWS = `o.traffic = 'live' AND o.config_id IS NOT NULL AND o.time >= @since`;

/**
 * The quality score in force for row `o` (the same rule as the `feedback_latest` view: latest by event time,
 * then by arrival), looked up through the feedback index; null for failed requests, never scored.
 */
export const QUALITY_OF_ROW = `CASE WHEN o.error_code IS NULL THEN (
  SELECT f.value FROM feedback f WHERE f.scope = 'request' AND f.key = o.request_id AND f.metric = 'quality_score'
  ORDER BY f.event_time DESC, f.seq DESC LIMIT 1) END`;

/** The value in force of session-level metric `metric` for session column `sessionColumn`. */
export function sessionOutcome(sessionColumn: string, metric: string): string {
  return `(SELECT f.value FROM feedback f WHERE f.scope = 'session' AND f.key = ${sessionColumn} AND f.metric = '${metric}'
  ORDER BY f.event_time DESC, f.seq DESC LIMIT 1)`;
}

/**
 * The column naming the configuration that answered row `o` when it was a fallback: `o.served_config_id`, or NULL
 * on a store that predates it (opened read-only, not migrated), where no row was answered by a fallback.
 */
export function servedColumn(db: Database.Database): string {
  const present = db.prepare(`SELECT COUNT(*) AS n FROM pragma_table_info('observations') WHERE name = 'served_config_id'`).get() as {
    n: number;
  };
  return present.n > 0 ? 'o.served_config_id' : 'NULL';
}

/**
 * Whether row `o` was answered by a fallback configuration (another model than its assigned one), given
 * `servedColumn`. Such a row stays in its assigned configuration's and arm's requests, errors, cost and latency
 * (what the user got under that assignment) but is never scored: its answer says nothing about the assigned model.
 */
export function servedByFallback(served: string): string {
  return `${served} IS NOT NULL`;
}

/** `QUALITY_OF_ROW`, null also for answers a fallback served (never scored), given `servedColumn`. */
export function scoredQuality(served: string): string {
  return `CASE WHEN ${served} IS NULL THEN ${QUALITY_OF_ROW} END`;
}
