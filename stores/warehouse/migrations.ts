import type { SqlRunner, Warehouse } from './interface.ts';

/** One versioned schema change, in the SQL subset PostgreSQL and Redshift share. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
  /**
   * Statements PostgreSQL runs after `statements` and Redshift skips (indexes: Redshift has none and rejects
   * CREATE INDEX). The version counts as applied on both.
   */
  postgresOnly?: readonly string[];
}

// Types both engines have; VARCHAR lengths are bytes on Redshift (characters on Postgres), hence the headroom.
// No SERIAL/IDENTITY, no ON CONFLICT, no JSONB, no arrays: keys are the embedded store's sequence numbers.
const ID = 'VARCHAR(512)';
const NAME = 'VARCHAR(256)';

/** The warehouse schema, oldest first. Applied versions are recorded in `schema_migrations`. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'observations, feedback, offline evaluation results, export state',
    statements: [
      `CREATE TABLE IF NOT EXISTS observations (
        seq BIGINT NOT NULL, request_id ${ID} NOT NULL, time BIGINT NOT NULL, route ${NAME} NOT NULL, intent ${NAME} NOT NULL,
        session_id ${ID}, traffic VARCHAR(16) NOT NULL, experiment_id ${NAME}, canary_id ${NAME}, arm VARCHAR(32) NOT NULL,
        config_id ${NAME}, upstream_model ${NAME} NOT NULL, operation VARCHAR(64) NOT NULL, streamed BOOLEAN NOT NULL,
        status INTEGER NOT NULL, error_code ${NAME}, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
        cost_usd DOUBLE PRECISION, ttft_ms DOUBLE PRECISION, latency_ms DOUBLE PRECISION NOT NULL, overhead_ms DOUBLE PRECISION NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS feedback (
        seq BIGINT NOT NULL, event_id ${ID} NOT NULL, received_at BIGINT NOT NULL, scope VARCHAR(16) NOT NULL, key ${ID} NOT NULL,
        metric VARCHAR(64) NOT NULL, value DOUBLE PRECISION NOT NULL, idempotency_key ${ID}, event_time BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS eval_results (
        seq BIGINT NOT NULL, run_id ${NAME} NOT NULL, dataset ${NAME} NOT NULL, test_id ${NAME} NOT NULL, intent ${NAME} NOT NULL,
        config_id ${NAME} NOT NULL, request_id ${ID}, status VARCHAR(64) NOT NULL, error_code ${NAME}, quality DOUBLE PRECISION,
        passed BOOLEAN, relevance DOUBLE PRECISION, factual_accuracy DOUBLE PRECISION, completeness DOUBLE PRECISION,
        format DOUBLE PRECISION, policy_safety DOUBLE PRECISION, judge DOUBLE PRECISION, input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL, cost_usd DOUBLE PRECISION, latency_ms DOUBLE PRECISION NOT NULL, ttft_ms DOUBLE PRECISION,
        time BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS export_state (
        table_name VARCHAR(64) NOT NULL, last_seq BIGINT NOT NULL, rows_copied BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL)`,
      // The value in force per (scope, key, metric), the same rule as the embedded store's view.
      `CREATE OR REPLACE VIEW feedback_latest AS
        SELECT scope, key, metric, value, event_time, seq FROM (
          SELECT f.scope, f.key, f.metric, f.value, f.event_time, f.seq,
            ROW_NUMBER() OVER (PARTITION BY f.scope, f.key, f.metric ORDER BY f.event_time DESC, f.seq DESC) AS rn
          FROM feedback f) ranked
        WHERE rn = 1`,
    ],
  },
  {
    version: 2,
    name: 'analysis results',
    statements: [
      `CREATE TABLE IF NOT EXISTS analysis_runs (
        run_id VARCHAR(64) NOT NULL, generated_at TIMESTAMP NOT NULL, since_ms BIGINT, source VARCHAR(16) NOT NULL,
        live_requests BIGINT NOT NULL, intents INTEGER NOT NULL, experiments INTEGER NOT NULL,
        current_monthly_usd DOUBLE PRECISION, recommended_monthly_usd DOUBLE PRECISION, monthly_saving_usd DOUBLE PRECISION,
        settings VARCHAR(65535) NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS analysis_intent_results (
        run_id VARCHAR(64) NOT NULL, intent ${NAME} NOT NULL, config_id ${NAME} NOT NULL, requests BIGINT NOT NULL,
        error_rate DOUBLE PRECISION NOT NULL, scored BIGINT NOT NULL, mean_quality DOUBLE PRECISION, quality_ci_low DOUBLE PRECISION,
        quality_ci_high DOUBLE PRECISION, pass_rate DOUBLE PRECISION, cost_per_request DOUBLE PRECISION,
        cost_per_satisfactory DOUBLE PRECISION, quality_per_1k_tokens DOUBLE PRECISION,
        latency_p50_ms DOUBLE PRECISION, latency_p95_ms DOUBLE PRECISION, latency_p99_ms DOUBLE PRECISION,
        ttft_p50_ms DOUBLE PRECISION, ttft_p95_ms DOUBLE PRECISION, ttft_p99_ms DOUBLE PRECISION,
        quality_per_p95_second DOUBLE PRECISION, recommended BOOLEAN NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS analysis_experiment_results (
        run_id VARCHAR(64) NOT NULL, experiment_id ${NAME} NOT NULL, intent ${NAME}, arm VARCHAR(32) NOT NULL, config_id ${NAME} NOT NULL,
        sessions BIGINT NOT NULL, requests BIGINT NOT NULL, scored BIGINT NOT NULL, error_rate DOUBLE PRECISION NOT NULL,
        mean_quality DOUBLE PRECISION NOT NULL, cost_per_request DOUBLE PRECISION NOT NULL,
        quality_diff DOUBLE PRECISION NOT NULL, quality_se DOUBLE PRECISION NOT NULL, quality_p DOUBLE PRECISION NOT NULL,
        quality_adjusted_p DOUBLE PRECISION NOT NULL, srm_mismatch BOOLEAN, cost_delta_per_request DOUBLE PRECISION NOT NULL,
        cost_delta_per_month DOUBLE PRECISION, decision VARCHAR(32) NOT NULL, reason VARCHAR(4096) NOT NULL)`,
    ],
  },
  {
    version: 3,
    name: 'assignment at routing time: configuration version and expected share of the arm',
    // One column per ALTER (Redshift adds one at a time); rows exported before stay NULL.
    statements: [
      'ALTER TABLE observations ADD COLUMN config_version BIGINT',
      'ALTER TABLE observations ADD COLUMN expected_share DOUBLE PRECISION',
    ],
  },
  {
    version: 4,
    name: 'replica id, prompt-cache tokens, stop reason, fallback attempts',
    statements: [
      `ALTER TABLE observations ADD COLUMN replica_id ${NAME}`,
      'ALTER TABLE observations ADD COLUMN cache_read_input_tokens INTEGER',
      'ALTER TABLE observations ADD COLUMN cache_write_input_tokens INTEGER',
      `ALTER TABLE observations ADD COLUMN stop_reason ${NAME}`,
      'ALTER TABLE observations ADD COLUMN attempts INTEGER',
      `ALTER TABLE observations ADD COLUMN served_config_id ${NAME}`,
    ],
  },
  {
    version: 5,
    name: 'many replicas in one schema: replica id on feedback, evaluation results and export state',
    // Rows are keyed by (replica_id, seq); rows exported before stay NULL until their store's next export adopts them.
    statements: [
      `ALTER TABLE feedback ADD COLUMN replica_id ${NAME}`,
      `ALTER TABLE eval_results ADD COLUMN replica_id ${NAME}`,
      `ALTER TABLE export_state ADD COLUMN replica_id ${NAME}`,
    ],
  },
  {
    version: 6,
    name: 'indexes for canary windows, quality lookups and export keys (PostgreSQL only)',
    statements: [],
    postgresOnly: [
      'CREATE INDEX IF NOT EXISTS observations_canary_window ON observations (canary_id, time)',
      'CREATE INDEX IF NOT EXISTS observations_replica_seq ON observations (replica_id, seq)',
      'CREATE INDEX IF NOT EXISTS feedback_latest_lookup ON feedback (scope, key, metric, event_time DESC, seq DESC)',
      'CREATE INDEX IF NOT EXISTS feedback_replica_seq ON feedback (replica_id, seq)',
    ],
  },
  {
    version: 7,
    name: 'shadow traffic: the live request a shadow observation copies',
    statements: [`ALTER TABLE observations ADD COLUMN shadow_of ${NAME}`],
  },
  {
    version: 8,
    name: 'attempts given up for a fallback',
    statements: ['ALTER TABLE observations ADD COLUMN failed_attempts VARCHAR(4096)'],
  },
  {
    version: 9,
    name: 'covering index for the quality in force (PostgreSQL only)',
    statements: [],
    // The analysis joins every live request to its quality in force (feedback_latest); this index hands the view's
    // window its rows in order, so the request-scope quality scores are no longer sorted on every run.
    postgresOnly: [
      `CREATE INDEX IF NOT EXISTS feedback_quality ON feedback (key, event_time DESC, seq DESC) INCLUDE (value)
        WHERE scope = 'request' AND metric = 'quality_score'`,
    ],
  },
];

/** True when the warehouse is Amazon Redshift (its `version()` says so) rather than PostgreSQL. */
export async function isRedshift(db: SqlRunner): Promise<boolean> {
  const rows = await db.query<{ version: string }>('SELECT version() AS version');
  return /redshift/i.test(String(rows[0]?.version ?? ''));
}

async function appliedVersions(db: SqlRunner): Promise<Set<number>> {
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((r) => Number(r.version)));
}

/**
 * Brings the warehouse schema up to date: each missing migration runs in its own transaction under a lock on
 * `schema_migrations`, so concurrent runs apply each version once. Returns the versions applied now.
 */
export async function migrate(warehouse: Warehouse, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await warehouse.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL, name VARCHAR(256) NOT NULL, applied_at TIMESTAMP NOT NULL)`);
  const applied: number[] = [];
  const postgres = !(await isRedshift(warehouse));
  for (const m of migrations) {
    if ((await appliedVersions(warehouse)).has(m.version)) continue;
    await warehouse.transaction(async (tx) => {
      await tx.query('LOCK TABLE schema_migrations');
      if ((await appliedVersions(tx)).has(m.version)) return;
      for (const statement of m.statements) await tx.query(statement);
      if (postgres) for (const statement of m.postgresOnly ?? []) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, CURRENT_TIMESTAMP)', [m.version, m.name]);
      applied.push(m.version);
    });
  }
  return applied;
}
