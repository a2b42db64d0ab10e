import { existsSync } from 'node:fs';
import { connectPostgresWarehouse, isWarehouseUrl } from '../../stores/warehouse/postgres.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { postgresAnalysisSource } from './postgres-source.ts';
import type { AnalysisSource } from './source.ts';
import { sqliteAnalysisSource } from './sqlite-source.ts';

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
    return postgresAnalysisSource(wh, () => wh.close());
  }
  if (!existsSync(store)) throw new Error(`no database at ${store}`);
  return sqliteAnalysisSource(openDatabase(store, { readonly: true }), true);
}
