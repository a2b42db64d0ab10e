import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assignmentSrm, historyBoundaries } from '../analysis/assignment-check.ts';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { migrate, MIGRATIONS } from '../stores/warehouse/migrations.ts';
import { writeExperimentRows } from './analysis-rows.ts';
import { tempDir } from './support/gateway.ts';
import { experimentObservation } from './support/observations.ts';
import { connectTest, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
const drops: (() => Promise<void>)[] = [];
const open: Warehouse[] = [];

afterAll(async () => {
  for (const wh of open) await wh.close().catch(() => {});
  for (const drop of drops) await drop();
});

const row = experimentObservation;

describe.skipIf(missing !== null)('assignment fields in the warehouse (PostgreSQL)', () => {
  it('migrates a warehouse of the previous schema (old rows NULL) and exports the fields of new rows', async () => {
    const s = testSchema('wh_assign');
    drops.push(s.drop);
    const wh = await connectTest(s.schema);
    open.push(wh);
    expect(await migrate(wh, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    await wh.query(`INSERT INTO observations (seq, request_id, time, route, intent, session_id, traffic, experiment_id, canary_id, arm, config_id,
      upstream_model, operation, streamed, status, error_code, input_tokens, output_tokens, cost_usd, ttft_ms, latency_ms, overhead_ms)
      VALUES (0, 'old-0', 1, 'mangaassist', 'recommendation', 's-old', 'live', 'e1', NULL, 'control', 'c', 'm', 'converse', false, 200, NULL,
      1, 2, 0.1, 5, 5, 0.1)`);

    const db = openDatabase(join(tempDir('wh-assign-'), 'gateway.db'));
    sqliteRecordStore(db).write({ observations: [row(1), row(2), row(3, { configVersion: null, expectedShare: null })], feedback: [] });
    const result = await exportToWarehouse(db, wh);
    db.close();
    expect(result.ok && result.migrated).toEqual([3, 4, 5]);
    const back = await wh.query<Record<string, unknown>>(
      'SELECT request_id, config_version, expected_share FROM observations ORDER BY seq',
    );
    expect(back.map((r) => [r.request_id, r.config_version, r.expected_share])).toEqual([
      ['old-0', null, null],
      ['req-1', 12, 0.25],
      ['req-2', 12, 0.75],
      ['req-3', null, null],
    ]);
  });

  it('counts the first assignment of each session as the embedded store does, with and without recorded shares', async () => {
    const s = testSchema('wh_assign_src');
    drops.push(s.drop);
    const wh = await connectTest(s.schema);
    open.push(wh);
    const db = openDatabase(join(tempDir('wh-assign-src-'), 'gateway.db'));
    const T1 = 1_700_000_000_000;
    const T2 = T1 + 3_600_000;
    const common = {
      intent: 'faq',
      control: 'sonnet-35-v1',
      treatment: 'sonnet-35-v2',
      treatmentShare: 0,
      sessions: 1_200,
      sessionSd: 0.05,
      cartAdd: [0.1, 0.1] as [number, number],
      escalated: [0.05, 0.05] as [number, number],
    };
    const periods = (version: number | null) => [
      { fromSession: 0, treatmentShare: 0.1, time: T1, configVersion: version },
      { fromSession: 600, treatmentShare: 0.5, time: T2, configVersion: version && version + 1 },
    ];
    writeExperimentRows(db, { ...common, experimentId: 'recorded', seed: 1, periods: periods(8) });
    writeExperimentRows(db, { ...common, experimentId: 'legacy', seed: 2, periods: periods(null) });
    const exported = await exportToWarehouse(db, wh);
    expect(exported.ok).toBe(true);
    const [lite, post] = [sqliteAnalysisSource(db), postgresAnalysisSource(wh)];
    const history = [
      { version: 1, time: T1 - 1, split: 0.1 },
      { version: 9, time: T2, split: 0.5 },
    ];
    const bounds = historyBoundaries(history);
    for (const id of ['recorded', 'legacy']) {
      for (const since of [0, T1 + 300]) {
        const [a, b] = [await lite.assignments({ since }, id, bounds), await post.assignments({ since }, id, bounds)];
        expect(b, `${id} since ${since}`).toEqual(a);
        expect(a.reduce((n, c) => n + c.sessions, 0)).toBeGreaterThan(0);
        expect(assignmentSrm(b, history, 0.5, 0.001)).toEqual(assignmentSrm(a, history, 0.5, 0.001));
      }
    }
    const recorded = await post.assignments({ since: 0 }, 'recorded', bounds);
    expect(new Set(recorded.map((c) => `${c.configVersion}/${c.period}`))).toEqual(new Set(['8/1', '9/2']));
    expect(assignmentSrm(recorded, [], null, 0.001)!.periods.map((p) => p.treatmentShare)).toEqual([0.1, 0.5]);
    const legacy = await post.assignments({ since: 0 }, 'legacy', bounds);
    expect(legacy.every((c) => c.configVersion === null && c.expectedShare === null)).toBe(true);
    expect(assignmentSrm(legacy, history, 0.5, 0.001)!.periods.map((p) => p.source)).toEqual(['history', 'history']);
    db.close();
  });

  it('keeps a session that changes arms (a split change) in its first arm on both sources, its later requests left out', async () => {
    const s = testSchema('wh_first_arm');
    drops.push(s.drop);
    const wh = await connectTest(s.schema);
    open.push(wh);
    const db = openDatabase(join(tempDir('wh-first-arm-'), 'gateway.db'));
    const session = (i: number, sessionId: string, arm: 'control' | 'treatment', costUsd: number) =>
      row(i, { sessionId, arm, configId: arm === 'control' ? 'c-control' : 'c-treatment', costUsd });
    // s-moved starts in control and, after the split grew, returns in treatment; s-t and s-c never move.
    sqliteRecordStore(db).write({
      observations: [
        session(1, 's-moved', 'control', 1),
        session(2, 's-t', 'treatment', 10),
        session(3, 's-c', 'control', 100),
        session(4, 's-moved', 'treatment', 1000),
        session(5, 's-moved', 'treatment', 10000),
      ],
      feedback: [],
    });
    expect((await exportToWarehouse(db, wh)).ok).toBe(true);
    for (const source of [sqliteAnalysisSource(db), postgresAnalysisSource(wh)]) {
      const arms = await source.arms({ since: 0 }, 'e1');
      const of = (arm: string) => arms.find((a) => a.arm === arm)!;
      expect([of('control').session.sessions, of('control').requests, of('control').costUsd], source.kind).toEqual([2, 2, 101]);
      expect([of('treatment').session.sessions, of('treatment').requests, of('treatment').costUsd], source.kind).toEqual([1, 1, 10]);
      expect(of('treatment').configId).toBe('c-treatment');
      const outcomes = await source.outcomes({ since: 0 }, 'e1');
      expect(outcomes.filter((o) => o.metric === 'cart_add').map((o) => [o.arm, o.n])).toEqual(
        expect.arrayContaining([
          ['control', 0],
          ['treatment', 0],
        ]),
      );
    }
    db.close();
  });
});
