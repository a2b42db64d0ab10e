import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { QUALITY_OF_ROW } from '../../analysis/queries/filter.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { figuresOfRows, type WindowRow, type WindowSource } from './window-source.ts';

// Live traffic of the canary's two arms; quality joins feedback exactly as the analysis job does.
const WINDOW_ROWS = `SELECT o.arm AS arm, o.session_id AS sessionId, (o.error_code IS NOT NULL) AS failed,
  o.latency_ms AS latencyMs, o.cost_usd AS costUsd, ${QUALITY_OF_ROW} AS quality
  FROM observations o
  WHERE o.canary_id = @canaryId AND o.traffic = 'live' AND o.arm IN ('canary', 'baseline')
    AND o.time >= @from AND o.time < @to`;

/** Reads canary windows from the gateway's SQLite observations file over a read-only connection. */
export function sqliteWindowSource(path: string): WindowSource {
  let db: Database.Database | null = null;
  return {
    async figures(query) {
      try {
        if (!db) {
          if (!existsSync(path)) return { ok: false, message: `no observations database at ${path} yet` };
          db = openDatabase(path, { readonly: true, busyTimeoutMs: 2_000 });
        }
        const rows = db.prepare(WINDOW_ROWS).all(query) as (Omit<WindowRow, 'failed'> & { failed: number })[];
        return { ok: true, value: figuresOfRows(rows.map((r) => ({ ...r, failed: r.failed === 1 }))) };
      } catch (err) {
        return { ok: false, message: `observations unreadable: ${(err as Error).message}` };
      }
    },
    async close() {
      db?.close();
      db = null;
    },
  };
}
