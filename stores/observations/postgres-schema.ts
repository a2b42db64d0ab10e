import type pg from 'pg';
import { migrate } from '../warehouse/migrations.ts';
import { postgresWarehouse } from '../warehouse/postgres.ts';

/** Sets `table.seq`'s default to `sequence` unless it is already that (no table lock then). */
function setSeqDefault(table: string, sequence: string): string {
  return `DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}'
      AND column_name = 'seq' AND column_default LIKE 'nextval(''${sequence}''%') THEN
      ALTER TABLE ${table} ALTER COLUMN seq SET DEFAULT nextval('${sequence}');
    END IF;
  END $$`;
}

/**
 * What the log adds to the warehouse tables, PostgreSQL only (Redshift has no sequences defaults or unique
 * indexes): `seq` drawn from a sequence, unique indexes that make appends idempotent (`ON CONFLICT DO NOTHING`), and
 * the indexes of page and window reads. Every statement is idempotent; it runs under the log's advisory lock.
 */
const LOG_STATEMENTS: readonly string[] = [
  'CREATE SEQUENCE IF NOT EXISTS observations_log_seq',
  'CREATE SEQUENCE IF NOT EXISTS feedback_log_seq',
  // Rows already in the tables (an export into this schema) keep their seq; new ones continue after them.
  `SELECT setval('observations_log_seq', m) FROM (SELECT MAX(seq) AS m FROM observations) s
     WHERE m > (SELECT last_value FROM observations_log_seq)`,
  `SELECT setval('feedback_log_seq', m) FROM (SELECT MAX(seq) AS m FROM feedback) s
     WHERE m > (SELECT last_value FROM feedback_log_seq)`,
  // ALTER TABLE takes an ACCESS EXCLUSIVE lock, which would wait behind any open read of the table (an analysis
  // run, a canary window) and queue every replica's appends behind itself; it runs only while the default is unset.
  setSeqDefault('observations', 'observations_log_seq'),
  setSeqDefault('feedback', 'feedback_log_seq'),
  'CREATE UNIQUE INDEX IF NOT EXISTS observations_request_id_key ON observations (request_id)',
  'CREATE UNIQUE INDEX IF NOT EXISTS feedback_event_id_key ON feedback (event_id)',
  'CREATE UNIQUE INDEX IF NOT EXISTS feedback_idempotency_key_key ON feedback (idempotency_key)',
  'CREATE INDEX IF NOT EXISTS observations_seq_idx ON observations (seq)',
  'CREATE INDEX IF NOT EXISTS observations_time_idx ON observations (time, seq)',
  'CREATE INDEX IF NOT EXISTS observations_canary_time_idx ON observations (canary_id, time)',
  'CREATE INDEX IF NOT EXISTS feedback_seq_idx ON feedback (seq)',
  'CREATE INDEX IF NOT EXISTS feedback_latest_lookup ON feedback (scope, key, metric, event_time DESC, seq DESC)',
];

/** The advisory lock key of one schema's log: set-up and every append take it. */
export const logLockKey = (schema: string): string => `observation_log:${schema}`;

/**
 * Creates the schema when missing, brings the warehouse tables up to date (`migrate`) and adds the log's pieces,
 * holding the log's advisory lock so replicas starting together do it once.
 */
export async function setUpLogSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [logLockKey(schema)]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await migrate(postgresWarehouse(client, schema));
    for (const statement of LOG_STATEMENTS) await client.query(statement);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [logLockKey(schema)]).catch(() => {});
  }
}
