import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Observation } from '../../schema/observation.ts';
import { experimentObservation } from '../../test/support/observations.ts';
import { MIGRATIONS, openDatabase } from '../sqlite/database.ts';
import { DurableSink } from './durable.ts';
import type { RecordStore } from './interface.ts';
import { SpillFile } from './spill.ts';
import { readObservations, sqliteRecordStore } from './sqlite.ts';

/** An observation of experiment e1 routed under configuration version 7, with its arm's share. */
function routed(i: number, over: Partial<Observation> = {}): Observation {
  return experimentObservation(i, { route: 'r', intent: 'faq', configVersion: 7, expectedShare: i % 2 ? 0.3 : 0.7, ...over });
}

const tempPath = (name: string): string => join(mkdtempSync(join(tmpdir(), 'assign-')), name);

describe('assignment fields on the SQLite observation store', () => {
  it('stores and reads back the configuration version and the expected share, null included', () => {
    const db = openDatabase(tempPath('gateway.db'));
    const rows = [routed(1), routed(2), routed(3, { configVersion: null, expectedShare: null, arm: 'default', experimentId: null })];
    sqliteRecordStore(db).write({ observations: rows, feedback: [] });
    const back = readObservations(db);
    expect(back.map((r) => [r.configVersion, r.expectedShare])).toEqual([
      [7, 0.3],
      [7, 0.7],
      [null, null],
    ]);
    for (const r of back) expect(Observation.parse(r)).toMatchObject(rows.find((o) => o.requestId === r.requestId)!);
    db.close();
  });

  it('stores a row without the fields (written by an older gateway) as NULL', () => {
    const db = openDatabase(tempPath('gateway.db'));
    const { configVersion: _v, expectedShare: _s, ...old } = routed(1);
    expect(Observation.safeParse(old).success).toBe(true);
    sqliteRecordStore(db).write({ observations: [old], feedback: [] });
    expect(readObservations(db)[0]).toMatchObject({ requestId: 'req-1', configVersion: null, expectedShare: null });
    db.close();
  });

  it('migrates a database of the previous schema: old rows get NULL, new rows keep their values', () => {
    const path = tempPath('gateway.db');
    const old = new Database(path);
    for (const [i, sql] of MIGRATIONS.slice(0, 3).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${i + 1}`);
    }
    old
      .prepare(`INSERT INTO observations (request_id, time, route, intent, session_id, traffic, experiment_id, canary_id, arm, config_id,
      upstream_model, operation, streamed, status, error_code, input_tokens, output_tokens, cost_usd, ttft_ms, latency_ms, overhead_ms)
      VALUES ('old-1', 1, 'r', 'faq', 's', 'live', 'e1', NULL, 'control', 'c', 'm', 'converse', 0, 200, NULL, 1, 2, 0.1, 5, 5, 0.1)`)
      .run();
    old.close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    // The session-id index of the first schema is dropped (it cost every write about as much as the row itself).
    const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'observations'`).pluck().all();
    expect(indexes).not.toContain('observations_session');
    expect(indexes).toContain('observations_time');
    sqliteRecordStore(db).write({ observations: [routed(2)], feedback: [] });
    const back = readObservations(db);
    expect(back.map((r) => [r.requestId, r.configVersion, r.expectedShare])).toEqual([
      ['old-1', null, null],
      ['req-2', 7, 0.7],
    ]);
    db.close();
  });

  it('keeps the fields through the spill file and its replay', async () => {
    const db = openDatabase(tempPath('gateway.db'));
    const spill = new SpillFile(tempPath('spill.jsonl'));
    const down: RecordStore = {
      write: () => {
        throw new Error('store down');
      },
      probe: () => {
        throw new Error('store down');
      },
    };
    const during = new DurableSink(down, spill);
    during.record(routed(1));
    during.record(routed(2, { configVersion: null, expectedShare: null }));
    await during.flush();
    during.close();
    expect(
      spill
        .read()
        .batches.flatMap((b) => b.observations)
        .map((o) => o.configVersion),
    ).toEqual([7, null]);
    const after = new DurableSink(sqliteRecordStore(db), spill);
    await after.flush();
    expect(readObservations(db).map((r) => [r.requestId, r.configVersion, r.expectedShare])).toEqual([
      ['req-1', 7, 0.3],
      ['req-2', null, null],
    ]);
    after.close();
    db.close();
  });
});
