import pg from 'pg';
import { z } from 'zod';
import { errorMessage } from '../warehouse/interface.ts';
import { pgTypes, redact } from '../warehouse/postgres.ts';
import type { LoggedFeedback, LoggedObservation, LogRead, ObservationLog, RecordBatch } from './interface.ts';
import { FEEDBACK_COLUMNS, OBSERVATION_COLUMNS, nextCursor, seqCursor, windowKey, windowStatement } from './log-query.ts';
import { logLockKey, setUpLogSchema } from './postgres-schema.ts';
import { feedbackOfRow, observationOfRow } from './sqlite.ts';

/** Options of the PostgreSQL observation log. */
export const PostgresLogOptions = z.object({
  /** `postgres://user@host:port/database`. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL'),
  /** Schema of the log's tables (the warehouse layout); created when missing. Default `public`. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'schema names are lower-case letters, digits and _')
    .default('public'),
  /** Time allowed to connect, and for one statement, in ms. Defaults 2,000 and 10,000. */
  connectTimeoutMs: z.number().int().positive().default(2_000),
  statementTimeoutMs: z.number().int().positive().default(10_000),
  /** Connections at most. Default 4. */
  poolSize: z.number().int().positive().default(4),
});
export type PostgresLogOptions = z.input<typeof PostgresLogOptions>;

type Row = Record<string, unknown>;

/** `INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING` of many records; `seq` comes from the column's default. */
function insertMany<T>(table: string, columns: readonly [string, (r: T) => unknown][], records: T[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const rows = records.map((r) => `(${columns.map(([, get]) => `$${params.push(get(r))}`).join(', ')})`);
  return {
    sql: `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
    params,
  };
}

/**
 * The shared observation log on PostgreSQL: the warehouse's `observations` and `feedback` tables in one schema, which
 * every replica appends to and `npm run analysis -- --store <url> --schema <schema>` reads as it is.
 *
 * Order: `seq` comes from a sequence, and every append takes the schema's transaction-scoped advisory lock before it
 * draws numbers and holds it until commit, so rows become visible in `seq` order even with many writers; a reader
 * paging by `seq` never passes a number that a slower transaction commits later. The price is that appends of all
 * replicas are serialised (one short transaction per batch of up to 500 records). Appends are idempotent: a request
 * id or feedback event id already stored is skipped (`ON CONFLICT DO NOTHING`), so replays and retries store nothing
 * twice. The schema is set up lazily, at the first call, so a gateway starts (and spills) while PostgreSQL is down.
 */
export function postgresObservationLog(input: PostgresLogOptions): ObservationLog {
  const o = PostgresLogOptions.parse(input);
  const connection = {
    connectionString: o.url,
    connectionTimeoutMillis: o.connectTimeoutMs,
    application_name: 'llm-gateway observation log',
    types: pgTypes,
  };
  const pool = new pg.Pool({
    ...connection,
    max: o.poolSize,
    options: `-c search_path=${o.schema}`,
    statement_timeout: o.statementTimeoutMs,
    query_timeout: o.statementTimeoutMs + 1_000,
  });
  // A connection dropped while idle (PostgreSQL restarted) must not crash the process; the next call reports it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  let ready: Promise<void> | undefined;

  // Set-up may build indexes over rows already in the schema, so it gets longer than one append; but it never waits
  // for a lock (the set-up lock of another replica, a table lock behind a long read) longer than one statement may
  // run, and a connection that stops answering fails it: a flush at shutdown never waits on it without bound.
  const setUpTimeoutMs = o.statementTimeoutMs * 6;
  async function setUp(): Promise<void> {
    const client = new pg.Client({
      ...connection,
      statement_timeout: setUpTimeoutMs,
      lock_timeout: o.statementTimeoutMs,
      query_timeout: setUpTimeoutMs + 1_000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await setUpLogSchema(client, o.schema);
    } finally {
      await client.end().catch(() => {});
    }
  }
  const schemaReady = (): Promise<void> =>
    (ready ??= setUp().catch((error: unknown) => {
      ready = undefined;
      throw new Error(`observation log ${redact(o.url)} (schema ${o.schema}): ${errorMessage(error)}`);
    }));

  async function write(batch: RecordBatch): Promise<void> {
    if (!batch.observations.length && !batch.feedback.length) return;
    await schemaReady();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [logLockKey(o.schema)]);
      for (const [table, columns, records] of [
        ['observations', OBSERVATION_COLUMNS, batch.observations],
        ['feedback', FEEDBACK_COLUMNS, batch.feedback],
      ] as const) {
        if (!records.length) continue;
        const { sql, params } = insertMany(table, columns as readonly [string, (r: unknown) => unknown][], records as unknown[]);
        await client.query(sql, params);
      }
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // A connection in an unknown state is closed rather than handed to the next write.
      client.release(error as Error);
      throw error;
    }
  }

  async function read<T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T[] | string> {
    try {
      await schemaReady();
      return (await pool.query(sql, params)).rows.map(map);
    } catch (error) {
      return errorMessage(error);
    }
  }
  const page = <T extends { seq: number | null }>(items: T[] | string, limit: number, key: (row: T) => string): LogRead<T> =>
    typeof items === 'string' ? { ok: false, error: items } : { ok: true, page: { items, next: nextCursor(items, limit, key) } };
  const logged = (r: Row): LoggedObservation => ({ ...observationOfRow(r), seq: r.seq as number });
  const bySeq = (row: { seq: number | null }): string => String(row.seq);

  return {
    kind: 'postgres',
    ordered: true,
    write,
    async probe() {
      await schemaReady();
      await pool.query('SELECT 1');
    },
    page: async (cursor, limit) =>
      page(await read('SELECT * FROM observations WHERE seq > $1 ORDER BY seq LIMIT $2', [seqCursor(cursor), limit], logged), limit, bySeq),
    feedbackPage: async (cursor, limit) =>
      page(
        await read(
          'SELECT * FROM feedback WHERE seq > $1 ORDER BY seq LIMIT $2',
          [seqCursor(cursor), limit],
          (r): LoggedFeedback => ({
            ...feedbackOfRow(r),
            seq: r.seq as number,
          }),
        ),
        limit,
        bySeq,
      ),
    window: async (w, cursor, limit) => {
      const { sql, params } = windowStatement(w, cursor, limit, (i) => `$${i}`);
      return page(await read(sql, params, logged), limit, windowKey);
    },
    close: () => pool.end(),
  };
}
