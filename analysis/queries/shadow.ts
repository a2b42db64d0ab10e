import type Database from 'better-sqlite3';
import type { RowFilter } from './filter.ts';

/** One side of a shadowed pair, as observed. */
export interface PairSide {
  requestId: string;
  configId: string | null;
  ok: boolean;
  costUsd: number | null;
  latencyMs: number;
  outputTokens: number;
  answer: string | null;
}

/** A live request and its shadow copy, with the texts kept for scoring (null when none were kept). */
export interface ShadowPairRow {
  route: string;
  intent: string;
  prompt: string | null;
  live: PairSide;
  shadow: PairSide;
}

const hasTable = (db: Database.Database, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/**
 * Every shadow observation since `filter.since` with the live request it copies (a shadow whose live row is missing
 * is left out) and the pair's texts from `shadow_answers`. Empty on a database from before shadow traffic.
 */
export function queryShadowPairs(db: Database.Database, filter: RowFilter): ShadowPairRow[] {
  if (!hasTable(db, 'shadow_answers')) return [];
  const rows = db
    .prepare(
      `SELECT s.route, s.intent, a.prompt,
         l.request_id AS l_id, l.config_id AS l_config, l.error_code AS l_error, l.cost_usd AS l_cost, l.latency_ms AS l_latency,
         l.output_tokens AS l_tokens, a.live_answer AS l_answer,
         s.request_id AS s_id, s.config_id AS s_config, s.error_code AS s_error, s.cost_usd AS s_cost, s.latency_ms AS s_latency,
         s.output_tokens AS s_tokens, a.shadow_answer AS s_answer
       FROM observations s
       JOIN observations l ON l.request_id = s.shadow_of AND l.traffic = 'live'
       LEFT JOIN shadow_answers a ON a.shadow_request_id = s.request_id
       WHERE s.traffic = 'shadow' AND s.time >= @since
       ORDER BY s.seq`,
    )
    .all({ since: filter.since }) as Record<string, unknown>[];
  const side = (r: Record<string, unknown>, p: 'l' | 's'): PairSide => ({
    requestId: r[`${p}_id`] as string,
    configId: (r[`${p}_config`] ?? null) as string | null,
    ok: r[`${p}_error`] === null,
    costUsd: (r[`${p}_cost`] ?? null) as number | null,
    latencyMs: r[`${p}_latency`] as number,
    outputTokens: r[`${p}_tokens`] as number,
    answer: (r[`${p}_answer`] ?? null) as string | null,
  });
  return rows.map((r) => ({
    route: r.route as string,
    intent: r.intent as string,
    prompt: (r.prompt ?? null) as string | null,
    live: side(r, 'l'),
    shadow: side(r, 's'),
  }));
}
