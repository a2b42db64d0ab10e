import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QUALITY_OF_ROW } from '../../analysis/queries/filter.ts';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { emptyArm, type WindowFigures } from './gates.ts';
import { seededRandom } from './traffic-model.ts';
import { figuresOfRows, nearestRank, type WindowQuery, type WindowRow } from './window-source.ts';
import { queryWindow, sqliteWindowSource } from './window-source-sqlite.ts';

function observation(i: number, o: Partial<Observation>): Observation {
  return {
    requestId: `r${i}`,
    time: 1_000 + i,
    route: 'mangaassist',
    intent: 'faq',
    sessionId: `s${i % 10}`,
    traffic: 'live',
    experimentId: null,
    canaryId: 'k',
    arm: 'baseline',
    configId: 'sonnet-35-v1',
    upstreamModel: 'm',
    operation: 'converse',
    streamed: false,
    status: 200,
    errorCode: null,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.01,
    ttftMs: 5,
    latencyMs: i,
    overheadMs: 1,
    ...o,
  };
}

function score(requestId: string, value: number, eventTime: number, tag = ''): FeedbackRecord {
  return {
    eventId: `${requestId}-${eventTime}${tag}`,
    receivedAt: eventTime,
    scope: 'request',
    key: requestId,
    metric: 'quality_score',
    value,
    idempotencyKey: null,
    eventTime,
  } as FeedbackRecord;
}

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

// The implementation the SQL aggregation replaced: every row of the window into JS, then figuresOfRows.
const REFERENCE_ROWS = `SELECT o.arm AS arm, o.session_id AS sessionId, (o.error_code IS NOT NULL) AS failed,
  o.latency_ms AS latencyMs, o.cost_usd AS costUsd, ${QUALITY_OF_ROW} AS quality
  FROM observations o
  WHERE o.canary_id = @canaryId AND o.traffic = 'live' AND o.arm IN ('canary', 'baseline')
    AND o.time >= @from AND o.time < @to`;

function referenceFigures(db: Database.Database, query: WindowQuery): WindowFigures {
  const rows = db.prepare(REFERENCE_ROWS).all(query) as (Omit<WindowRow, 'failed'> & { failed: number })[];
  return figuresOfRows(rows.map((r) => ({ ...r, failed: r.failed === 1 })));
}

/**
 * A random window: several hundred rows over a few dozen sessions (some null or ''), errors, unpriced and
 * unscored requests, superseded and late-corrected scores, and traffic that must be ignored (warm-up, eval,
 * another canary, other arms, outside the window). `exact` draws scores and costs as binary fractions, so
 * that every summation order gives the same floating-point sums.
 */
async function randomWindow(seed: number, exact: boolean): Promise<{ db: Database.Database; query: WindowQuery }> {
  const rng = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  // Binary fractions (k / 1024, k / 65536) are summed without rounding in any order.
  const value = (scale: 1 | 64): number => (exact ? Math.round(rng.uniform() * 1024) / 1024 : rng.uniform()) / scale;
  const sessions = [null, '', ...Array.from({ length: 40 + Math.floor(rng.uniform() * 40) }, (_, i) => `s${seed}-${i}`)];
  const observations: Observation[] = [];
  const feedback: FeedbackRecord[] = [];
  const count = 300 + Math.floor(rng.uniform() * 500);
  for (let i = 0; i < count; i++) {
    const failed = rng.uniform() < 0.08;
    const noise = rng.uniform();
    observations.push(
      observation(i, {
        requestId: `q${seed}-${i}`,
        time: 1_000 + Math.floor(rng.uniform() * 1_200),
        sessionId: pick(sessions),
        arm: noise < 0.02 ? 'treatment' : rng.uniform() < 0.3 ? 'canary' : 'baseline',
        traffic: noise > 0.96 ? 'warmup' : noise > 0.93 ? 'eval' : 'live',
        canaryId: noise > 0.9 && noise <= 0.93 ? 'other' : 'k',
        errorCode: failed ? 'ThrottlingException' : null,
        status: failed ? 429 : 200,
        costUsd: rng.uniform() < 0.05 ? null : value(64),
        latencyMs: exact ? Math.floor(rng.uniform() * 5_000) : 50 + rng.uniform() * 5_000,
      }),
    );
    const scores = rng.uniform() < 0.4 ? 0 : 1 + Math.floor(rng.uniform() * 3);
    for (let j = 0; j < scores; j++) feedback.push(score(`q${seed}-${i}`, value(1), Math.floor(rng.uniform() * 3), `${j}`));
  }
  const path = join(mkdtempSync(join(tmpdir(), 'canary-window-')), 'gateway.db');
  const db = openDatabase(path);
  await sqliteRecordStore(db).write({ observations, feedback });
  return { db, query: { canaryId: 'k', from: 1_100, to: 2_000 } };
}

/** Counts, ranks and order statistics exactly; floating-point sums to the last few bits. */
function expectSameFigures(actual: WindowFigures, expected: WindowFigures): void {
  const close = (a: number | null | undefined, b: number | null | undefined): void => {
    if (a == null || b == null) expect(a).toBe(b);
    else expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
  };
  for (const arm of ['candidate', 'baseline'] as const) {
    const [a, e] = [actual[arm], expected[arm]];
    expect({
      ...a,
      figures: { ...a.figures, quality: 0, costPerRequest: 0 },
      sums: a.sums && { ...a.sums, sumY: 0, sumYY: 0, sumYN: 0 },
      costSumSq: 0,
    }).toEqual({
      ...e,
      figures: { ...e.figures, quality: 0, costPerRequest: 0 },
      sums: e.sums && { ...e.sums, sumY: 0, sumYY: 0, sumYN: 0 },
      costSumSq: 0,
    });
    close(a.figures.quality, e.figures.quality);
    close(a.figures.costPerRequest, e.figures.costPerRequest);
    close(a.costSumSq, e.costSumSq);
    for (const k of ['sumY', 'sumYY', 'sumYN'] as const) close(a.sums?.[k], e.sums?.[k]);
  }
}

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
