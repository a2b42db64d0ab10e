import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { RatioSums } from '../../analysis/stats/ratio.ts';
import { scoredQuality, servedColumn } from '../../analysis/queries/filter.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import type { ArmWindow, WindowFigures } from './gates.ts';
import { p95Ranks } from './quantile.ts';
import type { WindowQuery, WindowSource } from './window-source.ts';

type Arm = 'canary' | 'baseline';

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

interface Counts {
  requests: number;
  errors: number;
  cost: number;
  costSq: number;
  sessions: number;
}

function armWindow(counts: Counts | undefined, sums: RatioSums | undefined, latencies: Map<number, number>): ArmWindow {
  const { requests, errors, cost, costSq } = counts ?? { requests: 0, errors: 0, cost: 0, costSq: 0 };
  const succeeded = requests - errors;
  const ranks = succeeded > 0 ? p95Ranks(succeeded) : null;
  const p95 = ranks && { p95: latencies.get(ranks.p95)!, lower: latencies.get(ranks.lower)!, upper: latencies.get(ranks.upper)! };
  return {
    figures: {
      requests,
      scored: sums?.sumN ?? 0,
      quality: sums ? sums.sumY / sums.sumN : null,
      p95LatencyMs: p95?.p95 ?? null,
      errorRate: requests ? errors / requests : null,
      costPerRequest: succeeded ? cost / succeeded : null,
    },
    sessions: counts?.sessions ?? 0,
    errors,
    sums: sums ?? null,
    p95Bounds: p95 && { lower: p95.lower, upper: p95.upper },
    costSumSq: succeeded ? costSq : null,
  };
}

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
  const counts = new Map<Arm, Counts>();
  for (const row of db.prepare(COUNTS).iterate(bind) as Iterable<Counts & { arm: Arm }>) counts.set(row.arm, row);
  const sums = new Map<Arm, RatioSums>();
  for (const { arm, ...s } of db.prepare(quality(servedColumn(db))).iterate(bind) as Iterable<RatioSums & { arm: Arm }>) sums.set(arm, s);
  const ranks = (arm: Arm): string => {
    const c = counts.get(arm);
    const succeeded = c ? c.requests - c.errors : 0;
    return JSON.stringify(succeeded > 0 ? [...new Set(Object.values(p95Ranks(succeeded)))] : []);
  };
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
