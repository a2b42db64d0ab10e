import type Database from 'better-sqlite3';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { FailedAttempt, Observation } from '../../schema/observation.ts';
import type { RecordBatch, RecordStore } from './interface.ts';
import { FEEDBACK_COLUMNS, OBSERVATION_COLUMNS } from './log-query.ts';

/**
 * Writes record batches to the embedded SQLite database, one transaction per batch. Rows already
 * present (same request id or feedback event id, e.g. from a replayed spill file) are skipped, so a
 * record is stored at most once; duplicate idempotency keys are skipped the same way.
 */
export function sqliteRecordStore(db: Database.Database): RecordStore {
  // Columns in the order of the SQL logs' shared tables. Values are bound positionally and spelled out below in that
  // order (binding 31 values by name from a merged object per row took about a third of a row's cost);
  // stores/observations/sqlite-columns.test.ts checks that every field lands in its own column.
  const insertObservation = db.prepare(insertSql('observations', OBSERVATION_COLUMNS));
  const insertFeedback = db.prepare(insertSql('feedback', FEEDBACK_COLUMNS));
  const writeAll = db.transaction((batch: RecordBatch) => {
    for (const o of batch.observations) {
      insertObservation.run(
        o.requestId,
        o.time,
        o.route,
        o.intent,
        o.sessionId,
        o.traffic,
        o.experimentId,
        o.canaryId,
        o.arm,
        o.configId,
        o.upstreamModel,
        o.operation,
        o.streamed ? 1 : 0,
        o.status,
        o.errorCode,
        o.inputTokens,
        o.outputTokens,
        o.costUsd,
        o.ttftMs,
        o.latencyMs,
        o.overheadMs,
        o.configVersion ?? null,
        o.expectedShare ?? null,
        o.replicaId ?? null,
        o.cacheReadInputTokens ?? null,
        o.cacheWriteInputTokens ?? null,
        o.stopReason ?? null,
        o.attempts ?? null,
        o.servedConfigId ?? null,
        o.shadowOf ?? null,
        o.failedAttempts ? JSON.stringify(o.failedAttempts) : null,
      );
    }
    for (const f of batch.feedback) {
      insertFeedback.run(f.eventId, f.receivedAt, f.scope, f.key, f.metric, f.value, f.idempotencyKey ?? null, f.eventTime);
    }
  });
  return {
    write: (batch) => writeAll(batch),
    probe: () => void db.exec('BEGIN IMMEDIATE; ROLLBACK'),
  };
}

/** `INSERT OR IGNORE` of one row into `table`, its columns named in the order of `columns`, with positional parameters. */
function insertSql(table: string, columns: readonly (readonly [string, unknown])[]): string {
  return `INSERT OR IGNORE INTO ${table} (${columns.map(([name]) => name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

/** Reads observations back in sequence order (tests, exports). */
export function readObservations(db: Database.Database, afterSeq = 0): (Observation & { seq: number })[] {
  const rows = db.prepare('SELECT * FROM observations WHERE seq > ? ORDER BY seq').all(afterSeq) as Record<string, unknown>[];
  return rows.map((r) => ({ ...observationOfRow(r), seq: r.seq as number }));
}

/**
 * An observation from a stored row (column names as in the SQLite store and the warehouse tables; booleans as 0/1 or
 * true/false). Columns added by later migrations read as null when absent.
 */
export function observationOfRow(r: Record<string, unknown>): Observation {
  return {
    requestId: r.request_id as string,
    time: r.time as number,
    route: r.route as string,
    intent: r.intent as string,
    sessionId: r.session_id as string | null,
    traffic: r.traffic as Observation['traffic'],
    experimentId: r.experiment_id as string | null,
    canaryId: r.canary_id as string | null,
    arm: r.arm as Observation['arm'],
    configId: r.config_id as string | null,
    upstreamModel: r.upstream_model as string,
    operation: r.operation as Observation['operation'],
    streamed: r.streamed === 1 || r.streamed === true,
    status: r.status as number,
    errorCode: r.error_code as string | null,
    inputTokens: r.input_tokens as number,
    outputTokens: r.output_tokens as number,
    costUsd: r.cost_usd as number | null,
    ttftMs: r.ttft_ms as number | null,
    latencyMs: r.latency_ms as number,
    overheadMs: r.overhead_ms as number,
    configVersion: (r.config_version ?? null) as number | null,
    expectedShare: (r.expected_share ?? null) as number | null,
    replicaId: (r.replica_id ?? null) as string | null,
    cacheReadInputTokens: (r.cache_read_input_tokens ?? null) as number | null,
    cacheWriteInputTokens: (r.cache_write_input_tokens ?? null) as number | null,
    stopReason: (r.stop_reason ?? null) as string | null,
    attempts: (r.attempts ?? null) as number | null,
    servedConfigId: (r.served_config_id ?? null) as string | null,
    shadowOf: (r.shadow_of ?? null) as string | null,
    failedAttempts: r.failed_attempts ? (JSON.parse(r.failed_attempts as string) as FailedAttempt[]) : null,
  };
}

/** Reads stored feedback events in sequence order. */
export function readFeedback(db: Database.Database): (FeedbackRecord & { seq: number })[] {
  const rows = db.prepare('SELECT * FROM feedback ORDER BY seq').all() as Record<string, unknown>[];
  return rows.map((r) => ({ ...feedbackOfRow(r), seq: r.seq as number }));
}

/** A feedback event from a stored row. */
export function feedbackOfRow(r: Record<string, unknown>): FeedbackRecord {
  return {
    eventId: r.event_id as string,
    receivedAt: r.received_at as number,
    scope: r.scope as FeedbackRecord['scope'],
    key: r.key as string,
    metric: r.metric as FeedbackRecord['metric'],
    value: r.value as number,
    idempotencyKey: r.idempotency_key as string | null,
    eventTime: r.event_time as number,
  };
}
