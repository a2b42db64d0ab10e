import pg from 'pg';
import { z } from 'zod';
import { errorMessage, type SqlRunner, type Warehouse, type WarehouseResult } from './interface.ts';

/** Options of the PostgreSQL / Redshift warehouse adapter. */
export const PostgresWarehouseOptions = z.object({
  /** `postgres://user@host:port/database` (Redshift: `postgres://user:password@cluster:5439/dev`). */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL'),
  /** Schema the tables live in; created when missing. Default `public`. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'schema names are lower-case letters, digits and _')
    .default('public'),
  /** Time allowed to connect, in ms. Default 5,000. */
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /** Shown in `pg_stat_activity`. */
  applicationName: z.string().default('llm-gateway'),
  /**
   * Longest one statement may run (server side), and may wait for its answer (client side, one second more), in
   * ms; none when absent (the export and the analysis run long statements).
   */
  statementTimeoutMs: z.number().int().positive().optional(),
});
export type PostgresWarehouseOptions = z.input<typeof PostgresWarehouseOptions>;

/** True when `store` names a Postgres/Redshift warehouse rather than a SQLite file. */
export function isWarehouseUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

const INT8 = 20;
const NUMERIC = 1700;

/** BIGINT counts and sums and NUMERIC results come back as JS numbers, like better-sqlite3 returns them (also used by the observation log). */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Connects to the warehouse on one session and points `search_path` at the schema (created if missing).
 * Connection failures come back as values.
 */
export async function connectPostgresWarehouse(input: PostgresWarehouseOptions): Promise<WarehouseResult<{ warehouse: Warehouse }>> {
  const parsed = PostgresWarehouseOptions.safeParse(input);
  if (!parsed.success)
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ') };
  const o = parsed.data;
  const client = new pg.Client({
    connectionString: o.url,
    connectionTimeoutMillis: o.connectTimeoutMs,
    application_name: o.applicationName,
    types: pgTypes,
    ...(o.statementTimeoutMs ? { statement_timeout: o.statementTimeoutMs, query_timeout: o.statementTimeoutMs + 1_000 } : {}),
  });
  // An idle session dropped by the server must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
    await client.query(`SET search_path TO ${o.schema}`);
  } catch (error) {
    await client.end().catch(() => {});
    return { ok: false, error: `cannot use warehouse ${redact(o.url)} (schema ${o.schema}): ${errorMessage(error)}` };
  }
  return { ok: true, warehouse: postgresWarehouse(client, o.schema) };
}

/** Wraps a connected `pg.Client` whose `search_path` already points at `schema`. */
export function postgresWarehouse(client: pg.Client, schema: string): Warehouse {
  const query = async <R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> =>
    (await client.query(sql, params as unknown[])).rows as R[];
  const runner: SqlRunner = { query };
  return {
    schema,
    query,
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      await client.query('BEGIN');
      try {
        const result = await fn(runner);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    close: () => client.end(),
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
