import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { errorMessage, type SqlRunner, type Warehouse } from './interface.ts';
import { migrate } from './migrations.ts';
import { EXPORT_TABLES, toWarehouseValue, type ExportTable } from './tables.ts';

/** Options of one incremental export. */
export interface ExportOptions {
  /**
   * The replica whose store this is: the warehouse keys its rows by (replica id, seq) and keeps one high-water
   * mark per (table, replica), so many replicas' stores export into one schema. Default `defaultReplica(db)`.
   */
  replica?: string;
  /** Rows per batch (one warehouse transaction each). Default 5,000. */
  batchSize?: number;
  /** Told after each committed batch. */
  onBatch?: (progress: BatchProgress) => void;
  /**
   * Called inside each batch's transaction after its rows are written and before the mark moves; a throw
   * rolls the batch back and ends the export with a failure (used to test resumption).
   */
  beforeCommit?: (progress: BatchProgress) => void | Promise<void>;
}

/** One committed (or about to be committed) batch. */
export interface BatchProgress {
  table: string;
  batch: number;
  rows: number;
  lastSeq: number;
}

/** What an export did per table (for the export's replica). */
export interface TableExport {
  table: string;
  /** False when the embedded store has no such table (skipped). */
  present: boolean;
  rows: number;
  batches: number;
  /** High-water mark after the export. */
  lastSeq: number;
}

/** Result of an export; a failure lists the tables finished before it (later batches committed before it stay). */
export type ExportResult =
  | { ok: true; replica: string; tables: TableExport[]; migrated: number[] }
  | { ok: false; error: string; tables: TableExport[] };

/** Default rows per batch. */
export const DEFAULT_BATCH_SIZE = 5_000;
// Postgres takes at most 65,535 parameters per statement.
const MAX_PARAMS = 30_000;

function sourceColumns(db: Database.Database, table: string): Set<string> | null {
  const rows = db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[];
  return rows.length ? new Set(rows.map((r) => r.name)) : null;
}

/**
 * The replica id an export uses when none is given: the replica id of the store's first observation, else this
 * host's name. The first row never changes (the store is append-only), so the default stays the same across
 * gateway restarts, which stamp new rows with a new `<host>:<pid>`; a default that changed would start a new mark
 * and copy the store's feedback again under the new id.
 */
export function defaultReplica(db: Database.Database): string {
  const columns = sourceColumns(db, 'observations');
  if (columns?.has('replica_id')) {
    const first = db.prepare('SELECT replica_id FROM observations ORDER BY seq LIMIT 1').get() as { replica_id: string | null } | undefined;
    if (first?.replica_id) return first.replica_id;
  }
  return hostname();
}

async function readMark(tx: SqlRunner, table: string, replica: string): Promise<{ lastSeq: number; rowsCopied: number }> {
  const rows = await tx.query<{ last_seq: number; rows_copied: number }>(
    'SELECT last_seq, rows_copied FROM export_state WHERE table_name = $1 AND replica_id = $2',
    [table, replica],
  );
  return rows[0] ? { lastSeq: Number(rows[0].last_seq), rowsCopied: Number(rows[0].rows_copied) } : { lastSeq: 0, rowsCopied: 0 };
}

async function stageRows(tx: SqlRunner, stage: string, table: ExportTable, rows: unknown[][]): Promise<void> {
  const width = table.columns.length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  const names = table.columns.map((c) => c.name).join(', ');
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map(
      (row) =>
        `(${row
          .map((value, j) => {
            params.push(toWarehouseValue(table.columns[j]!.kind, value));
            return `$${params.length}`;
          })
          .join(', ')})`,
    );
    await tx.query(`INSERT INTO ${stage} (${names}) VALUES ${tuples.join(', ')}`, params);
  }
}

/**
 * Before the warehouse kept one mark per replica it held one store per schema, exported without a replica id.
 * An export into such a schema adopts those rows and their mark when they are its store's (the last one
 * exported is in the store, same seq and identity), instead of copying them again under its id; rows of
 * another store stop the export with a message, so they never pass for this replica's.
 */
async function adoptUnnamedRows(db: Database.Database, wh: Warehouse, table: ExportTable, replica: string): Promise<void> {
  await wh.transaction(async (tx) => {
    await tx.query('LOCK TABLE export_state');
    const unnamed = await tx.query('SELECT 1 FROM export_state WHERE table_name = $1 AND replica_id IS NULL', [table.name]);
    if (!unnamed.length) return;
    const ids = table.identity.join(', ');
    const [last] = await tx.query<Record<string, unknown>>(
      `SELECT seq, ${ids} FROM ${table.name} WHERE replica_id IS NULL ORDER BY seq DESC LIMIT 1`,
    );
    const where = table.identity.map((c) => `"${c}" = ?`).join(' AND ');
    const ours =
      !last ||
      (sourceColumns(db, table.name) &&
        db.prepare(`SELECT 1 FROM ${table.name} WHERE ${where}`).get(...table.identity.map((c) => last[c])));
    if (!ours) {
      throw new Error(
        `${table.name}: the rows exported before replica ids (up to seq ${last!.seq}) are not this store's; export their store first, it adopts them`,
      );
    }
    await tx.query(`UPDATE ${table.name} SET replica_id = $1 WHERE replica_id IS NULL`, [replica]);
    await tx.query('UPDATE export_state SET replica_id = $1 WHERE table_name = $2 AND replica_id IS NULL', [replica, table.name]);
  });
}

/**
 * Copies one table in batches above the replica's high-water mark. Each batch is one transaction: lock the export
 * state, read the mark, stage the source rows, delete the warehouse rows with the staged keys (`replica_id, seq`,
 * and for a table with a `replaceKey` the replica's rows the staged ones replace), insert them, move the mark. A failed
 * batch rolls back whole, so a rerun resumes at the last committed mark and never duplicates a row (no unique
 * constraint needed: Redshift enforces none).
 */
async function exportTable(
  db: Database.Database,
  wh: Warehouse,
  table: ExportTable,
  replica: string,
  o: ExportOptions,
): Promise<TableExport> {
  const present = sourceColumns(db, table.name);
  await adoptUnnamedRows(db, wh, table, replica);
  const mark = await readMark(wh, table.name, replica);
  if (!present) return { table: table.name, present: false, rows: 0, batches: 0, lastSeq: mark.lastSeq };
  const column = (name: string): string => {
    if (name === 'replica_id') return present.has(name) ? 'COALESCE("replica_id", @replica)' : '@replica';
    return present.has(name) ? `"${name}"` : 'NULL';
  };
  const select = table.columns.map((c) => column(c.name)).join(', ');
  const read = db.prepare(`SELECT ${select} FROM ${table.name} WHERE seq > @after ORDER BY seq LIMIT @limit`).raw();
  const stage = `export_stage_${table.name}`;
  const names = table.columns.map((c) => c.name).join(', ');
  await wh.query(`DROP TABLE IF EXISTS ${stage}`);
  await wh.query(`CREATE TEMP TABLE ${stage} (LIKE ${table.name})`);
  const result: TableExport = { table: table.name, present: true, rows: 0, batches: 0, lastSeq: mark.lastSeq };
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
  for (;;) {
    const progress = await wh.transaction(async (tx): Promise<BatchProgress | null> => {
      await tx.query('LOCK TABLE export_state');
      const current = await readMark(tx, table.name, replica);
      const rows = read.all({ replica, after: current.lastSeq, limit: batchSize }) as unknown[][];
      if (!rows.length) return null;
      const lastSeq = Number(rows[rows.length - 1]![0]);
      await tx.query(`DELETE FROM ${stage}`);
      await stageRows(tx, stage, table, rows);
      const sameKey = (c: string): string => `${table.name}.${c} = ${stage}.${c}`;
      await tx.query(`DELETE FROM ${table.name} USING ${stage} WHERE ${sameKey('replica_id')} AND ${sameKey('seq')}`);
      if (table.replaceKey) {
        const same = ['replica_id', ...table.replaceKey].map(sameKey).join(' AND ');
        await tx.query(`DELETE FROM ${table.name} USING ${stage} WHERE ${same}`);
      }
      await tx.query(`INSERT INTO ${table.name} (${names}) SELECT ${names} FROM ${stage}`);
      await tx.query('DELETE FROM export_state WHERE table_name = $1 AND replica_id = $2', [table.name, replica]);
      await tx.query(
        'INSERT INTO export_state (table_name, replica_id, last_seq, rows_copied, updated_at) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
        [table.name, replica, lastSeq, current.rowsCopied + rows.length],
      );
      const p = { table: table.name, batch: result.batches + 1, rows: rows.length, lastSeq };
      await o.beforeCommit?.(p);
      return p;
    });
    if (!progress) break;
    result.rows += progress.rows;
    result.batches = progress.batch;
    result.lastSeq = progress.lastSeq;
    o.onBatch?.(progress);
  }
  await wh.query(`DROP TABLE IF EXISTS ${stage}`);
  // Fresh statistics keep the planner from nested-looping the analysis joins over a table it thinks is empty.
  if (result.rows > 0) await wh.query(`ANALYZE ${table.name}`);
  return result;
}

/**
 * Copies observations, feedback and (when present) offline evaluation results from the embedded store to the
 * warehouse, incrementally from the high-water mark kept per (table, replica) in the warehouse's `export_state`.
 * Brings the warehouse schema up to date first. Failures come back as values; rerunning resumes where the last
 * committed batch ended. Stores of different replicas (distinct replica ids) export into one schema side by side.
 */
export async function exportToWarehouse(db: Database.Database, wh: Warehouse, o: ExportOptions = {}): Promise<ExportResult> {
  const tables: TableExport[] = [];
  try {
    const replica = o.replica ?? defaultReplica(db);
    const migrated = await migrate(wh);
    for (const table of EXPORT_TABLES) tables.push(await exportTable(db, wh, table, replica, o));
    return { ok: true, replica, tables, migrated };
  } catch (error) {
    return { ok: false, error: errorMessage(error), tables };
  }
}
