import type { Observation } from '../../schema/observation.ts';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { LogWindow } from './interface.ts';

/** Observation columns of the SQL logs (SQLite store, PostgreSQL log) with the value each takes from a record. */
export const OBSERVATION_COLUMNS: readonly [string, (o: Observation) => unknown][] = [
  ['request_id', (o) => o.requestId],
  ['time', (o) => o.time],
  ['route', (o) => o.route],
  ['intent', (o) => o.intent],
  ['session_id', (o) => o.sessionId],
  ['traffic', (o) => o.traffic],
  ['experiment_id', (o) => o.experimentId],
  ['canary_id', (o) => o.canaryId],
  ['arm', (o) => o.arm],
  ['config_id', (o) => o.configId],
  ['upstream_model', (o) => o.upstreamModel],
  ['operation', (o) => o.operation],
  ['streamed', (o) => o.streamed],
  ['status', (o) => o.status],
  ['error_code', (o) => o.errorCode],
  ['input_tokens', (o) => o.inputTokens],
  ['output_tokens', (o) => o.outputTokens],
  ['cost_usd', (o) => o.costUsd],
  ['ttft_ms', (o) => o.ttftMs],
  ['latency_ms', (o) => o.latencyMs],
  ['overhead_ms', (o) => o.overheadMs],
  ['config_version', (o) => o.configVersion ?? null],
  ['expected_share', (o) => o.expectedShare ?? null],
  ['replica_id', (o) => o.replicaId ?? null],
  ['cache_read_input_tokens', (o) => o.cacheReadInputTokens ?? null],
  ['cache_write_input_tokens', (o) => o.cacheWriteInputTokens ?? null],
  ['stop_reason', (o) => o.stopReason ?? null],
  ['attempts', (o) => o.attempts ?? null],
  ['served_config_id', (o) => o.servedConfigId ?? null],
  ['shadow_of', (o) => o.shadowOf ?? null],
  ['failed_attempts', (o) => (o.failedAttempts ? JSON.stringify(o.failedAttempts) : null)],
];

/** Feedback columns of the SQL logs. */
export const FEEDBACK_COLUMNS: readonly [string, (f: FeedbackRecord) => unknown][] = [
  ['event_id', (f) => f.eventId],
  ['received_at', (f) => f.receivedAt],
  ['scope', (f) => f.scope],
  ['key', (f) => f.key],
  ['metric', (f) => f.metric],
  ['value', (f) => f.value],
  ['idempotency_key', (f) => f.idempotencyKey],
  ['event_time', (f) => f.eventTime],
];

/** A statement with positional parameters; `p(i)` spells the i-th placeholder (`?` for SQLite, `$i` for PostgreSQL). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/** Parses a window cursor (`time:seq` of the last row read). */
function windowCursor(cursor: string | null): { time: number; seq: number } | null {
  if (cursor === null) return null;
  const m = /^(\d+):(\d+)$/.exec(cursor);
  if (!m) throw new Error(`not a window cursor: ${cursor}`);
  return { time: Number(m[1]), seq: Number(m[2]) };
}

/** Parses a page cursor (the `seq` of the last row read). */
export function seqCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  if (!/^\d+$/.test(cursor)) throw new Error(`not a page cursor: ${cursor}`);
  return Number(cursor);
}

/** The SELECT of a window read, oldest first (time, then seq), resuming after the cursor's row. */
export function windowStatement(w: LogWindow, cursor: string | null, limit: number, p: (i: number) => string): SqlStatement {
  const params: unknown[] = [];
  const bind = (v: unknown): string => {
    params.push(v);
    return p(params.length);
  };
  const where = [`time >= ${bind(w.from)}`, `time < ${bind(w.to)}`];
  if (w.route !== undefined) where.push(`route = ${bind(w.route)}`);
  if (w.intent !== undefined) where.push(`intent = ${bind(w.intent)}`);
  if (w.experimentId === null) where.push('experiment_id IS NULL');
  else if (w.experimentId !== undefined) where.push(`experiment_id = ${bind(w.experimentId)}`);
  if (w.canaryId !== undefined) where.push(`canary_id = ${bind(w.canaryId)}`);
  const after = windowCursor(cursor);
  if (after) where.push(`(time > ${bind(after.time)} OR (time = ${bind(after.time)} AND seq > ${bind(after.seq)}))`);
  return { sql: `SELECT * FROM observations WHERE ${where.join(' AND ')} ORDER BY time, seq LIMIT ${bind(limit)}`, params };
}

/** The cursor after a page of rows: null when the page was not full (nothing more now). */
export function nextCursor<T extends { seq: number | null }>(rows: T[], limit: number, key: (row: T) => string): string | null {
  return rows.length === limit && rows.length > 0 ? key(rows[rows.length - 1]!) : null;
}

/** The cursor of a window row. */
export const windowKey = (o: { time: number; seq: number | null }): string => `${o.time}:${o.seq}`;
