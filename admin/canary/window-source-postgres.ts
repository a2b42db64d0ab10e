import type { RatioSums } from '../../analysis/stats/ratio.ts';
import { errorMessage, type SqlRunner, type Warehouse } from '../../stores/warehouse/interface.ts';
import { connectPostgresWarehouse } from '../../stores/warehouse/postgres.ts';
import type { WindowFigures } from './gates.ts';
import { armWindow, wantedRanks, type Arm, type ArmCounts } from './window-aggregate.ts';
import type { WindowQuery, WindowSource } from './window-source.ts';

// Live traffic of the canary's two arms in [$1, $2) of canary $3 (alias `o`).
const WINDOW = `o.canary_id = $3 AND o.traffic = 'live' AND o.arm IN ('canary', 'baseline') AND o.time >= $1 AND o.time < $2`;

// The quality score in force for row `o` (latest by event time, then by arrival: the `feedback_latest` rule),
// looked up per row through the feedback index rather than ranking all feedback as the view does.
// As on SQLite: an answer a fallback served is never scored.
const QUALITY_OF_ROW = `CASE WHEN o.error_code IS NULL AND o.served_config_id IS NULL THEN (
  SELECT f.value FROM feedback f WHERE f.scope = 'request' AND f.key = o.request_id AND f.metric = 'quality_score'
  ORDER BY f.event_time DESC, f.seq DESC LIMIT 1) END`;

// Requests, errors, cost of the successful ones, and sessions (null and '' are one session, as in memory).
const COUNTS = `SELECT o.arm AS arm, COUNT(*) AS requests, SUM(CASE WHEN o.error_code IS NOT NULL THEN 1 ELSE 0 END) AS errors,
  COALESCE(SUM(CASE WHEN o.error_code IS NULL THEN o.cost_usd END), 0) AS cost,
  COALESCE(SUM(CASE WHEN o.error_code IS NULL THEN o.cost_usd * o.cost_usd END), 0) AS cost_sq,
  COUNT(DISTINCT COALESCE(o.session_id, '')) AS sessions
  FROM observations o WHERE ${WINDOW} GROUP BY o.arm`;

// Quality summed per session, then over sessions, per arm.
const QUALITY = `WITH scored AS (
    SELECT o.arm AS arm, COALESCE(o.session_id, '') AS session, ${QUALITY_OF_ROW} AS q
    FROM observations o WHERE ${WINDOW} AND o.error_code IS NULL
  ), per_session AS (
    SELECT arm, SUM(q) AS y, COUNT(*) AS n FROM scored WHERE q IS NOT NULL GROUP BY arm, session
  )
  SELECT arm, COUNT(*) AS sessions, SUM(y) AS sum_y, SUM(n) AS sum_n, SUM(y * y) AS sum_yy, SUM(n * n) AS sum_nn, SUM(y * n) AS sum_yn
  FROM per_session GROUP BY arm`;

// Only the wanted order statistics of successful latencies leave the server (ranks are 1-based, per arm).
const LATENCY_RANKS = `SELECT arm, rk, v FROM (
    SELECT o.arm AS arm, o.latency_ms AS v, ROW_NUMBER() OVER (PARTITION BY o.arm ORDER BY o.latency_ms) AS rk
    FROM observations o WHERE ${WINDOW} AND o.error_code IS NULL
  ) ranked WHERE (arm = 'canary' AND rk = ANY($4::bigint[])) OR (arm = 'baseline' AND rk = ANY($5::bigint[]))`;

type Row = Record<string, unknown>;

/**
 * Candidate and baseline figures of one window from a PostgreSQL observation log (the warehouse layout), in
 * SQL: a few rows per arm reach JS whatever the traffic. Run inside a REPEATABLE READ transaction by
 * `postgresWindowSource`, so counts and ranks come from one snapshot while replicas keep writing.
 */
export async function queryWindowPostgres(db: SqlRunner, query: WindowQuery): Promise<WindowFigures> {
  const bind = [query.from, query.to, query.canaryId];
  const counts = new Map<Arm, ArmCounts>();
  for (const r of await db.query<Row>(COUNTS, bind)) {
    counts.set(r.arm as Arm, {
      requests: Number(r.requests),
      errors: Number(r.errors),
      cost: Number(r.cost),
      costSq: Number(r.cost_sq),
      sessions: Number(r.sessions),
    });
  }
  const sums = new Map<Arm, RatioSums>();
  for (const r of await db.query<Row>(QUALITY, bind)) {
    sums.set(r.arm as Arm, {
      sessions: Number(r.sessions),
      sumY: Number(r.sum_y),
      sumN: Number(r.sum_n),
      sumYY: Number(r.sum_yy),
      sumNN: Number(r.sum_nn),
      sumYN: Number(r.sum_yn),
    });
  }
  const latencies = { canary: new Map<number, number>(), baseline: new Map<number, number>() };
  const ranks = [wantedRanks(counts.get('canary')), wantedRanks(counts.get('baseline'))];
  if (ranks[0]!.length || ranks[1]!.length) {
    for (const r of await db.query<Row>(LATENCY_RANKS, [...bind, ...ranks])) latencies[r.arm as Arm].set(Number(r.rk), Number(r.v));
  }
  return {
    candidate: armWindow(counts.get('canary'), sums.get('canary'), latencies.canary),
    baseline: armWindow(counts.get('baseline'), sums.get('baseline'), latencies.baseline),
  };
}

/** Where a PostgreSQL observation log lives. */
export interface PostgresWindowSourceOptions {
  /** `postgres://user@host:port/database`. */
  url: string;
  /** Schema of the log's tables (`OBSERVATION_LOG_SCHEMA`). */
  schema: string;
  /**
   * Longest a window read's statement may run or wait for its answer, in ms. Default 30,000: a log that stops
   * answering fails the read (a value) instead of holding the controller, and with it the shutdown, for good.
   */
  statementTimeoutMs?: number;
}

/**
 * Reads canary windows from a shared PostgreSQL observation log on one connection, opened on first use and
 * reopened after a failure. Reads are asynchronous (the event loop only waits on the socket); failures come
 * back as values.
 */
export function postgresWindowSource(options: PostgresWindowSourceOptions): WindowSource {
  let warehouse: Warehouse | null = null;
  return {
    async figures(query) {
      try {
        if (!warehouse) {
          const connected = await connectPostgresWarehouse({
            url: options.url,
            schema: options.schema,
            applicationName: 'llm-gateway canary',
            statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
          });
          if (!connected.ok) return { ok: false, message: connected.error };
          warehouse = connected.warehouse;
        }
        const value = await warehouse.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          // The per-row quality lookup makes the planner's cost estimate large enough to JIT-compile the query,
          // which costs more than the read itself (1.6 s of a 3.6 s read at 100k rows).
          await tx.query('SET LOCAL jit = off');
          return queryWindowPostgres(tx, query);
        });
        return { ok: true, value };
      } catch (err) {
        const stale = warehouse;
        warehouse = null;
        await stale?.close().catch(() => {});
        return { ok: false, message: `observation log unreadable: ${errorMessage(err)}` };
      }
    },
    async close() {
      await warehouse?.close().catch(() => {});
      warehouse = null;
    },
  };
}
