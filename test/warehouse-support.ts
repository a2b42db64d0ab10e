import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type Database from 'better-sqlite3';
import { connectPostgresWarehouse } from '../stores/warehouse/postgres.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { serviceMissing } from './support/services.ts';

/** The test PostgreSQL (override with WAREHOUSE_TEST_URL). */
export const PG_URL = process.env.WAREHOUSE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const HOW = 'start PostgreSQL on 127.0.0.1:5432 with a database "test" and trust auth for user postgres, or set WAREHOUSE_TEST_URL';

/** Null when PostgreSQL answers; otherwise why not. Under CI=true a missing server is an error, not a skip. */
export async function postgresMissing(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  let problem: string | null = null;
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    problem = `PostgreSQL not reachable at ${PG_URL} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  return serviceMissing('the PostgreSQL tests', problem, HOW);
}

/** A fresh schema with a random name; `drop` removes it with everything in it. */
export function testSchema(prefix: string): { schema: string; drop(): Promise<void> } {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  return {
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Connects to the test server in `schema`, throwing on failure. */
export async function connectTest(schema: string): Promise<Warehouse> {
  const connected = await connectPostgresWarehouse({ url: PG_URL, schema });
  if (!connected.ok) throw new Error(connected.error);
  return connected.warehouse;
}

/** The embedded store's `eval_results` table as the offline evaluator's migration defines it. */
export function ensureEvalResults(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS eval_results (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, dataset TEXT NOT NULL,
    test_id TEXT NOT NULL, intent TEXT NOT NULL, config_id TEXT NOT NULL, request_id TEXT, status TEXT NOT NULL, error_code TEXT,
    quality REAL, passed INTEGER, relevance REAL, factual_accuracy REAL, completeness REAL, format REAL, policy_safety REAL, judge REAL,
    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL, latency_ms REAL NOT NULL, ttft_ms REAL,
    time INTEGER NOT NULL, UNIQUE (run_id, test_id, config_id))`);
}

/** Writes `n` offline evaluation results with nullable fields and a pass flag. */
export function writeEvalResults(db: Database.Database, runId: string, n: number): void {
  const insert =
    db.prepare(`INSERT INTO eval_results (run_id, dataset, test_id, intent, config_id, request_id, status, error_code, quality, passed,
    relevance, factual_accuracy, completeness, format, policy_safety, judge, input_tokens, output_tokens, cost_usd, latency_ms, ttft_ms, time)
    VALUES (?, 'golden', ?, 'faq', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const failed = i % 17 === 0;
      const q = failed ? null : ((i * 7919) % 1000) / 999;
      insert.run(
        runId,
        `t${i}`,
        i % 2 ? 'haiku-35' : 'sonnet-35-v2',
        failed ? null : `${runId}-r${i}`,
        failed ? 'error' : 'ok',
        failed ? 'ThrottlingException' : null,
        q,
        q === null ? null : Number(q >= 0.7),
        q,
        q,
        q,
        q,
        q,
        i % 3 ? q : null,
        failed ? 0 : 100 + i,
        failed ? 0 : 50 + i,
        failed ? null : (i + 0.1) / 3e4,
        100 + i / 7,
        failed ? null : 10 + i / 13,
        1_700_000_000_000 + i,
      );
    }
  })();
}
