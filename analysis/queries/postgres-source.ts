import type { SqlRunner } from '../../stores/warehouse/interface.ts';
import { assignmentCountsOf, periodExpression, type AssignmentCounts } from './assignment.ts';
import { armSumsOf, type ArmSums, type OutcomeSums } from './experiments.ts';
import type { RowFilter } from './filter.ts';
import type { CellSums } from './intent-config.ts';
import { groupKey, PERCENTILES, type Percentiles } from './quantiles.ts';
import { byKeys, type AnalysisSource } from './source.ts';
import { nearestRank } from '../stats/nearest-rank.ts';

/** The shared WHERE clause (alias `o`); `$1` is the start time in epoch ms. */
const LIVE = `o.traffic = 'live' AND o.config_id IS NOT NULL AND o.time >= $1`;
/** Which SQL the source writes: PostgreSQL's own (DISTINCT ON, FILTER) or the subset Redshift shares with it. */
interface Dialect {
  redshift: boolean;
}

/**
 * The first row per `partition` in `order` over `from` (a FROM ... WHERE ... body), as the columns `columns`
 * ([expression, name] pairs). PostgreSQL: DISTINCT ON, one pass over rows sorted (or read from an index) in that
 * order. Redshift, which has no DISTINCT ON: ROW_NUMBER() = 1, the same row.
 */
function firstPer(d: Dialect, columns: readonly [string, string][], partition: string, order: string, from: string): string {
  const select = columns.map(([e, n]) => `${e} AS ${n}`).join(', ');
  if (!d.redshift) return `SELECT DISTINCT ON (${partition}) ${select} ${from} ORDER BY ${partition}, ${order}`;
  return `SELECT ${columns.map(([, n]) => n).join(', ')} FROM (
      SELECT ${select}, ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${order}) AS rn ${from}) ranked WHERE rn = 1`;
}

/**
 * The quality score in force per request (key, value): the latest by event time, then by arrival, the rule of the
 * `feedback_latest` view, read from the request-scope quality scores alone (on PostgreSQL an index-only walk of
 * `feedback_quality` in that order), optionally only for the keys `keys` (a subquery).
 */
const qualityInForce = (d: Dialect, keys?: string): string =>
  firstPer(
    d,
    [
      ['f.key', 'key'],
      ['f.value', 'value'],
    ],
    'f.key',
    'f.event_time DESC, f.seq DESC',
    `FROM feedback f WHERE f.scope = 'request' AND f.metric = 'quality_score'${keys ? ` AND f.key IN (${keys})` : ''}`,
  );
/** The quality in force of request `key` by one lookup in `feedback_quality` (PostgreSQL). */
const LATEST_QUALITY = (key: string): string => `(SELECT f.value FROM feedback f WHERE f.scope = 'request' AND f.metric = 'quality_score'
  AND f.key = ${key} ORDER BY f.event_time DESC, f.seq DESC LIMIT 1)`;
const QUALITY_JOIN = 'LEFT JOIN quality fl ON fl.key = o.request_id';
/** Null for failed requests and fallback answers. */
const quality = (served: string): string => `CASE WHEN o.error_code IS NULL AND ${served} IS NULL THEN fl.value END`;
const fallbackFlag = (served: string): string => `CASE WHEN ${served} IS NOT NULL THEN 1 ELSE 0 END`;

/** `o.served_config_id`, or NULL on a warehouse that predates it (no row there was answered by a fallback). */
async function servedColumn(db: SqlRunner): Promise<string> {
  const present = await db.query<Row>(`SELECT 1 AS x FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'observations' AND column_name = 'served_config_id'`);
  return present.length > 0 ? 'o.served_config_id' : 'CAST(NULL AS VARCHAR(256))';
}
const FAILED = 'CASE WHEN o.error_code IS NOT NULL THEN 1 ELSE 0 END';

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);

/**
 * Runs `read` with parallel workers off (PostgreSQL; the session's setting is restored after): the per-cell sums
 * hash-join every live request to its quality in force, whose DISTINCT ON over an index is not a parallel plan, so
 * each parallel worker would build the whole hash table again (three builds of 10M entries at 10M rows). At 10M on
 * two shared cores the statement took 15 to 23 s serially against 23 to 36 s with two workers.
 */
async function serially<T>(db: SqlRunner, d: Dialect, read: () => Promise<T>): Promise<T> {
  if (d.redshift) return read();
  const [was] = await db.query<Row>(`SELECT current_setting('max_parallel_workers_per_gather') AS v`);
  await db.query(`SELECT set_config('max_parallel_workers_per_gather', '0', false)`);
  try {
    return await read();
  } finally {
    await db.query('SELECT set_config($1, $2, false)', ['max_parallel_workers_per_gather', String(was?.v)]);
  }
}

async function cells(
  db: SqlRunner,
  d: Dialect,
  filter: RowFilter,
  gates: Record<string, number>,
  defaultGate: number,
): Promise<CellSums[]> {
  const served = await servedColumn(db);
  const params: unknown[] = [filter.since, defaultGate];
  const cases = Object.entries(gates).map(([intent, gate]) => {
    params.push(intent, gate);
    return `WHEN CAST($${params.length - 1} AS VARCHAR(256)) THEN CAST($${params.length} AS DOUBLE PRECISION)`;
  });
  const fallback = 'CAST($2 AS DOUBLE PRECISION)';
  const gate = cases.length ? `CASE intent ${cases.join(' ')} ELSE ${fallback} END` : fallback;
  const rows = await serially(db, d, () =>
    db.query<Row>(
      `WITH quality AS (${qualityInForce(d)}),
    scored AS (
      SELECT o.intent AS intent, o.config_id AS config_id, ${FAILED} AS failed, ${fallbackFlag(served)} AS fallback, o.cost_usd AS cost,
        CASE WHEN o.stop_reason = 'guardrail_intervened' THEN 1 ELSE 0 END AS guardrailed,
        CAST(o.input_tokens AS BIGINT) + o.output_tokens + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS tokens,
        CAST(o.input_tokens AS BIGINT) + COALESCE(o.cache_read_input_tokens, 0) + COALESCE(o.cache_write_input_tokens, 0) AS prompt,
        CAST(COALESCE(o.cache_read_input_tokens, 0) AS BIGINT) AS cache_read, ${quality(served)} AS q
      FROM observations o ${QUALITY_JOIN} WHERE ${LIVE})
    SELECT intent, config_id, COUNT(*) AS requests, SUM(failed) AS errors, SUM(guardrailed) AS guardrailed, SUM(cost) AS cost_usd, SUM(cost * cost) AS cost_sum_sq,
      SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS unpriced, SUM(fallback) AS fallbacks, COUNT(q) AS scored, SUM(q) AS quality_sum,
      SUM(q * q) AS quality_sum_sq, SUM(CASE WHEN q >= ${gate} THEN 1 ELSE 0 END) AS passes,
      SUM(CASE WHEN q IS NOT NULL THEN tokens END) AS scored_tokens, SUM(prompt) AS prompt_tokens, SUM(cache_read) AS cache_read_tokens
    FROM scored GROUP BY intent, config_id`,
      params,
    ),
  );
  return rows
    .map((r) => ({
      intent: String(r.intent),
      configId: String(r.config_id),
      requests: num(r.requests),
      errors: num(r.errors),
      guardrailed: num(r.guardrailed),
      costUsd: num(r.cost_usd),
      costSumSq: num(r.cost_sum_sq),
      unpriced: num(r.unpriced),
      fallbacks: num(r.fallbacks),
      scored: num(r.scored),
      qualitySum: num(r.quality_sum),
      qualitySumSq: num(r.quality_sum_sq),
      passes: num(r.passes),
      scoredTokens: num(r.scored_tokens),
      promptTokens: num(r.prompt_tokens),
      cacheReadTokens: num(r.cache_read_tokens),
    }))
    .sort(
      byKeys(
        (c) => c.intent,
        (c) => c.configId,
      ),
    );
}

type Column = 'latency_ms' | 'ttft_ms';
const disc = (column: string, p: number, filter = ''): string =>
  `percentile_disc(${p / 100 - 1e-12}) WITHIN GROUP (ORDER BY o.${column})${filter}`;
const percentilesOf = (r: Row, prefix: string): Percentiles => {
  const entry = {} as Percentiles;
  for (const p of PERCENTILES) entry[p] = Number(r[`${prefix}${p}`]);
  return entry;
};

/**
 * Nearest-rank percentiles per (intent, configuration) with `percentile_disc`, one sort per group. PostgreSQL takes
 * the value at rank ceil(fraction n) computed in floating point, where p / 100 n can land just above a whole rank
 * (one rank too far); the fraction asked is p / 100 - 1e-12, whose rank is exactly ceil(p n / 100) for groups under
 * 10^10 values: when p n / 100 is whole the product falls within n 1e-12 below it, and otherwise it is at least 0.01
 * above the rank below. `referencePercentiles` (ROW_NUMBER and COUNT windows, ranks in integers) gives the same values.
 */
async function percentiles(db: SqlRunner, filter: RowFilter, column: Column): Promise<Map<string, Percentiles>> {
  const picks = PERCENTILES.map((p) => `${disc(column, p)} AS p${p}`).join(', ');
  const rows = await db.query<Row>(
    `SELECT o.intent AS intent, o.config_id AS config_id, ${picks}
    FROM observations o WHERE ${LIVE} AND o.error_code IS NULL AND o.${column} IS NOT NULL GROUP BY o.intent, o.config_id`,
    [filter.since],
  );
  const out = new Map<string, Percentiles>();
  for (const r of rows) out.set(groupKey(String(r.intent), String(r.config_id)), percentilesOf(r, 'p'));
  return out;
}

/**
 * Both columns' percentiles in one statement (PostgreSQL only): one scan, one sort of the rows by group, compared
 * byte by byte (COLLATE "C", the groups are the same in any collation), then the per-group sorts of each column; TTFT
 * through FILTER (it is null on some successful rows). A group without a TTFT is left out of the TTFT map, as the
 * per-column statement leaves it out.
 */
async function bothPercentiles(db: SqlRunner, filter: RowFilter): Promise<Record<Column, Map<string, Percentiles>>> {
  const picks = (['latency_ms', 'ttft_ms'] as const).flatMap((c) =>
    PERCENTILES.map((p) => `${disc(c, p, ` FILTER (WHERE o.${c} IS NOT NULL)`)} AS ${c}_${p}`),
  );
  const rows = await db.query<Row>(
    `SELECT o.intent COLLATE "C" AS intent, o.config_id COLLATE "C" AS config_id, COUNT(o.latency_ms) AS latency_ms_n,
      COUNT(o.ttft_ms) AS ttft_ms_n, ${picks.join(', ')}
    FROM observations o WHERE ${LIVE} AND o.error_code IS NULL GROUP BY 1, 2`,
    [filter.since],
  );
  const out = { latency_ms: new Map<string, Percentiles>(), ttft_ms: new Map<string, Percentiles>() };
  for (const r of rows) {
    for (const c of ['latency_ms', 'ttft_ms'] as const) {
      if (num(r[`${c}_n`]) > 0) out[c].set(groupKey(String(r.intent), String(r.config_id)), percentilesOf(r, `${c}_`));
    }
  }
  return out;
}

/**
 * The percentiles of one column, on PostgreSQL from a `bothPercentiles` statement shared with the other column: a
 * call runs one and keeps it for one call of the other column with the same start time (the report reads latency,
 * then TTFT), so each statement's figures are handed out at most once per column.
 */
function sharedPercentiles(db: SqlRunner, d: Dialect): AnalysisSource['percentiles'] {
  if (d.redshift) return (filter, column) => percentiles(db, filter, column);
  let kept: { since: number; waiting: Column; result: Promise<Record<Column, Map<string, Percentiles>>> } | undefined;
  return async (filter, column) => {
    if (kept && kept.since === filter.since && kept.waiting === column) {
      const { result } = kept;
      kept = undefined;
      return (await result)[column];
    }
    const result = bothPercentiles(db, filter);
    kept = { since: filter.since, waiting: column === 'latency_ms' ? 'ttft_ms' : 'latency_ms', result };
    result.catch(() => {
      kept = undefined;
    });
    return (await result)[column];
  };
}

/** Nearest-rank percentiles by ROW_NUMBER and COUNT windows over every row, ranks in integers: the reference for `percentiles`. */
export async function referencePercentiles(
  db: SqlRunner,
  filter: RowFilter,
  column: 'latency_ms' | 'ttft_ms',
): Promise<Map<string, Percentiles>> {
  const ranks = PERCENTILES.map((p) => `(${p} * n + 99) / 100`).join(', ');
  const rows = await db.query<Row>(
    `SELECT intent, config_id, n, rn, x FROM (
      SELECT o.intent AS intent, o.config_id AS config_id, o.${column} AS x,
        ROW_NUMBER() OVER (PARTITION BY o.intent, o.config_id ORDER BY o.${column}) AS rn,
        COUNT(*) OVER (PARTITION BY o.intent, o.config_id) AS n
      FROM observations o WHERE ${LIVE} AND o.error_code IS NULL AND o.${column} IS NOT NULL) ranked
    WHERE rn IN (${ranks})`,
    [filter.since],
  );
  const out = new Map<string, Percentiles>();
  for (const r of rows) {
    const key = groupKey(String(r.intent), String(r.config_id));
    const entry = out.get(key) ?? ({} as Percentiles);
    for (const p of PERCENTILES) if (nearestRank(p, num(r.n)) === num(r.rn)) entry[p] = Number(r.x);
    out.set(key, entry);
  }
  return out;
}

async function experimentIds(db: SqlRunner, filter: RowFilter): Promise<string[]> {
  const rows = await db.query<Row>(
    `SELECT DISTINCT o.experiment_id AS id FROM observations o WHERE ${LIVE} AND o.experiment_id IS NOT NULL`,
    [filter.since],
  );
  return rows.map((r) => String(r.id)).sort(byKeys((id) => id));
}

const EXPERIMENT_ROWS = `${LIVE} AND o.experiment_id = $2 AND o.session_id IS NOT NULL`;

/** Each session's first arm (session_id, arm) among the rows of `from` (columns session_id, arm, time, seq); see `queryArms` for why a session stays in it. */
const firstArm = (d: Dialect, from: string): string =>
  firstPer(
    d,
    [
      ['e.session_id', 'session_id'],
      ['e.arm', 'arm'],
    ],
    'e.session_id',
    'e.time, e.seq',
    `FROM ${from} e`,
  );

/** The sums `armSumsOf` reads, over `per_session`. */
const ARM_SUMS: readonly [string, string][] = [
  ['SUM(requests)', 'requests'],
  ['SUM(errors)', 'errors'],
  ['SUM(fallbacks)', 'fallbacks'],
  ['SUM(cost_usd)', 'cost_usd'],
  ['SUM(scored)', 'scored'],
  ['SUM(y)', 'quality_sum'],
  ['SUM(yy)', 'quality_sum_sq'],
  ['COUNT(*)', 'sessions'],
  ['SUM(y * y)', 'sum_yy'],
  ['SUM(scored * scored)', 'sum_nn'],
  ['SUM(y * scored)', 'sum_yn'],
  ['SUM(requests * requests)', 'req_nn'],
  ['SUM(errors * errors)', 'err_yy'],
  ['SUM(errors * requests)', 'err_yn'],
  ['SUM(cost_usd * cost_usd)', 'cost_yy'],
  ['SUM(cost_usd * requests)', 'cost_yn'],
];

/**
 * One statement, one scan of the observations: the experiment's rows (kept once), each session's first arm among
 * them, the quality in force of the first-arm rows alone, the per-session sums and per arm both the sums and the
 * configurations seen (rows with part = 'config'). On PostgreSQL each scored row's quality is one index-only lookup
 * in `feedback_quality` (ORDER BY ... LIMIT 1): at 10M rows, 950k lookups took the statement from 19.5 s (a
 * DISTINCT ON over the lookups' results, sorted) to 10 s. Redshift, without correlated LIMIT subqueries or indexes,
 * joins the quality in force of the experiment's requests.
 */
async function arms(db: SqlRunner, d: Dialect, filter: RowFilter, experimentId: string): Promise<ArmSums[]> {
  const served = await servedColumn(db);
  const rows = await db.query<Row>(
    `WITH exp AS (
      SELECT o.request_id AS request_id, o.session_id AS session_id, o.arm AS arm, o.config_id AS config_id, o.time AS time, o.seq AS seq,
        ${FAILED} AS failed, ${fallbackFlag(served)} AS fallback, o.cost_usd AS cost,
        CASE WHEN o.error_code IS NULL AND ${served} IS NULL THEN 1 ELSE 0 END AS scorable
      FROM observations o WHERE ${EXPERIMENT_ROWS}),
    first_arm AS (${firstArm(d, 'exp')}),
    ${d.redshift ? `quality AS (${qualityInForce(d, 'SELECT request_id FROM exp')}),` : ''}
    scored AS (
      SELECT e.arm AS arm, e.session_id AS session_id, e.config_id AS config_id, e.failed AS failed, e.fallback AS fallback, e.cost AS cost,
        CASE WHEN e.scorable = 1 THEN ${d.redshift ? 'q.value' : LATEST_QUALITY('e.request_id')} END AS q
      FROM exp e JOIN first_arm f ON f.session_id = e.session_id AND f.arm = e.arm
      ${d.redshift ? 'LEFT JOIN quality q ON q.key = e.request_id' : ''}),
    per_session AS (
      SELECT arm, COUNT(*) AS requests, SUM(failed) AS errors, SUM(fallback) AS fallbacks, COALESCE(SUM(cost), 0) AS cost_usd, COUNT(q) AS scored,
        COALESCE(SUM(q), 0) AS y, COALESCE(SUM(q * q), 0) AS yy
      FROM scored GROUP BY arm, session_id)
    SELECT 'sums' AS part, arm, CAST(NULL AS VARCHAR(256)) AS config_id, ${ARM_SUMS.map(([e, n]) => `${e} AS ${n}`).join(', ')}
    FROM per_session GROUP BY arm
    UNION ALL
    SELECT 'config' AS part, arm, config_id, ${ARM_SUMS.map(([, n]) => `NULL AS ${n}`).join(', ')} FROM scored GROUP BY arm, config_id`,
    [filter.since, experimentId],
  );
  // The smallest configuration id per arm, compared by code unit as SQLite's BINARY collation does.
  const configOf = new Map<string, string>();
  for (const c of rows.filter((r) => r.part === 'config')) {
    const [arm, id] = [String(c.arm), String(c.config_id)];
    const seen = configOf.get(arm);
    if (seen === undefined || id < seen) configOf.set(arm, id);
  }
  return rows
    .filter((r) => r.part === 'sums')
    .map((r) => armSumsOf(r, configOf.get(String(r.arm)) ?? ''))
    .sort(byKeys((a) => a.arm));
}

const OUTCOME_METRICS = ['cart_add', 'escalated', 'session_duration_s'] as const;

/** Per arm and session metric: the values in force for the sessions' first arms, read for those sessions alone. */
async function outcomes(db: SqlRunner, d: Dialect, filter: RowFilter, experimentId: string): Promise<OutcomeSums[]> {
  const metrics = OUTCOME_METRICS.map((m) => `'${m}'`);
  const latest = firstPer(
    d,
    [
      ['f.key', 'key'],
      ['f.metric', 'metric'],
      ['f.value', 'value'],
    ],
    'f.key, f.metric',
    'f.event_time DESC, f.seq DESC',
    `FROM feedback f WHERE f.scope = 'session' AND f.metric IN (${metrics.join(', ')}) AND f.key IN (SELECT session_id FROM first_arm)`,
  );
  const rows = await db.query<Row>(
    `WITH first_arm AS (${firstArm(d, `(SELECT o.session_id, o.arm, o.time, o.seq FROM observations o WHERE ${EXPERIMENT_ROWS})`)}),
      latest AS (${latest}),
      m AS (SELECT ${metrics[0]} AS metric UNION ALL ${metrics
        .slice(1)
        .map((m) => `SELECT ${m}`)
        .join(' UNION ALL ')})
    SELECT s.arm AS arm, m.metric AS metric, COUNT(fl.value) AS n, SUM(fl.value) AS sum, SUM(fl.value * fl.value) AS sum_sq
    FROM first_arm s CROSS JOIN m LEFT JOIN latest fl ON fl.key = s.session_id AND fl.metric = m.metric
    GROUP BY s.arm, m.metric`,
    [filter.since, experimentId],
  );
  return rows.map((r) => ({
    arm: String(r.arm),
    metric: String(r.metric) as OutcomeSums['metric'],
    n: num(r.n),
    sum: num(r.sum),
    sumSq: num(r.sum_sq),
  }));
}

async function assignments(
  db: SqlRunner,
  d: Dialect,
  filter: RowFilter,
  experimentId: string,
  boundaries: readonly number[],
): Promise<AssignmentCounts[]> {
  const present = await db.query<Row>(`SELECT 1 AS x FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'observations' AND column_name = 'expected_share'`);
  const [version, share] =
    present.length > 0 ? ['o.config_version', 'o.expected_share'] : ['CAST(NULL AS BIGINT)', 'CAST(NULL AS DOUBLE PRECISION)'];
  const firsts = firstPer(
    d,
    [
      ['o.arm', 'arm'],
      [version, 'config_version'],
      [share, 'expected_share'],
      ['o.time', 'time'],
    ],
    'o.session_id',
    'o.time, o.seq',
    `FROM observations o WHERE ${EXPERIMENT_ROWS} AND o.arm IN ('control', 'treatment')`,
  );
  const rows = await db.query<Row>(
    `WITH firsts AS (${firsts})
    SELECT arm, config_version, expected_share, period, COUNT(*) AS sessions
    FROM (SELECT arm, config_version, expected_share, ${periodExpression('time', boundaries)} AS period FROM firsts) f
    GROUP BY arm, config_version, expected_share, period`,
    [filter.since, experimentId],
  );
  return assignmentCountsOf(rows);
}

/**
 * The analysis source over the warehouse tables: PostgreSQL's own SQL by default, the subset Redshift accepts with
 * `redshift` (the same figures; `openAnalysisSource` asks the server which it is).
 */
export function postgresAnalysisSource(
  db: SqlRunner,
  close: () => Promise<void> = async () => {},
  { redshift = false }: { redshift?: boolean } = {},
): AnalysisSource {
  const d: Dialect = { redshift };
  return {
    kind: 'postgres',
    cells: (filter, gates, defaultGate) => cells(db, d, filter, gates, defaultGate),
    percentiles: sharedPercentiles(db, d),
    experimentIds: (filter) => experimentIds(db, filter),
    arms: (filter, id) => arms(db, d, filter, id),
    outcomes: (filter, id) => outcomes(db, d, filter, id),
    assignments: (filter, id, boundaries) => assignments(db, d, filter, id, boundaries),
    close,
  };
}
