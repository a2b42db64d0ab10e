import { existsSync } from 'node:fs';
import { isRedshift } from '../../stores/warehouse/migrations.ts';
import { connectPostgresWarehouse, isWarehouseUrl } from '../../stores/warehouse/postgres.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { postgresAnalysisSource } from './postgres-source.ts';
import type { AnalysisSource } from './source.ts';
import { sqliteAnalysisSource } from './sqlite-source.ts';

/** The PostgreSQL `work_mem` of the analysis session (per sort or hash, on the server; the job's memory is unchanged). */
export const ANALYSIS_WORK_MEM = '256MB';

/**
 * Opens the source named by `store`: a `postgres://` URL (the warehouse, in `schema`) or the path of the
 * embedded SQLite store (opened read-only). Throws with a readable message when it cannot be opened.
 */
export async function openAnalysisSource(store: string, schema?: string): Promise<AnalysisSource> {
  if (isWarehouseUrl(store)) {
    const connected = await connectPostgresWarehouse({ url: store, schema });
    if (!connected.ok) throw new Error(connected.error);
    const wh = connected.warehouse;
    const tables = await wh.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('observations', 'feedback', 'feedback_latest')`,
      [wh.schema],
    );
    if (Number(tables[0]?.n) < 3) {
      await wh.close();
      throw new Error(`schema ${wh.schema} of the warehouse has no observations yet: run npm run export first`);
    }
    // Its hash joins and per-group sorts span every live row: in memory they take about half the time of spilling to
    // disk at 1M rows. Session scope only; Redshift sizes query memory by its workload queues and has no work_mem.
    const redshift = await isRedshift(wh);
    if (!redshift) await wh.query(`SET work_mem = '${ANALYSIS_WORK_MEM}'`);
    return postgresAnalysisSource(wh, () => wh.close(), { redshift });
  }
  if (!existsSync(store)) throw new Error(`no database at ${store}`);
  return sqliteAnalysisSource(openDatabase(store, { readonly: true }), true);
}
