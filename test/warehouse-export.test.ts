import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteEvalStore, type EvalResult } from '../analysis/eval/store.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { MIGRATIONS } from '../stores/warehouse/migrations.ts';
import { EXPORT_TABLES, toWarehouseValue } from '../stores/warehouse/tables.ts';
import { writeSimulatedRows } from './analysis-rows.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, ensureEvalResults, PG_URL, postgresMissing, testSchema, writeEvalResults } from './warehouse-support.ts';

const missing = await postgresMissing();
const BATCH = 1_000;
let dir: string;
let db: Database.Database;
const drops: (() => Promise<void>)[] = [];
const open: Warehouse[] = [];

async function schema(prefix: string): Promise<Warehouse> {
  const s = testSchema(prefix);
  drops.push(s.drop);
  const wh = await connectTest(s.schema);
  open.push(wh);
  return wh;
}

/** Counts, integer sums (exact) and float sums per table, in the embedded store and in the warehouse. */
const CHECKS: Record<string, { exact: string[]; float: string[] }> = {
  observations: {
    exact: [
      'COUNT(*)',
      'COUNT(session_id)',
      'COUNT(cost_usd)',
      'COUNT(ttft_ms)',
      'SUM(input_tokens)',
      'SUM(output_tokens)',
      'SUM(status)',
      'SUM(time)',
      'SUM(seq)',
    ],
    float: ['SUM(cost_usd)', 'SUM(latency_ms)', 'SUM(ttft_ms)'],
  },
  feedback: { exact: ['COUNT(*)', 'SUM(seq)', 'SUM(event_time)', 'COUNT(idempotency_key)'], float: ['SUM(value)', 'SUM(value * value)'] },
  eval_results: {
    exact: ['COUNT(*)', 'COUNT(quality)', 'COUNT(request_id)', 'SUM(input_tokens)', 'SUM(seq)'],
    float: ['SUM(quality)', 'SUM(cost_usd)', 'SUM(latency_ms)'],
  },
};

async function expectSameTotals(wh: Warehouse): Promise<void> {
  for (const [table, c] of Object.entries(CHECKS)) {
    const exprs = [...c.exact, ...c.float];
    const local = db
      .prepare(`SELECT ${exprs.join(', ')} FROM ${table}`)
      .raw()
      .get() as number[];
    const [remote] = await wh.query<Record<string, unknown>>(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')} FROM ${table}`);
    exprs.forEach((e, i) => {
      const [a, b] = [Number(local[i] ?? 0), Number(remote![`c${i}`] ?? 0)];
      if (i < c.exact.length) expect(b, `${table} ${e}`).toBe(a);
      else expect(Math.abs(a - b) / Math.max(1e-300, Math.abs(a)), `${table} ${e}`).toBeLessThan(1e-12);
    });
  }
}

async function expectNoDuplicates(wh: Warehouse): Promise<void> {
  for (const [table, key] of [
    ['observations', 'seq'],
    ['observations', 'request_id'],
    ['feedback', 'seq'],
    ['feedback', 'event_id'],
    ['eval_results', 'seq'],
  ]) {
    expect(await wh.query(`SELECT ${key} FROM ${table} GROUP BY ${key} HAVING COUNT(*) > 1`), `${table}.${key}`).toEqual([]);
  }
}

beforeAll(() => {
  if (missing) return;
  dir = tempDir('warehouse-export-');
  db = openDatabase(join(dir, 'gateway.db'));
  writeSimulatedRows(db, {
    sessions: 2_500,
    requestsPerSession: 2,
    seed: 11,
    configs: () => ['sonnet-35-v2', 'haiku-35'],
    nonLiveShare: 0.1,
    errorRate: 0.02,
  });
  ensureEvalResults(db);
  writeEvalResults(db, 'run-1', 1_200);
});

afterAll(async () => {
  for (const wh of open) await wh.close().catch(() => {});
  for (const drop of drops) await drop();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('export from the embedded store into PostgreSQL', () => {
  it('copies every row and value of observations, feedback and eval_results; a second export adds nothing', async () => {
    const wh = await schema('wh_export');
    const first = await exportToWarehouse(db, wh, { batchSize: BATCH });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.migrated).toEqual(MIGRATIONS.map((m) => m.version));
    const observations = (db.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n;
    expect(first.tables.map((t) => [t.table, t.present, t.rows, t.batches])).toEqual([
      ['observations', true, observations, Math.ceil(observations / BATCH)],
      ['feedback', true, expect.any(Number), expect.any(Number)],
      ['eval_results', true, 1_200, 2],
    ]);
    await expectSameTotals(wh);
    for (const table of EXPORT_TABLES) {
      // replica_id is the export's (the store's feedback and results have none; its observations none set here).
      expect(await wh.query(`SELECT DISTINCT replica_id FROM ${table.name}`)).toEqual([{ replica_id: first.replica }]);
      const names = table.columns.map((c) => c.name).filter((n) => n !== 'replica_id');
      const local = db
        .prepare(`SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM ${table.name} ORDER BY seq`)
        .raw()
        .all() as unknown[][];
      const remote = await wh.query<Record<string, unknown>>(`SELECT ${names.join(', ')} FROM ${table.name} ORDER BY seq`);
      expect(remote.map((r) => names.map((n) => r[n]))).toEqual(
        local.map((row) => row.map((v, i) => toWarehouseValue(table.columns[i]!.kind, v))),
      );
    }

    const second = await exportToWarehouse(db, wh, { batchSize: BATCH });
    expect(second.ok && second.tables.map((t) => t.rows)).toEqual([0, 0, 0]);
    expect(second.ok && second.migrated).toEqual([]);
    await expectSameTotals(wh);

    writeSimulatedRows(db, { sessions: 150, requestsPerSession: 2, seed: 12, configs: () => ['haiku-35'] });
    const third = await exportToWarehouse(db, wh, { batchSize: BATCH });
    expect(third.ok && third.tables[0]!.rows).toBe(300);
    expect(third.ok && third.tables[0]!.lastSeq).toBe(observations + 300);
    await expectSameTotals(wh);
    await expectNoDuplicates(wh);
  });

  it('ends complete with no duplicates when an export fails half-way and is rerun', async () => {
    const wh = await schema('wh_resume');
    const failed = await exportToWarehouse(db, wh, {
      batchSize: BATCH,
      beforeCommit: (p) => {
        if (p.table === 'observations' && p.batch === 3) throw new Error('injected failure');
      },
    });
    expect(failed).toMatchObject({ ok: false, error: 'injected failure' });
    expect(await wh.query('SELECT COUNT(*) AS n FROM observations')).toEqual([{ n: 2 * BATCH }]);
    expect(await wh.query('SELECT COUNT(*) AS n FROM feedback')).toEqual([{ n: 0 }]);
    const marks = await wh.query<{ last_seq: number }>(`SELECT last_seq FROM export_state WHERE table_name = 'observations'`);
    expect(marks).toEqual([{ last_seq: (await wh.query<{ m: number }>('SELECT MAX(seq) AS m FROM observations'))[0]!.m }]);

    const rerun = await exportToWarehouse(db, wh, { batchSize: BATCH });
    expect(rerun.ok).toBe(true);
    await expectSameTotals(wh);
    await expectNoDuplicates(wh);
  });

  it('rolls back the batch whose connection is killed before commit, and a rerun completes it', async () => {
    const s = testSchema('wh_kill');
    drops.push(s.drop);
    const wh = await connectTest(s.schema);
    const [{ pid }] = (await wh.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    const killed = await exportToWarehouse(db, wh, {
      batchSize: BATCH,
      beforeCommit: async (p) => {
        if (p.table !== 'feedback' || p.batch !== 2) return;
        const killer = new pg.Client({ connectionString: PG_URL });
        await killer.connect();
        await killer.query('SELECT pg_terminate_backend($1)', [pid]);
        await killer.end();
      },
    });
    expect(killed.ok).toBe(false);
    await wh.close().catch(() => {});
    const again = await connectTest(s.schema);
    open.push(again);
    expect(await again.query(`SELECT COUNT(*) AS n FROM feedback`)).toEqual([{ n: BATCH }]);
    const rerun = await exportToWarehouse(db, again, { batchSize: BATCH });
    expect(rerun.ok).toBe(true);
    await expectSameTotals(again);
    await expectNoDuplicates(again);
  });

  it('skips eval_results quietly when the embedded store has no such table', async () => {
    const bare = openDatabase(join(dir, 'bare.db'));
    bare.exec('DROP TABLE IF EXISTS eval_results');
    sqliteRecordStore(bare).write({
      observations: [],
      feedback: [
        { eventId: 'e1', receivedAt: 1, scope: 'session', key: 's', metric: 'cart_add', value: 1, idempotencyKey: null, eventTime: 1 },
      ],
    });
    const wh = await schema('wh_bare');
    const result = await exportToWarehouse(bare, wh);
    bare.close();
    expect(result.ok && result.tables.map((t) => [t.table, t.present, t.rows])).toEqual([
      ['observations', true, 0],
      ['feedback', true, 1],
      ['eval_results', false, 0],
    ]);
    expect(await wh.query('SELECT COUNT(*) AS n FROM eval_results')).toEqual([{ n: 0 }]);
  });

  it('replaces a rerun result in the warehouse: the failed row goes, the new one is copied', async () => {
    const local = openDatabase(join(dir, 'rerun.db'));
    const store = sqliteEvalStore(local);
    const base: EvalResult = {
      runId: 'rerun',
      dataset: 'golden',
      testId: 't1',
      intent: 'faq',
      configId: 'haiku-35',
      requestId: null,
      status: 'error',
      errorCode: 'ThrottlingException',
      quality: null,
      passed: null,
      dimensions: null,
      judge: null,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: null,
      latencyMs: 12,
      ttftMs: null,
      time: 1_700_000_000_000,
    };
    store.save(base);
    store.save({
      ...base,
      testId: 't2',
      status: 'ok',
      errorCode: null,
      requestId: 'r2',
      quality: 0.8,
      passed: true,
      dimensions: { relevance: 0.8, factual_accuracy: 0.8, completeness: 0.8, format: 1, policy_safety: 1 },
      inputTokens: 10,
      outputTokens: 5,
    });
    const wh = await schema('wh_rerun');
    const first = await exportToWarehouse(local, wh);
    expect(first.ok && first.tables[2]!.rows).toBe(2);

    store.save({
      ...base,
      status: 'ok',
      errorCode: null,
      requestId: 'r1',
      quality: 0.9,
      passed: true,
      dimensions: { relevance: 0.9, factual_accuracy: 0.9, completeness: 0.9, format: 1, policy_safety: 1 },
      inputTokens: 11,
      outputTokens: 6,
      time: base.time + 1,
    });
    const second = await exportToWarehouse(local, wh);
    expect(second.ok && second.tables[2]!.rows).toBe(1);
    const rows = await wh.query<{ test_id: string; status: string; request_id: string | null; seq: string }>(
      'SELECT test_id, status, request_id, seq FROM eval_results ORDER BY test_id',
    );
    const localRows = local.prepare('SELECT test_id, status, request_id, seq FROM eval_results ORDER BY test_id').all() as {
      seq: number;
    }[];
    local.close();
    expect(rows.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual(localRows);
    expect(rows.map((r) => [r.test_id, r.status])).toEqual([
      ['t1', 'ok'],
      ['t2', 'ok'],
    ]);
    expect(Number(rows[0]!.seq)).toBeGreaterThan(Number(rows[1]!.seq));
  });
});
