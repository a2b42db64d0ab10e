import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { nearestRank } from './window-source.ts';
import { sqliteWindowSource } from './window-source-sqlite.ts';

function observation(i: number, o: Partial<Observation>): Observation {
  return {
    requestId: `r${i}`, time: 1_000 + i, route: 'mangaassist', intent: 'faq', sessionId: `s${i % 10}`, traffic: 'live', experimentId: null, canaryId: 'k',
    arm: 'baseline', configId: 'sonnet-35-v1', upstreamModel: 'm', operation: 'converse', streamed: false, status: 200, errorCode: null,
    inputTokens: 10, outputTokens: 20, costUsd: 0.01, ttftMs: 5, latencyMs: i, overheadMs: 1, ...o,
  };
}

function score(requestId: string, value: number, eventTime: number): FeedbackRecord {
  return { eventId: `${requestId}-${eventTime}`, receivedAt: eventTime, scope: 'request', key: requestId, metric: 'quality_score', value, idempotencyKey: null, eventTime } as FeedbackRecord;
}

describe('SQLite window source', () => {
  it('reads live traffic of the two arms in [from, to), with quality from the latest feedback and nearest-rank P95', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'canary-window-')), 'gateway.db');
    const db = openDatabase(path);
    const observations = [
      ...Array.from({ length: 20 }, (_, i) => observation(i + 1, { arm: i < 5 ? 'canary' : 'baseline', configId: i < 5 ? 'sonnet-35-v2' : 'sonnet-35-v1' })),
      observation(21, { arm: 'canary', errorCode: 'ThrottlingException', status: 429, costUsd: null }),
      observation(22, { arm: 'canary', traffic: 'warmup' }),
      observation(23, { arm: 'canary', traffic: 'eval' }),
      observation(24, { arm: 'canary', canaryId: 'other' }),
      observation(500, { arm: 'canary' }),
    ];
    await sqliteRecordStore(db).write({ observations, feedback: [score('r1', 0.2, 1), score('r1', 0.9, 2), score('r2', 0.7, 1), score('r21', 1, 1), score('r22', 1, 1), score('r6', 0.8, 1)] });
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

  it('reports a missing database as a value', async () => {
    const source = sqliteWindowSource(join(tmpdir(), 'no-such-dir-canary', 'gateway.db'));
    expect(await source.figures({ canaryId: 'k', from: 0, to: 1 })).toMatchObject({ ok: false });
  });

  it('computes nearest-rank percentiles', () => {
    expect(nearestRank([], 0.95)).toBeNull();
    expect(nearestRank([3, 1, 2], 0.95)).toBe(3);
    expect(nearestRank(Array.from({ length: 100 }, (_, i) => 100 - i), 0.95)).toBe(95);
  });
});
