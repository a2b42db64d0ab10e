import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAnalysisSource, referencePercentiles } from '../analysis/queries/postgres-source.ts';
import type { AnalysisSource } from '../analysis/queries/source.ts';
import { hasAnalysisIndexes, indexedPercentiles } from '../analysis/queries/sqlite-indexed.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { createAnalysisIndexes, openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { expectClose } from './support/close.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, postgresMissing, testSchema } from './warehouse-support.ts';

const T0 = 1_700_000_000_000;
const SEEDS = [1, 2, 3];
const missing = await postgresMissing();

/**
 * Random live and other traffic with everything the reads must agree on: tied latencies and times, null TTFT and cost,
 * failures, fallback answers, guardrail stops, prompt-cache tokens, configuration-less rows, sessions that change arm,
 * several quality scores per request (ties in event time broken by arrival) and superseded session outcomes.
 */
function writeRandomRows(db: Database.Database, seed: number, requests: number): void {
  let x = seed * 7919 + 17;
  const u = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(u() * values.length)]!;
  const observations: Observation[] = [];
  const feedback: FeedbackRecord[] = [];
  const fb = (id: string, scope: FeedbackRecord['scope'], key: string, metric: FeedbackRecord['metric'], value: number): FeedbackRecord => {
    const eventTime = T0 + Math.floor(u() * 4);
    return { eventId: id, receivedAt: eventTime, scope, key, metric, value, idempotencyKey: null, eventTime };
  };
  for (let i = 0; i < requests; i++) {
    const failed = u() < 0.06;
    const experimentId = pick(['x', 'x', 'y', null, null, null]);
    const sessionId = u() < 0.05 ? null : `s${Math.floor(u() * (requests / 4))}`;
    const requestId = `r${seed}-${Math.floor(u() * 1e9).toString(36)}-${i}`;
    observations.push({
      requestId,
      time: T0 + Math.floor(u() * 500),
      route: 'mangaassist',
      intent: pick(['faq', 'recommendation', 'order_tracking']),
      sessionId,
      traffic: pick(['live', 'live', 'live', 'live', 'live', 'eval', 'shadow'] as const),
      experimentId,
      canaryId: null,
      arm: experimentId ? pick(['control', 'treatment'] as const) : 'default',
      configId: u() < 0.04 ? null : pick(['c-a', 'c-b', 'c-c']),
      upstreamModel: 'm',
      operation: 'converse',
      streamed: false,
      status: failed ? 500 : 200,
      errorCode: failed ? 'InternalServerException' : null,
      inputTokens: failed ? 0 : Math.floor(u() * 900),
      outputTokens: failed ? 0 : Math.floor(u() * 300),
      costUsd: u() < 0.05 ? null : Math.round(u() * 1e6) / 1e9,
      ttftMs: failed || u() < 0.1 ? null : Math.round(u() * 40),
      latencyMs: Math.round(u() * 150) + 0.5 * Math.floor(u() * 2),
      overheadMs: 0.1,
      configVersion: pick([null, 3, 4]),
      expectedShare: pick([null, 0.5, 0.25]),
      cacheReadInputTokens: u() < 0.3 ? Math.floor(u() * 100) : null,
      cacheWriteInputTokens: u() < 0.2 ? Math.floor(u() * 50) : null,
      stopReason: pick(['end_turn', 'guardrail_intervened', null]),
      servedConfigId: u() < 0.05 ? 'c-fallback' : null,
    });
    const scores = Math.floor(u() * 4);
    for (let k = 0; k < scores; k++)
      feedback.push(fb(`q${seed}-${i}-${k}`, 'request', requestId, 'quality_score', Math.round(u() * 100) / 100));
    if (sessionId && u() < 0.5) {
      for (const metric of ['cart_add', 'escalated', 'session_duration_s'] as const) {
        const value = metric === 'session_duration_s' ? Math.round(u() * 600) : u() < 0.3 ? 1 : 0;
        if (u() < 0.6) feedback.push(fb(`${metric}${seed}-${i}`, 'session', sessionId, metric, value));
      }
    }
  }
  // Written in a few batches so that arrival order (seq) and time disagree.
  const store = sqliteRecordStore(db);
  for (let i = 0; i < 4; i++) {
    store.write({
      observations: observations.filter((_, j) => j % 4 === i),
      feedback: feedback.filter((_, j) => j % 4 === 3 - i),
    });
  }
}

/** Every read of two sources for the same data: counts, ranks and ids exactly, sums within 1e-9 relative (summation order). */
async function expectSameReads(a: AnalysisSource, b: AnalysisSource, since: number): Promise<void> {
  const filter = { since };
  const gates = { faq: 0.6 };
  expectClose(await a.cells(filter, gates, 0.5), await b.cells(filter, gates, 0.5));
  for (const column of ['latency_ms', 'ttft_ms'] as const) {
    expect([...(await b.percentiles(filter, column))].sort()).toEqual([...(await a.percentiles(filter, column))].sort());
  }
  const ids = await a.experimentIds(filter);
  expect(await b.experimentIds(filter)).toEqual(ids);
  expect(ids.length).toBeGreaterThan(0);
  const byArmMetric = (r: { arm: string; metric: string }): string => `${r.arm}/${r.metric}`;
  for (const id of ids) {
    expectClose(await a.arms(filter, id), await b.arms(filter, id));
    const sorted = async (s: AnalysisSource) => (await s.outcomes(filter, id)).sort((p, q) => (byArmMetric(p) < byArmMetric(q) ? -1 : 1));
    expectClose(await sorted(a), await sorted(b));
    const boundaries = [T0 + 100, T0 + 300];
    expect(await b.assignments(filter, id, boundaries)).toEqual(await a.assignments(filter, id, boundaries));
  }
}

describe('indexed reads of the embedded store against the reference reads', () => {
  for (const seed of SEEDS) {
    it(`gives the reference figures on random rows (seed ${seed}), from the start and from a later time`, async () => {
      const db = openDatabase(join(tempDir('indexed-reads-'), 'gateway.db'));
      writeRandomRows(db, seed, 1_500 + seed * 700);
      expect(hasAnalysisIndexes(db)).toBe(false);
      createAnalysisIndexes(db);
      expect(hasAnalysisIndexes(db)).toBe(true);
      const reference = sqliteAnalysisSource(db, false, true);
      const indexed = sqliteAnalysisSource(db);
      for (const since of [0, T0 + 250]) await expectSameReads(reference, indexed, since);
      // Groups of one value and ranks from both ends: the cells hold between a few and a few hundred rows.
      const sizes = (await indexed.cells({ since: T0 + 490 }, {}, 0.5)).map((c) => c.requests);
      expect(Math.min(...sizes)).toBeLessThan(10);
      db.close();
    });
  }

  it('reads a store without the analysis indexes (the gateway never builds them) by the reference reads', async () => {
    const db = openDatabase(join(tempDir('indexed-reads-'), 'gateway.db'));
    writeRandomRows(db, 9, 300);
    expect(createAnalysisIndexes(db)).toBeGreaterThanOrEqual(0);
    expect(createAnalysisIndexes(db)).toBeGreaterThanOrEqual(0); // a second build is a no-op, not an error
    db.exec('DROP INDEX observations_analysis_latency');
    expect(hasAnalysisIndexes(db)).toBe(false);
    expect(() => indexedPercentiles(db, { since: 0 }, 'latency_ms')).toThrow(/no such index/);
    const expected = await sqliteAnalysisSource(db, false, true).percentiles({ since: 0 }, 'latency_ms');
    expect(expected.size).toBeGreaterThan(5);
    expect(await sqliteAnalysisSource(db).percentiles({ since: 0 }, 'latency_ms')).toEqual(expected);
    db.close();
  });
});

describe.skipIf(missing)('PostgreSQL percentiles (percentile_disc) against the ROW_NUMBER reference and the embedded store', () => {
  const schemas: ReturnType<typeof testSchema>[] = [];
  const warehouses: Warehouse[] = [];
  const stores: [Database.Database, Warehouse][] = [];

  beforeAll(async () => {
    for (const seed of SEEDS) {
      const db = openDatabase(join(tempDir('indexed-reads-pg-'), 'gateway.db'));
      writeRandomRows(db, seed, 1_500 + seed * 700);
      const s = testSchema('analysis_scale_eq');
      schemas.push(s);
      const wh = await connectTest(s.schema);
      warehouses.push(wh);
      const exported = await exportToWarehouse(db, wh, { batchSize: 1_000 });
      if (!exported.ok) throw new Error(exported.error);
      stores.push([db, wh]);
    }
  });

  afterAll(async () => {
    for (const wh of warehouses) await wh.close();
    for (const s of schemas) await s.drop();
    for (const [db] of stores) db.close();
  });

  it('has exactly the nearest-rank values of both, and every other read agrees with the embedded store', async () => {
    for (const [db, wh] of stores) {
      const post = postgresAnalysisSource(wh);
      for (const since of [0, T0 + 250]) {
        for (const column of ['latency_ms', 'ttft_ms'] as const) {
          const disc = await post.percentiles({ since }, column);
          expect([...disc].sort()).toEqual([...(await referencePercentiles(wh, { since }, column))].sort());
          expect(disc.size).toBeGreaterThan(5);
        }
        await expectSameReads(sqliteAnalysisSource(db), post, since);
      }
    }
  });

  it('gives the same figures in PostgreSQL SQL (DISTINCT ON, FILTER, one percentile statement) as in the Redshift subset', async () => {
    for (const [, wh] of stores) {
      for (const since of [0, T0 + 250]) {
        await expectSameReads(postgresAnalysisSource(wh, undefined, { redshift: true }), postgresAnalysisSource(wh), since);
      }
      // The TTFT read after a latency read for another start time runs its own statement, not the kept one.
      const post = postgresAnalysisSource(wh);
      // The per-cell sums run without parallel workers and give the session its own setting back.
      await wh.query(`SET max_parallel_workers_per_gather = 3`);
      expect((await post.cells({ since: 0 }, {}, 0.5)).length).toBeGreaterThan(5);
      expect(await wh.query(`SELECT current_setting('max_parallel_workers_per_gather') AS v`)).toEqual([{ v: '3' }]);
      await post.percentiles({ since: 0 }, 'latency_ms');
      expect([...(await post.percentiles({ since: T0 + 250 }, 'ttft_ms'))].sort()).toEqual(
        [...(await referencePercentiles(wh, { since: T0 + 250 }, 'ttft_ms'))].sort(),
      );
    }
  });
});
