import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { groupKey, queryPercentiles } from './quantiles.ts';

function row(i: number, configId: string, latencyMs: number, extra: Partial<Observation> = {}): Observation {
  return {
    requestId: `${configId}-${i}`,
    time: 1000 + i,
    route: 'r',
    intent: 'faq',
    sessionId: null,
    traffic: 'live',
    experimentId: null,
    canaryId: null,
    arm: 'default',
    configId,
    upstreamModel: 'm',
    operation: 'converse',
    streamed: false,
    status: 200,
    errorCode: null,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
    ttftMs: latencyMs / 2,
    latencyMs,
    overheadMs: 0,
    ...extra,
  };
}

describe('nearest-rank percentiles in SQL', () => {
  it('takes the value at rank ceil(p n / 100), per group, live successful rows only', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'pct-')), 'g.db'));
    const observations = [
      ...[5, 1, 4, 2, 3].map((v, i) => row(i, 'five', v)),
      ...Array.from({ length: 20 }, (_, i) => row(i, 'twenty', 20 - i)),
      row(99, 'five', 1000, { errorCode: 'ThrottlingException', status: 429 }),
      row(98, 'five', 2000, { traffic: 'eval' }),
      row(0, 'one', 42),
    ];
    sqliteRecordStore(db).write({ observations, feedback: [] });
    const p = queryPercentiles(db, { since: 0 }, 'latency_ms', ['intent', 'config_id']);
    expect(p.get(groupKey('faq', 'five'))).toEqual({ 50: 3, 95: 5, 99: 5 });
    expect(p.get(groupKey('faq', 'twenty'))).toEqual({ 50: 10, 95: 19, 99: 20 });
    expect(p.get(groupKey('faq', 'one'))).toEqual({ 50: 42, 95: 42, 99: 42 });
    expect(queryPercentiles(db, { since: 0 }, 'ttft_ms', ['intent', 'config_id']).get(groupKey('faq', 'twenty'))![50]).toBe(5);
    db.close();
  });
});
