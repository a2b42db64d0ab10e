import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { RatioSums } from '../../analysis/stats/ratio.ts';
import { scoredQuality, servedColumn } from '../../analysis/queries/filter.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import type { WindowFigures } from './gates.ts';
import { armWindow, wantedRanks, type Arm, type ArmCounts } from './window-aggregate.ts';
import type { WindowQuery, WindowSource } from './window-source.ts';

// Live traffic of the canary's two arms in [from, to) (alias `o`).
const WINDOW = `o.canary_id = @canaryId AND o.traffic = 'live' AND o.arm IN ('canary', 'baseline')
  AND o.time >= @from AND o.time < @to`;

// Requests, errors, cost of the successful ones, and sessions (null and '' are one session, as in memory).
const COUNTS = `SELECT o.arm AS arm, COUNT(*) AS requests, SUM(o.error_code IS NOT NULL) AS errors,
  TOTAL(CASE WHEN o.error_code IS NULL THEN o.cost_usd END) AS cost,
  TOTAL(CASE WHEN o.error_code IS NULL THEN o.cost_usd * o.cost_usd END) AS costSq, COUNT(DISTINCT COALESCE(o.session_id, '')) AS sessions
  FROM observations o WHERE ${WINDOW} GROUP BY o.arm`;

// Quality joins feedback exactly as the analysis job does (answers a fallback served are never scored); summed per
// session, then over sessions.
const quality = (served: string): string => `WITH scored AS MATERIALIZED (
    SELECT o.arm AS arm, COALESCE(o.session_id, '') AS session, ${scoredQuality(served)} AS q
    FROM observations o WHERE ${WINDOW} AND o.error_code IS NULL
  ), per_session AS (
    SELECT arm, TOTAL(q) AS y, COUNT(*) AS n FROM scored WHERE q IS NOT NULL GROUP BY arm, session
  )
  SELECT arm, COUNT(*) AS sessions, TOTAL(y) AS sumY, SUM(n) AS sumN, TOTAL(y * y) AS sumYY, SUM(n * n) AS sumNN, TOTAL(y * n) AS sumYN
  FROM per_session GROUP BY arm`;

// Only the wanted order statistics of successful latencies leave SQLite (ranks are 1-based, per arm).
const LATENCY_RANKS = `SELECT arm, rk, v FROM (
    SELECT o.arm AS arm, o.latency_ms AS v, ROW_NUMBER() OVER (PARTITION BY o.arm ORDER BY o.latency_ms) AS rk
    FROM observations o WHERE ${WINDOW} AND o.error_code IS NULL
  ) WHERE (arm = 'canary' AND rk IN (SELECT value FROM json_each(@canaryRanks)))
     OR (arm = 'baseline' AND rk IN (SELECT value FROM json_each(@baselineRanks)))`;

/**
 * Candidate and baseline figures of one window, aggregated in SQL: a few rows per arm reach JS whatever the
 * traffic (SQLite sorts and groups in its page cache, spilling to temporary files when large). The three
 * statements read one snapshot, so counts and ranks agree while the gateway keeps writing.
 */
export function queryWindow(db: Database.Database, query: WindowQuery): WindowFigures {
  return db.transaction(() => aggregateWindow(db, query))();
}

function aggregateWindow(db: Database.Database, query: WindowQuery): WindowFigures {
  const bind = { canaryId: query.canaryId, from: query.from, to: query.to };
  const counts = new Map<Arm, ArmCounts>();
  for (const row of db.prepare(COUNTS).iterate(bind) as Iterable<ArmCounts & { arm: Arm }>) counts.set(row.arm, row);
  const sums = new Map<Arm, RatioSums>();
  for (const { arm, ...s } of db.prepare(quality(servedColumn(db))).iterate(bind) as Iterable<RatioSums & { arm: Arm }>) sums.set(arm, s);
  const ranks = (arm: Arm): string => JSON.stringify(wantedRanks(counts.get(arm)));
  const latencies = { canary: new Map<number, number>(), baseline: new Map<number, number>() };
  const rows = db.prepare(LATENCY_RANKS).iterate({ ...bind, canaryRanks: ranks('canary'), baselineRanks: ranks('baseline') });
  for (const { arm, rk, v } of rows as Iterable<{ arm: Arm; rk: number; v: number }>) latencies[arm].set(rk, v);
  return {
    candidate: armWindow(counts.get('canary'), sums.get('canary'), latencies.canary),
    baseline: armWindow(counts.get('baseline'), sums.get('baseline'), latencies.baseline),
  };
}

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
        return { ok: true, value: queryWindow(db, query) };
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
