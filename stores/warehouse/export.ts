import type Database from 'better-sqlite3';
import { errorMessage, type SqlRunner, type Warehouse } from './interface.ts';
import { migrate } from './migrations.ts';
import { EXPORT_TABLES, toWarehouseValue, type ExportTable } from './tables.ts';

/** Options of one incremental export. */
export interface ExportOptions {
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

/** What an export did per table. */
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
export type ExportResult = { ok: true; tables: TableExport[]; migrated: number[] } | { ok: false; error: string; tables: TableExport[] };

/** Default rows per batch. */
export const DEFAULT_BATCH_SIZE = 5_000;
// Postgres takes at most 65,535 parameters per statement.
const MAX_PARAMS = 30_000;

function sourceColumns(db: Database.Database, table: string): Set<string> | null {
  const rows = db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[];
  return rows.length ? new Set(rows.map((r) => r.name)) : null;
}

async function readMark(tx: SqlRunner, table: string): Promise<{ lastSeq: number; rowsCopied: number }> {
  const rows = await tx.query<{ last_seq: number; rows_copied: number }>(
    'SELECT last_seq, rows_copied FROM export_state WHERE table_name = $1',
    [table],
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
 * Copies one table in batches above its high-water mark. Each batch is one transaction: lock the export
 * state, read the mark, stage the source rows, delete the warehouse rows with the staged keys (`seq`, and for a
 * table with a `replaceKey` the rows the staged ones replace), insert the staged rows, move the mark. A failed
 * batch rolls back whole, so a rerun resumes at the last committed mark and never duplicates a row (no unique
 * constraint needed: Redshift enforces none).
 */
async function exportTable(db: Database.Database, wh: Warehouse, table: ExportTable, o: ExportOptions): Promise<TableExport> {
  const present = sourceColumns(db, table.name);
  const mark = await readMark(wh, table.name);
  if (!present) return { table: table.name, present: false, rows: 0, batches: 0, lastSeq: mark.lastSeq };
  const select = table.columns.map((c) => (present.has(c.name) ? `"${c.name}"` : 'NULL')).join(', ');
  const read = db.prepare(`SELECT ${select} FROM ${table.name} WHERE seq > ? ORDER BY seq LIMIT ?`).raw();
  const stage = `export_stage_${table.name}`;
  const names = table.columns.map((c) => c.name).join(', ');
  await wh.query(`DROP TABLE IF EXISTS ${stage}`);
  await wh.query(`CREATE TEMP TABLE ${stage} (LIKE ${table.name})`);
  const result: TableExport = { table: table.name, present: true, rows: 0, batches: 0, lastSeq: mark.lastSeq };
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
  for (;;) {
    const progress = await wh.transaction(async (tx): Promise<BatchProgress | null> => {
      await tx.query('LOCK TABLE export_state');
      const current = await readMark(tx, table.name);
      const rows = read.all(current.lastSeq, batchSize) as unknown[][];
      if (!rows.length) return null;
      const lastSeq = Number(rows[rows.length - 1]![0]);
      await tx.query(`DELETE FROM ${stage}`);
      await stageRows(tx, stage, table, rows);
      await tx.query(`DELETE FROM ${table.name} USING ${stage} WHERE ${table.name}.seq = ${stage}.seq`);
      if (table.replaceKey) {
        const same = table.replaceKey.map((c) => `${table.name}.${c} = ${stage}.${c}`).join(' AND ');
        await tx.query(`DELETE FROM ${table.name} USING ${stage} WHERE ${same}`);
      }
      await tx.query(`INSERT INTO ${table.name} (${names}) SELECT ${names} FROM ${stage}`);
      await tx.query('DELETE FROM export_state WHERE table_name = $1', [table.name]);
      await tx.query('INSERT INTO export_state (table_name, last_seq, rows_copied, updated_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP)', [
        table.name,
        lastSeq,
        current.rowsCopied + rows.length,
      ]);
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
 * warehouse, incrementally from the high-water mark kept in the warehouse's `export_state`. Brings the warehouse
 * schema up to date first. Failures come back as values; rerunning resumes where the last committed batch ended.
 */
export async function exportToWarehouse(db: Database.Database, wh: Warehouse, o: ExportOptions = {}): Promise<ExportResult> {
  const tables: TableExport[] = [];
  try {
    const migrated = await migrate(wh);
    for (const table of EXPORT_TABLES) tables.push(await exportTable(db, wh, table, o));
    return { ok: true, tables, migrated };
  } catch (error) {
    return { ok: false, error: errorMessage(error), tables };
  }
}
