import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { runAnalysis } from '../analysis/report/build.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { GatewayConfig } from '../schema/config.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import { logObservation } from '../stores/observations/log-contract.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { writeExperimentRows, writeSimulatedRows } from './analysis-rows.ts';
import { expectClose } from './support/close.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
const BATCH = 700;
let dir: string;
/** Every row of the fleet in one store: what the analysis over the warehouse must equal. */
let union: Database.Database;
/** Two replicas' stores, each with half the rows, numbered from seq 1 (so their seqs overlap). */
const replicas: Record<'replica-a' | 'replica-b', Database.Database> = {} as never;
const drops: (() => Promise<void>)[] = [];
const open: Warehouse[] = [];

async function schema(prefix: string): Promise<Warehouse> {
  const s = testSchema(prefix);
  drops.push(s.drop);
  const wh = await connectTest(s.schema);
  open.push(wh);
  return wh;
}

/** Copies the union's rows with `seq % 2 = parity` into `target`, renumbered from 1 as a replica's own store numbers them. */
function splitInto(target: Database.Database, parity: 0 | 1): void {
  target.exec(`ATTACH DATABASE '${join(dir, 'union.db')}' AS src`);
  for (const table of ['observations', 'feedback']) {
    const cols = (target.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[])
      .map((c) => `"${c.name}"`)
      .filter((c) => c !== '"seq"')
      .join(', ');
    target.exec(`INSERT INTO main.${table} (${cols}) SELECT ${cols} FROM src.${table} WHERE seq % 2 = ${parity} ORDER BY seq`);
  }
  target.exec('DETACH DATABASE src');
}

const count = async (wh: Warehouse, sql: string): Promise<number> => Number((await wh.query<{ n: number }>(sql))[0]!.n);

beforeAll(() => {
  if (missing) return;
  dir = tempDir('warehouse-replicas-');
  union = openDatabase(join(dir, 'union.db'));
  writeSimulatedRows(union, {
    sessions: 600,
    requestsPerSession: 2,
    seed: 41,
    errorRate: 0.02,
    configs: () => ['sonnet-35-v2', 'haiku-35'],
  });
  writeExperimentRows(union, {
    sessions: 400,
    sessionSd: 0.05,
    cartAdd: [0.12, 0.2],
    escalated: [0.05, 0.04],
    experimentId: 'sonnet3-to-v2',
    intent: 'recommendation',
    control: 'sonnet-3',
    treatment: 'sonnet-35-v2',
    treatmentShare: 0.5,
    seed: 42,
  });
  replicas['replica-a'] = openDatabase(join(dir, 'a.db'));
  replicas['replica-b'] = openDatabase(join(dir, 'b.db'));
  splitInto(replicas['replica-a'], 1);
  splitInto(replicas['replica-b'], 0);
});

afterAll(async () => {
  for (const wh of open) await wh.close().catch(() => {});
  for (const drop of drops) await drop();
  for (const db of [union, ...Object.values(replicas)]) db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('many replicas exported into one warehouse schema', () => {
  it('keys rows by (replica, seq) with one mark per replica: overlapping seqs collide nowhere, a rerun copies nothing', async () => {
    const wh = await schema('wh_replicas');
    for (const [replica, db] of Object.entries(replicas)) {
      const result = await exportToWarehouse(db, wh, { replica, batchSize: BATCH });
      expect(result.ok && result.replica).toBe(replica);
    }
    const local = (db: Database.Database, table: string): number =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    for (const table of ['observations', 'feedback']) {
      expect(await count(wh, `SELECT COUNT(*) AS n FROM ${table}`)).toBe(local(union, table));
      // Both stores number from 1: the same seq exists under both replicas, and is kept under each.
      expect(await count(wh, `SELECT COUNT(*) AS n FROM (SELECT seq FROM ${table} GROUP BY seq HAVING COUNT(*) = 2) t`)).toBeGreaterThan(
        100,
      );
      expect(await wh.query(`SELECT replica_id, seq FROM ${table} GROUP BY replica_id, seq HAVING COUNT(*) > 1`)).toEqual([]);
    }
    expect(await wh.query('SELECT request_id FROM observations GROUP BY request_id HAVING COUNT(*) > 1')).toEqual([]);
    const marks = await wh.query<{ table_name: string; replica_id: string; last_seq: number }>(
      'SELECT table_name, replica_id, last_seq FROM export_state ORDER BY table_name, replica_id',
    );
    expect(marks).toEqual(
      ['feedback', 'observations'].flatMap((table) =>
        Object.entries(replicas).map(([replica, db]) => ({ table_name: table, replica_id: replica, last_seq: local(db, table) })),
      ),
    );

    for (const [replica, db] of Object.entries(replicas)) {
      const rerun = await exportToWarehouse(db, wh, { replica, batchSize: BATCH });
      expect(rerun.ok && rerun.tables.map((t) => t.rows)).toEqual([0, 0, 0]);
    }
    expect(await count(wh, 'SELECT COUNT(*) AS n FROM observations')).toBe(local(union, 'observations'));

    // A replica's new rows continue from its own mark; the other replica's rows stay as they are. (The union
    // gets the same rows, so that it stays the union for the tests after this one.)
    const newRows = { sessions: 20, requestsPerSession: 2, seed: 43, configs: () => ['haiku-35'] };
    writeSimulatedRows(replicas['replica-b'], newRows);
    writeSimulatedRows(union, newRows);
    const more = await exportToWarehouse(replicas['replica-b'], wh, { replica: 'replica-b', batchSize: BATCH });
    expect(more.ok && more.tables[0]!.rows).toBe(40);
    expect(await count(wh, `SELECT COUNT(*) AS n FROM observations WHERE replica_id = 'replica-b'`)).toBe(
      local(replicas['replica-b'], 'observations'),
    );
    expect(await count(wh, `SELECT COUNT(*) AS n FROM observations WHERE replica_id = 'replica-a'`)).toBe(
      local(replicas['replica-a'], 'observations'),
    );
  });

  it('gives the analysis of the union of the replicas: same counts and quantiles exactly, statistics to 1e-9', async () => {
    const wh = await schema('wh_replicas_analysis');
    for (const [replica, db] of Object.entries(replicas))
      expect((await exportToWarehouse(db, wh, { replica, batchSize: BATCH })).ok).toBe(true);
    const config = GatewayConfig.parse({
      ...(JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as object),
      experiments: [
        { id: 'sonnet3-to-v2', route: 'mangaassist', intent: 'recommendation', control: 'sonnet-3', treatment: 'sonnet-35-v2', split: 0.5 },
      ],
    });
    const settings = AnalysisSettings.parse({});
    const [a, b] = [
      await runAnalysis({ source: sqliteAnalysisSource(union), config, settings }),
      await runAnalysis({ source: postgresAnalysisSource(wh), config, settings }),
    ];
    expect(a.liveRequests).toBeGreaterThan(1_500);
    expect(b.liveRequests).toBe(a.liveRequests);
    expect(b.intents.map((r) => [r.intent, r.configId, r.requests, r.scored, r.latencyMs, r.ttftMs])).toEqual(
      a.intents.map((r) => [r.intent, r.configId, r.requests, r.scored, r.latencyMs, r.ttftMs]),
    );
    expect(a.experiments).toHaveLength(1);
    expect(b.experiments.map((e) => e.arms.map((x) => [x.sessions, x.requests, x.scored]))).toEqual(
      a.experiments.map((e) => e.arms.map((x) => [x.sessions, x.requests, x.scored])),
    );
    expectClose({ ...a, generatedAt: '' }, { ...b, generatedAt: '' });
  });

  it('adopts rows exported before replica ids when they are its store`s, and refuses another store`s', async () => {
    const wh = await schema('wh_replicas_legacy');
    expect((await exportToWarehouse(replicas['replica-a'], wh, { replica: 'legacy' })).ok).toBe(true);
    for (const table of ['observations', 'feedback', 'export_state']) await wh.query(`UPDATE ${table} SET replica_id = NULL`);

    const other = await exportToWarehouse(replicas['replica-b'], wh, { replica: 'replica-b' });
    expect(other).toMatchObject({
      ok: false,
      error: expect.stringMatching(/observations: the rows exported before replica ids .* are not this store's/),
    });
    expect(await count(wh, `SELECT COUNT(*) AS n FROM observations WHERE replica_id IS NOT NULL`)).toBe(0);

    const own = await exportToWarehouse(replicas['replica-a'], wh, { replica: 'replica-a' });
    expect(own.ok && own.tables.map((t) => t.rows)).toEqual([0, 0, 0]);
    expect(await wh.query('SELECT DISTINCT replica_id FROM observations')).toEqual([{ replica_id: 'replica-a' }]);
    expect(await wh.query(`SELECT DISTINCT replica_id FROM export_state WHERE table_name <> 'eval_results'`)).toEqual([
      { replica_id: 'replica-a' },
    ]);
    expect((await exportToWarehouse(replicas['replica-b'], wh, { replica: 'replica-b' })).ok).toBe(true);
    expect(await count(wh, 'SELECT COUNT(*) AS n FROM observations')).toBe(
      (union.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n,
    );
  });

  it('defaults the replica to the first observation`s id, so a gateway restart (a new host:pid) copies nothing twice', async () => {
    const wh = await schema('wh_replicas_restart');
    const db = openDatabase(join(dir, 'restarted.db'));
    const store = sqliteRecordStore(db);
    const feedback = (i: number): FeedbackRecord => ({
      eventId: `restart-fb-${i}`,
      receivedAt: 1_000 + i,
      scope: 'request',
      key: `req-${i}`,
      metric: 'quality_score',
      value: 0.5,
      idempotencyKey: null,
      eventTime: 1_000 + i,
    });
    const write = (ids: number[], replicaId: string) =>
      store.write({ observations: ids.map((i) => logObservation(i, { replicaId })), feedback: ids.map(feedback) });
    await write([1, 2, 3], 'host-r:101');
    expect(await exportToWarehouse(db, wh)).toMatchObject({ ok: true, replica: 'host-r:101' });
    // The gateway restarts: its new rows carry a new default replica id.
    await write([4, 5], 'host-r:202');
    expect(await exportToWarehouse(db, wh)).toMatchObject({ ok: true, replica: 'host-r:101' });
    expect(await count(wh, 'SELECT COUNT(*) AS n FROM feedback')).toBe(5);
    expect(await count(wh, 'SELECT COUNT(*) AS n FROM observations')).toBe(5);
    db.close();
  });
});
