import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'vitest';
import { QUALITY_OF_ROW } from '../../analysis/queries/filter.ts';
import type { WindowFigures } from '../../admin/canary/gates.ts';
import { seededRandom } from '../../admin/canary/traffic-model.ts';
import { figuresOfRows, type WindowQuery, type WindowRow } from '../../admin/canary/window-source.ts';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';

/** Random canary windows in a SQLite store, and the row-by-row reference figures the SQL window sources must equal. */

/** A live baseline observation of canary `k`, request `r<i>`, overridden by `o`. */
export function observation(i: number, o: Partial<Observation>): Observation {
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

/** A request-scope quality score. */
export function score(requestId: string, value: number, eventTime: number, tag = ''): FeedbackRecord {
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

// The implementation the SQL aggregation replaced: every row of the window into JS, then figuresOfRows.
const REFERENCE_ROWS = `SELECT o.arm AS arm, o.session_id AS sessionId, (o.error_code IS NOT NULL) AS failed,
  o.latency_ms AS latencyMs, o.cost_usd AS costUsd, ${QUALITY_OF_ROW} AS quality
  FROM observations o
  WHERE o.canary_id = @canaryId AND o.traffic = 'live' AND o.arm IN ('canary', 'baseline')
    AND o.time >= @from AND o.time < @to`;

/** The figures of the window's rows computed in memory by `figuresOfRows`. */
export function referenceFigures(db: Database.Database, query: WindowQuery): WindowFigures {
  const rows = db.prepare(REFERENCE_ROWS).all(query) as (Omit<WindowRow, 'failed'> & { failed: number })[];
  return figuresOfRows(rows.map((r) => ({ ...r, failed: r.failed === 1 })));
}

/**
 * A random window: several hundred rows over a few dozen sessions (some null or ''), errors, unpriced and
 * unscored requests, superseded and late-corrected scores, and traffic that must be ignored (warm-up, eval,
 * another canary, other arms, outside the window). `exact` draws scores and costs as binary fractions, so
 * that every summation order gives the same floating-point sums.
 */
export async function randomWindow(seed: number, exact: boolean): Promise<{ db: Database.Database; query: WindowQuery }> {
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
        traffic: noise > 0.98 ? 'shadow' : noise > 0.96 ? 'warmup' : noise > 0.93 ? 'eval' : 'live',
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
export function expectSameFigures(actual: WindowFigures, expected: WindowFigures): void {
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
