import type Database from 'better-sqlite3';
import { LIVE_ROWS, type RowFilter } from './filter.ts';
import { nearestRank } from '../stats/nearest-rank.ts';

/** Percentiles the job reports. */
export const PERCENTILES = [50, 95, 99] as const;

/** Nearest-rank percentiles of one column per group. */
export type Percentiles = Record<(typeof PERCENTILES)[number], number>;

/**
 * Nearest-rank percentiles: with the n values of a group sorted ascending, the p-th percentile is the value
 * at rank ceil(p * n / 100) (1-based), always an observed value; the warehouse source computes the same rank
 * in integer arithmetic (postgres-source.ts). SQLite counts each group, then sorts (spilling to
 * disk when large) and streams the values once; only the wanted ranks are kept, so memory stays bounded
 * whatever the row count. Only successful requests count.
 */
export function queryPercentiles(
  db: Database.Database,
  filter: RowFilter,
  column: 'latency_ms' | 'ttft_ms',
  groupBy: readonly string[],
  extraWhere = '',
  params: Record<string, unknown> = {},
): Map<string, Percentiles> {
  const keys = groupBy.map((g) => `o.${g}`).join(', ');
  const where = `${LIVE_ROWS} AND o.error_code IS NULL AND o.${column} IS NOT NULL ${extraWhere}`;
  const bind = { since: filter.since, ...params };
  const counts = new Map<string, number>();
  for (const row of db
    .prepare(`SELECT ${keys}, COUNT(*) FROM observations o WHERE ${where} GROUP BY ${keys}`)
    .raw()
    .iterate(bind) as Iterable<unknown[]>) {
    counts.set(row.slice(0, -1).map(String).join('\u0000'), row[row.length - 1] as number);
  }
  const out = new Map<string, Percentiles>();
  const sorted = db.prepare(`SELECT ${keys}, o.${column} FROM observations o WHERE ${where} ORDER BY ${keys}, o.${column}`).raw();
  let previous: unknown[] = [];
  let rank = 0;
  let wanted: [number, (typeof PERCENTILES)[number]][] = [];
  let entry = {} as Percentiles;
  for (const row of sorted.iterate(bind) as Iterable<unknown[]>) {
    if (rank === 0 || groupBy.some((_, i) => row[i] !== previous[i])) {
      previous = row;
      const key = row.slice(0, -1).map(String).join('\u0000');
      rank = 0;
      const n = counts.get(key) ?? 0;
      wanted = PERCENTILES.map((p) => [nearestRank(p, n), p]);
      entry = {} as Percentiles;
      out.set(key, entry);
    }
    rank++;
    for (const [r, p] of wanted) if (r === rank) entry[p] = row[row.length - 1] as number;
  }
  return out;
}

/** The map key of a group's values. */
export function groupKey(...values: string[]): string {
  return values.join('\u0000');
}
