import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE observations (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     request_id TEXT NOT NULL UNIQUE,
     time INTEGER NOT NULL,
     route TEXT NOT NULL,
     intent TEXT NOT NULL,
     session_id TEXT,
     traffic TEXT NOT NULL,
     experiment_id TEXT,
     canary_id TEXT,
     arm TEXT NOT NULL,
     config_id TEXT,
     upstream_model TEXT NOT NULL,
     operation TEXT NOT NULL,
     streamed INTEGER NOT NULL,
     status INTEGER NOT NULL,
     error_code TEXT,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cost_usd REAL,
     ttft_ms REAL,
     latency_ms REAL NOT NULL,
     overhead_ms REAL NOT NULL
   );
   CREATE INDEX observations_time ON observations (time);
   CREATE INDEX observations_session ON observations (session_id);
   CREATE TABLE feedback (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT NOT NULL UNIQUE,
     received_at INTEGER NOT NULL,
     scope TEXT NOT NULL CHECK (scope IN ('request', 'session')),
     key TEXT NOT NULL,
     metric TEXT NOT NULL,
     value REAL NOT NULL,
     idempotency_key TEXT UNIQUE,
     event_time INTEGER NOT NULL
   );
   CREATE INDEX feedback_key ON feedback (scope, key, metric);
   -- The value in force per (scope, key, metric): the latest by event time, then by arrival.
   CREATE VIEW feedback_latest AS
     SELECT scope, key, metric, value, event_time, seq FROM (
       SELECT f.*, ROW_NUMBER() OVER (PARTITION BY scope, key, metric ORDER BY event_time DESC, seq DESC) AS rn FROM feedback f
     ) WHERE rn = 1;`,
  // The analysis job looks up the value in force per (scope, key, metric) for every observation.
  `CREATE INDEX feedback_latest_lookup ON feedback (scope, key, metric, event_time DESC, seq DESC);`,
  // Offline evaluation: one row per (run, case, configuration); a rerun of a run skips finished pairs.
  `CREATE TABLE eval_results (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL,
     dataset TEXT NOT NULL,
     test_id TEXT NOT NULL,
     intent TEXT NOT NULL,
     config_id TEXT NOT NULL,
     request_id TEXT,
     status TEXT NOT NULL, -- 'ok' | 'error'
     error_code TEXT,
     quality REAL,
     passed INTEGER,
     relevance REAL,
     factual_accuracy REAL,
     completeness REAL,
     format REAL,
     policy_safety REAL,
     judge REAL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cost_usd REAL,
     latency_ms REAL NOT NULL,
     ttft_ms REAL,
     time INTEGER NOT NULL,
     UNIQUE (run_id, test_id, config_id)
   );`,
  // Assignment at routing time: the configuration version and the arm's expected share; rows written before stay NULL.
  `ALTER TABLE observations ADD COLUMN config_version INTEGER;
   ALTER TABLE observations ADD COLUMN expected_share REAL;`,
  // Replica id, prompt-cache tokens, stop reason and fallback attempts; rows written before stay NULL.
  `ALTER TABLE observations ADD COLUMN replica_id TEXT;
   ALTER TABLE observations ADD COLUMN cache_read_input_tokens INTEGER;
   ALTER TABLE observations ADD COLUMN cache_write_input_tokens INTEGER;
   ALTER TABLE observations ADD COLUMN stop_reason TEXT;
   ALTER TABLE observations ADD COLUMN attempts INTEGER;
   ALTER TABLE observations ADD COLUMN served_config_id TEXT;`,
  // Canary windows read one canary's rows in a time range; without this they scan every row since that time.
  `CREATE INDEX observations_canary_window ON observations (canary_id, time);`,
  // Shadow traffic: the live request a shadow observation copies, and the answers of shadowed pairs for scoring.
  `ALTER TABLE observations ADD COLUMN shadow_of TEXT;
   CREATE TABLE shadow_answers (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     shadow_request_id TEXT NOT NULL UNIQUE,
     live_request_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     prompt TEXT,
     live_answer TEXT,
     shadow_answer TEXT
   );`,
  // Attempts given up for a fallback, as a JSON array of {configId, status, errorCode, ms}; NULL when none was.
  `ALTER TABLE observations ADD COLUMN failed_attempts TEXT;`,
  // The index on session ids (random keys: a write to a random page for every observation) cost about as much as
  // the rest of the row, and no read needs it: the analysis reads sessions through observations_analysis_sessions
  // (opt-in, below) or, without it, joins them through an index SQLite builds for the query.
  `DROP INDEX IF EXISTS observations_session;`,
];

/**
 * Indexes the analysis job reads live rows through instead of sorting the table (analysis/queries/sqlite-indexed.ts):
 * per (intent, configuration) sums in index order with request ids ascending (quality lookups walk the feedback
 * index forwards), nearest-rank percentiles by LIMIT/OFFSET on each group's ordered latencies, each experiment's
 * sessions in (session, time, seq) order, and the feedback in force from covering indexes. Not a migration: they
 * about double the work of every observation write, so the gateway never builds them; `npm run analysis --
 * --build-indexes` does, once, for a store analysed often at scale (`createAnalysisIndexes`).
 */
const ANALYSIS_INDEXES = `CREATE INDEX IF NOT EXISTS observations_analysis_cells ON observations (intent, config_id, request_id, time, error_code, served_config_id,
     stop_reason, cost_usd, input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens)
     WHERE traffic = 'live' AND config_id IS NOT NULL;
   CREATE INDEX IF NOT EXISTS observations_analysis_latency ON observations (intent, config_id, latency_ms, time)
     WHERE traffic = 'live' AND config_id IS NOT NULL AND error_code IS NULL;
   CREATE INDEX IF NOT EXISTS observations_analysis_ttft ON observations (intent, config_id, ttft_ms, time)
     WHERE traffic = 'live' AND config_id IS NOT NULL AND error_code IS NULL AND ttft_ms IS NOT NULL;
   CREATE INDEX IF NOT EXISTS observations_analysis_sessions ON observations (experiment_id, session_id, time, seq, arm, config_version, expected_share)
     WHERE traffic = 'live' AND config_id IS NOT NULL AND experiment_id IS NOT NULL;
   CREATE INDEX IF NOT EXISTS observations_shadow ON observations (time) WHERE traffic = 'shadow';
   CREATE INDEX IF NOT EXISTS feedback_quality ON feedback (key, event_time DESC, seq DESC, value) WHERE scope = 'request' AND metric = 'quality_score';
   CREATE INDEX IF NOT EXISTS feedback_session ON feedback (key, metric, event_time DESC, seq DESC, value) WHERE scope = 'session';`;

/** Builds the analysis indexes the store lacks (a no-op when all are there); returns the milliseconds it took. */
export function createAnalysisIndexes(db: Database.Database): number {
  const started = performance.now();
  db.exec(ANALYSIS_INDEXES);
  return performance.now() - started;
}

export interface OpenOptions {
  /** How long a write waits for a lock held elsewhere before failing. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** Opens (creating if needed) the embedded database in WAL mode and brings its schema up to date. */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 100 });
  if (options.readonly) return db;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}
