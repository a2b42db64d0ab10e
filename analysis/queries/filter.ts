/** Which observations an analysis reads: live traffic only, optionally from a start time. */
export interface RowFilter {
  /** Epoch ms; rows before it are ignored. */
  since: number;
}

/** The WHERE clause every query shares (alias `o`); binds `@since`. */
export const LIVE_ROWS = `o.traffic = 'live' AND o.config_id IS NOT NULL AND o.time >= @since`;

/**
 * Whether row `o` was answered by a fallback configuration (another model than its assigned one): such a row stays
 * in its assigned configuration's and arm's requests, errors, cost and latency (what the user got under that
 * assignment) but is never scored, since its answer says nothing about the assigned model's quality.
 */
export const SERVED_BY_FALLBACK = 'o.served_config_id IS NOT NULL';

/**
 * The quality score in force for row `o` (the same rule as the `feedback_latest` view: latest by event time,
 * then by arrival), looked up through the feedback index; null for failed requests and for answers a fallback
 * served, never scored.
 */
export const QUALITY_OF_ROW = `CASE WHEN o.error_code IS NULL AND o.served_config_id IS NULL THEN (
  SELECT f.value FROM feedback f WHERE f.scope = 'request' AND f.key = o.request_id AND f.metric = 'quality_score'
  ORDER BY f.event_time DESC, f.seq DESC LIMIT 1) END`;

/** The value in force of session-level metric `metric` for session column `sessionColumn`. */
export function sessionOutcome(sessionColumn: string, metric: string): string {
  return `(SELECT f.value FROM feedback f WHERE f.scope = 'session' AND f.key = ${sessionColumn} AND f.metric = '${metric}'
  ORDER BY f.event_time DESC, f.seq DESC LIMIT 1)`;
}
