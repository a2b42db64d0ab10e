import type Database from 'better-sqlite3';
import { LIVE_ROWS, type RowFilter } from './filter.ts';

/**
 * Sessions of one experiment counted once, by their first request (earliest time, then sequence number): the arm,
 * configuration version and expected share recorded on that request, and the history period its time falls in.
 */
export interface AssignmentCounts {
  arm: 'control' | 'treatment';
  /** Null on rows written before the gateway recorded it. */
  configVersion: number | null;
  /** Expected share of `arm` when the session was first routed; null on rows written before it was recorded. */
  expectedShare: number | null;
  /** How many of the given period boundaries are at or before the first request's time (0: before all of them). */
  period: number;
  sessions: number;
}

/**
 * A SQL expression counting the boundaries (epoch ms) at or before `column`; boundaries are inlined as integers,
 * so the same text runs on SQLite and PostgreSQL.
 */
export function periodExpression(column: string, boundaries: readonly number[]): string {
  const terms = boundaries.map((b) => {
    if (!Number.isFinite(b)) throw new Error(`period boundary must be a finite epoch ms, got ${b}`);
    return `CASE WHEN ${column} >= ${Math.trunc(b)} THEN 1 ELSE 0 END`;
  });
  return terms.length ? `(${terms.join(' + ')})` : '0';
}

/**
 * The columns to select for the recorded assignment: the stored ones, or NULLs for a store whose schema predates
 * them (an embedded database opened read-only before the gateway migrated it, a warehouse before its migration 3).
 */
export function assignmentColumns(present: boolean): string {
  if (!present) return 'NULL AS config_version, NULL AS expected_share';
  return 'o.config_version AS config_version, o.expected_share AS expected_share';
}

const orNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const order = (x: number | null, y: number | null): number => (x === y ? 0 : x === null ? -1 : y === null ? 1 : x - y);

/** Maps result rows (arm, config_version, expected_share, period, sessions) to counts, in one order on every source. */
export function assignmentCountsOf(rows: Record<string, unknown>[]): AssignmentCounts[] {
  return rows
    .map((r) => ({
      arm: String(r.arm) as AssignmentCounts['arm'],
      configVersion: orNull(r.config_version),
      expectedShare: orNull(r.expected_share),
      period: Number(r.period),
      sessions: Number(r.sessions),
    }))
    .sort(
      (a, b) =>
        (a.arm !== b.arm ? (a.arm < b.arm ? -1 : 1) : 0) ||
        order(a.configVersion, b.configVersion) ||
        order(a.expectedShare, b.expectedShare) ||
        a.period - b.period,
    );
}

/** The first request of each session of an experiment, grouped as `AssignmentCounts` (embedded store). */
export function queryAssignments(
  db: Database.Database,
  filter: RowFilter,
  experimentId: string,
  boundaries: readonly number[],
): AssignmentCounts[] {
  const column = db.prepare(`SELECT COUNT(*) FROM pragma_table_info('observations') WHERE name = 'expected_share'`);
  const present = (column.pluck().get() as number) > 0;
  const sql = `WITH firsts AS (
      SELECT o.arm AS arm, ${assignmentColumns(present)}, o.time AS time,
        ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.time, o.seq) AS rn
      FROM observations o
      WHERE ${LIVE_ROWS} AND o.experiment_id = @experimentId AND o.session_id IS NOT NULL AND o.arm IN ('control', 'treatment'))
    SELECT arm, config_version, expected_share, ${periodExpression('time', boundaries)} AS period, COUNT(*) AS sessions
    FROM firsts WHERE rn = 1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
  return assignmentCountsOf(db.prepare(sql).all({ ...filter, experimentId }) as Record<string, unknown>[]);
}
