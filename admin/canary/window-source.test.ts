import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { expectSameFigures, observation, randomWindow, referenceFigures, score } from '../../test/support/canary-windows.ts';
import { emptyArm } from './gates.ts';
import { nearestRank } from './window-source.ts';
import { queryWindow, sqliteWindowSource } from './window-source-sqlite.ts';
import { sqliteThreadWindowSource } from './window-source-sqlite-thread.ts';

describe('SQLite window source', () => {
  it('reads live traffic of the two arms in [from, to), with quality from the latest feedback and nearest-rank P95', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'canary-window-')), 'gateway.db');
    const db = openDatabase(path);
    const observations = [
      ...Array.from({ length: 20 }, (_, i) =>
        observation(i + 1, { arm: i < 5 ? 'canary' : 'baseline', configId: i < 5 ? 'sonnet-35-v2' : 'sonnet-35-v1' }),
      ),
      observation(21, { arm: 'canary', errorCode: 'ThrottlingException', status: 429, costUsd: null }),
      observation(22, { arm: 'canary', traffic: 'warmup' }),
      observation(23, { arm: 'canary', traffic: 'eval' }),
      observation(25, { arm: 'canary', traffic: 'shadow', shadowOf: 'r1' }),
      observation(24, { arm: 'canary', canaryId: 'other' }),
      observation(500, { arm: 'canary' }),
    ];
    await sqliteRecordStore(db).write({
      observations,
      feedback: [
        score('r1', 0.2, 1),
        score('r1', 0.9, 2),
        score('r2', 0.7, 1),
        score('r21', 1, 1),
        score('r22', 1, 1),
        score('r6', 0.8, 1),
      ],
    });
    db.close();

    const source = sqliteWindowSource(path);
    const result = await source.figures({ canaryId: 'k', from: 1_001, to: 1_100 });
    await source.close();
    if (!result.ok) throw new Error(result.message);
    const { candidate, baseline } = result.value;
    expect(candidate.figures).toEqual({ requests: 6, scored: 2, quality: 0.8, p95LatencyMs: 5, errorRate: 1 / 6, costPerRequest: 0.01 });
    expect(candidate.errors).toBe(1);
    expect(baseline.figures).toMatchObject({ requests: 15, scored: 1, quality: 0.8, p95LatencyMs: 20, errorRate: 0 });
    expect(baseline.sessions).toBe(10);
  });

  it('counts requests a fallback answered in the arm, but never scores them', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'canary-window-')), 'gateway.db'));
    const observations = [1, 2, 3, 4].map((i) =>
      observation(i, { arm: 'canary', configId: 'haiku-35', ...(i === 4 ? { servedConfigId: 'sonnet-35-v1', attempts: 2 } : {}) }),
    );
    await sqliteRecordStore(db).write({
      observations,
      feedback: observations.map((o) => score(o.requestId, o.servedConfigId ? 0 : 0.8, 5_000)),
    });
    const figures = queryWindow(db, { canaryId: 'k', from: 0, to: 10_000 });
    expect(figures.candidate.figures).toMatchObject({ requests: 4, scored: 3, errorRate: 0 });
    expect(figures.candidate.figures.quality).toBeCloseTo(0.8, 12);
    db.close();
  });

  it('reports a missing database as a value', async () => {
    const source = sqliteWindowSource(join(tmpdir(), 'no-such-dir-canary', 'gateway.db'));
    expect(await source.figures({ canaryId: 'k', from: 0, to: 1 })).toMatchObject({ ok: false });
  });

  it('computes nearest-rank percentiles', () => {
    expect(nearestRank([], 0.95)).toBeNull();
    expect(nearestRank([3, 1, 2], 0.95)).toBe(3);
    expect(
      nearestRank(
        Array.from({ length: 100 }, (_, i) => 100 - i),
        0.95,
      ),
    ).toBe(95);
  });
});

describe('SQL aggregation of a window', () => {
  it('returns exactly the figures of the row-by-row computation on random windows of binary-fraction values', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { db, query } = await randomWindow(seed, true);
      const expected = referenceFigures(db, query);
      expect(expected.candidate.figures.requests).toBeGreaterThan(50);
      expect(expected.baseline.sums?.sessions).toBeGreaterThan(10);
      expect(queryWindow(db, query)).toEqual(expected);
      db.close();
    }
  });

  it('returns the same counts and order statistics, and the same sums to 1e-12, on random windows of decimal values', async () => {
    for (let seed = 101; seed <= 112; seed++) {
      const { db, query } = await randomWindow(seed, false);
      expectSameFigures(queryWindow(db, query), referenceFigures(db, query));
      db.close();
    }
  });

  it('returns empty arms for a window without live traffic', async () => {
    const { db } = await randomWindow(7, true);
    const query = { canaryId: 'k', from: 5_000, to: 6_000 };
    expect(queryWindow(db, query)).toEqual(referenceFigures(db, query));
    expect(queryWindow(db, query).candidate).toEqual(emptyArm());
    db.close();
  });
});

describe('SQLite window source in a worker thread', () => {
  it('returns the figures of the in-process aggregation, from its own connection', async () => {
    const { db, query } = await randomWindow(5, true);
    const source = sqliteThreadWindowSource(db.name);
    const [first, second] = await Promise.all([source.figures(query), source.figures({ ...query, from: 5_000, to: 6_000 })]);
    await source.close();
    expect(first).toEqual({ ok: true, value: queryWindow(db, query) });
    expect(second).toEqual({ ok: true, value: { candidate: emptyArm(), baseline: emptyArm() } });
    db.close();
  });

  it('closes without terminating its thread: the worker answers the read sent before, closes its connection and exits', async () => {
    const { db, query } = await randomWindow(5, true);
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const exits: number[] = [];
    const started = vi.spyOn(Worker.prototype, 'on');
    try {
      const source = sqliteThreadWindowSource(db.name);
      const read = source.figures(query);
      const worker = started.mock.contexts[0] as Worker;
      worker.on('exit', (code) => exits.push(code));
      expect(await read).toEqual({ ok: true, value: queryWindow(db, query) });
      await source.close();
      expect(terminate).not.toHaveBeenCalled();
      expect(exits).toEqual([0]);
    } finally {
      terminate.mockRestore();
      started.mockRestore();
      db.close();
    }
  });

  it('a close that does not wait lets its worker go; a read after it gets a new worker, which the old one stopping cannot fail', async () => {
    const { db, query } = await randomWindow(5, true);
    const source = sqliteThreadWindowSource(db.name, { closeTimeoutMs: 0 });
    expect(await source.figures(query)).toEqual({ ok: true, value: queryWindow(db, query) });
    await source.close();
    // The old worker exits while the new one is still starting, with this read pending.
    expect(await source.figures(query)).toEqual({ ok: true, value: queryWindow(db, query) });
    await source.close();
    db.close();
  });

  it('reports a missing database, and a read cut by close, as values; the next read starts a new worker', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'canary-thread-')), 'gateway.db');
    const source = sqliteThreadWindowSource(path);
    expect(await source.figures({ canaryId: 'k', from: 0, to: 1 })).toEqual({
      ok: false,
      message: `no observations database at ${path} yet`,
    });
    const cut = source.figures({ canaryId: 'k', from: 0, to: 1 });
    await source.close();
    expect(await cut).toEqual({ ok: false, message: 'window source closed' });
    const db = openDatabase(path);
    await sqliteRecordStore(db).write({ observations: [observation(1, { arm: 'canary' })], feedback: [] });
    const after = await source.figures({ canaryId: 'k', from: 0, to: 10_000 });
    await source.close();
    db.close();
    expect(after).toMatchObject({ ok: true, value: { candidate: { figures: { requests: 1 } } } });
  });
});
