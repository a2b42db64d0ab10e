import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../stores/sqlite/database.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { migrate } from '../stores/warehouse/migrations.ts';
import { EXPORT_TABLES, toWarehouseValue, type ColumnKind } from '../stores/warehouse/tables.ts';

const CONFIGS = [
  { id: 'sonnet-35-v1', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', price: [0.003, 0.015], q: 0.83, ms: 1600 },
  { id: 'sonnet-35-v2', model: 'anthropic.claude-3-5-sonnet-20241022-v2:0', price: [0.003, 0.015], q: 0.85, ms: 1500 },
  { id: 'haiku-35', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', price: [0.001, 0.005], q: 0.78, ms: 600 },
] as const;
const INTENTS = ['recommendation', 'product_question', 'faq', 'order_tracking', 'promotion', 'checkout_help', 'chitchat', 'return_request'];

/** Secondary indexes of the two tables, dropped during a bulk load and built once after it (far faster than row by row). */
function secondaryIndexes(db: Database.Database): { name: string; sql: string }[] {
  return db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('observations', 'feedback')`)
    .all() as { name: string; sql: string }[];
}

/**
 * Writes `rows` generated observations (three requests a session, 10% of sessions in experiment `bench-exp`, 5% eval
 * traffic, 0.5% failures) with a quality score per successful request and a cart outcome per session, the same rows for
 * the same count (a fixed linear congruential generator).
 */
export function generateSqlite(path: string, rows: number): void {
  const db = openDatabase(path);
  const indexes = secondaryIndexes(db);
  for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const obs = db.prepare(`INSERT INTO observations (request_id, time, route, intent, session_id, traffic, experiment_id, canary_id, arm,
    config_id, upstream_model, operation, streamed, status, error_code, input_tokens, output_tokens, cost_usd, ttft_ms, latency_ms, overhead_ms)
    VALUES (?, ?, 'mangaassist', ?, ?, ?, ?, NULL, ?, ?, ?, 'converse', 0, ?, ?, ?, ?, ?, ?, ?, 0.4)`);
  const fb = db.prepare(
    `INSERT INTO feedback (event_id, received_at, scope, key, metric, value, idempotency_key, event_time) VALUES (?, 0, ?, ?, ?, ?, NULL, 0)`,
  );
  let x = 12345;
  const u = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const session = Math.floor(i / 3);
      const intent = INTENTS[Math.floor(u() * INTENTS.length)]!;
      const inExperiment = session % 10 === 0;
      const c = CONFIGS[inExperiment ? (session % 20 === 0 ? 0 : 1) : Math.floor(u() * 3)]!;
      const traffic = u() < 0.05 ? 'eval' : 'live';
      const failed = u() < 0.005;
      const input = failed ? 0 : 500 + Math.floor(u() * 1500);
      const output = failed ? 0 : 100 + Math.floor(u() * 400);
      const cost = (input * c.price[0] + output * c.price[1]) / 1000;
      const ttft = 200 + u() * 400;
      const id = `r${i}`;
      obs.run(
        id,
        1_700_000_000_000 + i,
        intent,
        `s${session}`,
        traffic,
        inExperiment ? 'bench-exp' : null,
        inExperiment ? (session % 20 === 0 ? 'control' : 'treatment') : 'default',
        c.id,
        c.model,
        failed ? 500 : 200,
        failed ? 'InternalServerException' : null,
        input,
        output,
        cost,
        failed ? null : ttft,
        ttft + c.ms * (0.5 + u()),
      );
      if (!failed) fb.run(`q${i}`, 'request', id, 'quality_score', Math.min(1, Math.max(0, c.q + 0.1 * (u() + u() + u() - 1.5))));
      if (i % 3 === 0) fb.run(`c${i}`, 'session', `s${session}`, 'cart_add', u() < 0.12 ? 1 : 0);
    }
  });
  for (let i = 0; i < rows; i += 100_000) batch(i, Math.min(rows, i + 100_000));
  for (const { sql } of indexes) db.exec(sql);
  db.pragma('journal_mode = WAL');
  db.close();
}

const PG_ARRAY: Record<ColumnKind, string> = {
  text: 'text[]',
  bigint: 'bigint[]',
  integer: 'integer[]',
  double: 'double precision[]',
  boolean: 'boolean[]',
};

/**
 * Copies the observations and feedback of the SQLite file into the warehouse schema (emptied first), 20,000 rows a
 * statement as one array per column (`INSERT ... SELECT * FROM unnest($1::bigint[], ...)`), then runs ANALYZE.
 * Much faster than the export's row-per-tuple statements; the rows and the analysis are the same.
 */
export async function loadWarehouse(
  db: Database.Database,
  wh: Warehouse,
  onProgress?: (table: string, rows: number) => void,
): Promise<void> {
  await migrate(wh);
  for (const table of EXPORT_TABLES.filter((t) => t.name !== 'eval_results')) {
    await wh.query(`TRUNCATE ${table.name}`);
    const present = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(table.name) as { name: string }[]).map((r) => r.name));
    const select = table.columns
      .map((c) => (c.name === 'replica_id' ? `'bench'` : present.has(c.name) ? `"${c.name}"` : 'NULL'))
      .join(', ');
    const read = db.prepare(`SELECT ${select} FROM ${table.name} WHERE seq > ? ORDER BY seq LIMIT 20000`).raw();
    const names = table.columns.map((c) => c.name).join(', ');
    const unnest = table.columns.map((c, i) => `$${i + 1}::${PG_ARRAY[c.kind]}`).join(', ');
    let after = 0;
    let copied = 0;
    for (;;) {
      const rows = read.all(after) as unknown[][];
      if (!rows.length) break;
      const columns = table.columns.map((c, j) => rows.map((r) => toWarehouseValue(c.kind, r[j])));
      await wh.query(`INSERT INTO ${table.name} (${names}) SELECT * FROM unnest(${unnest})`, columns);
      after = Number(rows[rows.length - 1]![0]);
      copied += rows.length;
      if (copied % 1_000_000 < rows.length) onProgress?.(table.name, copied);
    }
    await wh.query(`VACUUM ANALYZE ${table.name}`);
  }
}

/** One CSV field as COPY reads it: an empty unquoted field is NULL, text is always quoted (so '' stays a string). */
function csvField(kind: ColumnKind, value: unknown): string {
  const v = toWarehouseValue(kind, value);
  if (v === null) return '';
  if (kind === 'boolean') return v ? 't' : 'f';
  if (kind === 'text') return `"${String(v).replaceAll('"', '""')}"`;
  return String(v);
}

/**
 * Copies the observations and feedback of the SQLite file into the warehouse schema (emptied first) with the server's
 * `COPY ... FROM '<file>'`: each table is written once as CSV next to the SQLite file, its secondary indexes are
 * dropped, the file is copied in one statement, and the indexes are built again before `VACUUM ANALYZE`. The rows are
 * those of the SQLite file, value for value (numbers are written in JavaScript's shortest round-trip form, which
 * PostgreSQL reads back to the same double). Needs the server on this machine and a role allowed to read server
 * files (a superuser or `pg_read_server_files`); `loadWarehouse` is the portable, slower path.
 */
export async function copyWarehouse(
  db: Database.Database,
  wh: Warehouse,
  csvDir: string,
  onProgress?: (step: string, seconds: number) => void,
): Promise<void> {
  await migrate(wh);
  for (const table of EXPORT_TABLES.filter((t) => t.name !== 'eval_results')) {
    let t = performance.now();
    const lap = (step: string): void => {
      onProgress?.(`${table.name}: ${step}`, (performance.now() - t) / 1000);
      t = performance.now();
    };
    const present = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(table.name) as { name: string }[]).map((r) => r.name));
    const select = table.columns
      .map((c) => (c.name === 'replica_id' ? `'bench'` : present.has(c.name) ? `"${c.name}"` : 'NULL'))
      .join(', ');
    const file = resolve(csvDir, `${table.name}.csv`);
    const fd = openSync(file, 'w', 0o644);
    try {
      let chunk = '';
      for (const row of db.prepare(`SELECT ${select} FROM ${table.name} ORDER BY seq`).raw().iterate() as IterableIterator<unknown[]>) {
        chunk += `${table.columns.map((c, j) => csvField(c.kind, row[j])).join(',')}\n`;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    lap('CSV written');
    const indexes = await wh.query<{ name: string; sql: string }>(
      'SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1',
      [table.name],
    );
    for (const { name } of indexes) await wh.query(`DROP INDEX ${name}`);
    await wh.query(`TRUNCATE ${table.name}`);
    const names = table.columns.map((c) => c.name).join(', ');
    try {
      await wh.query(`COPY ${table.name} (${names}) FROM '${file.replaceAll("'", "''")}' WITH (FORMAT csv)`);
    } catch (error) {
      // The indexes come back before the caller falls back to another way of loading.
      for (const { sql } of indexes) await wh.query(sql);
      throw error;
    } finally {
      unlinkSync(file);
    }
    lap('copied');
    for (const { sql } of indexes) await wh.query(sql);
    lap(`${indexes.length} indexes built`);
    await wh.query(`VACUUM ANALYZE ${table.name}`);
    lap('vacuumed and analysed');
  }
}
