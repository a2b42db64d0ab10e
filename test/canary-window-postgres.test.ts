import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyArm } from '../admin/canary/gates.ts';
import { postgresWindowSource, queryWindowPostgres } from '../admin/canary/window-source-postgres.ts';
import { queryWindow } from '../admin/canary/window-source-sqlite.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { expectSameFigures, randomWindow, referenceFigures } from './support/canary-windows.ts';
import { connectTest, PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
const s = testSchema('canary_window');
let wh: Warehouse;

/** Copies a random window's SQLite store into the test schema (the warehouse layout is the log's), replacing what was there. */
async function intoPostgres(seed: number, exact: boolean) {
  const window = await randomWindow(seed, exact);
  await wh.query('DROP TABLE IF EXISTS observations, feedback, eval_results, export_state, schema_migrations CASCADE');
  const exported = await exportToWarehouse(window.db, wh, { replica: 'window-test' });
  if (!exported.ok) throw new Error(exported.error);
  return window;
}

describe.skipIf(missing !== null)('PostgreSQL window source', () => {
  beforeAll(async () => {
    wh = await connectTest(s.schema);
  });
  afterAll(async () => {
    await wh?.close();
    await s.drop();
  });

  it('returns exactly the row-by-row figures (and the SQLite source figures) on random windows of binary-fraction values', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { db, query } = await intoPostgres(seed, true);
      const expected = referenceFigures(db, query);
      expect(expected.candidate.figures.requests).toBeGreaterThan(50);
      expect(await queryWindowPostgres(wh, query)).toEqual(expected);
      expect(queryWindow(db, query)).toEqual(expected);
      db.close();
    }
  });

  it('returns the same counts and order statistics, and the same sums to 1e-12, on random windows of decimal values', async () => {
    for (let seed = 201; seed <= 206; seed++) {
      const { db, query } = await intoPostgres(seed, false);
      expectSameFigures(await queryWindowPostgres(wh, query), referenceFigures(db, query));
      db.close();
    }
  });

  it('reads through its own connection in one snapshot, and returns empty arms for a window without traffic', async () => {
    const { db, query } = await intoPostgres(9, true);
    const source = postgresWindowSource({ url: PG_URL, schema: s.schema });
    const read = await source.figures(query);
    const empty = await source.figures({ ...query, from: 50_000, to: 60_000 });
    await source.close();
    expect(read).toEqual({ ok: true, value: referenceFigures(db, query) });
    expect(empty).toEqual({ ok: true, value: { candidate: emptyArm(), baseline: emptyArm() } });
    db.close();
  });

  it('reports a schema without the log tables, and an unreachable server, as values', async () => {
    const bare = testSchema('canary_window_bare');
    const source = postgresWindowSource({ url: PG_URL, schema: bare.schema });
    const result = await source.figures({ canaryId: 'k', from: 0, to: 1 });
    await source.close();
    await bare.drop();
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/observation log unreadable: .*observations/) });
    const down = postgresWindowSource({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'x' });
    expect(await down.figures({ canaryId: 'k', from: 0, to: 1 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('127.0.0.1:1'),
    });
    await down.close();
  });

  it('fails a read that waits too long (here for a lock) as a value, and reads again once it is gone', { timeout: 30_000 }, async () => {
    const { db, query } = await intoPostgres(9, true);
    const blocker = await connectTest(s.schema);
    const source = postgresWindowSource({ url: PG_URL, schema: s.schema, statementTimeoutMs: 300 });
    try {
      // An ALTER TABLE under way: nothing reads the table until it commits.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE observations IN ACCESS EXCLUSIVE MODE');
      expect(await source.figures(query)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/observation log unreadable: .*(statement timeout|timeout)/),
      });
      await blocker.query('COMMIT');
      expect(await source.figures(query)).toEqual({ ok: true, value: referenceFigures(db, query) });
    } finally {
      await source.close();
      await blocker.close();
      db.close();
    }
  });
});
