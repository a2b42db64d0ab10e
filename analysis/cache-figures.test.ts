import { describe, expect, it } from 'vitest';
import { openDatabase } from '../stores/sqlite/database.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { experimentObservation } from '../test/support/observations.ts';
import { buildRow } from './intent-table.ts';
import { queryCells } from './queries/intent-config.ts';
import { intentSection } from './report/markdown.ts';

/** Two scored requests of one configuration: one wrote 1,000 tokens to the prompt cache, the other read them. */
function cells() {
  const db = openDatabase(':memory:');
  const store = sqliteRecordStore(db);
  const common = { experimentId: null, arm: 'default' as const, expectedShare: null, intent: 'faq', configId: 'haiku' };
  // Costs as the gateway records them (shipped Haiku prices): input + output + cache write, then + cache read.
  const write = experimentObservation(1, {
    ...common,
    inputTokens: 20,
    outputTokens: 100,
    cacheWriteInputTokens: 1000,
    cacheReadInputTokens: 0,
    costUsd: 0.00177,
  });
  const read = experimentObservation(2, {
    ...common,
    inputTokens: 20,
    outputTokens: 100,
    cacheWriteInputTokens: 0,
    cacheReadInputTokens: 1000,
    costUsd: 0.00062,
  });
  // A row written before cache tokens were recorded (NULL columns) counts no cache tokens.
  const old = experimentObservation(3, { ...common, inputTokens: 40, outputTokens: 100, costUsd: 0.00054 });
  store.write({
    observations: [write, read, old],
    feedback: [1, 2, 3].map((i) => ({
      eventId: `f${i}`,
      receivedAt: 1,
      scope: 'request' as const,
      key: `req-${i}`,
      metric: 'quality_score' as const,
      value: 0.9,
      idempotencyKey: null,
      eventTime: 1,
    })),
  });
  const out = queryCells(db, { since: 0 }, {}, 0.7);
  db.close();
  return out;
}

describe('cache tokens in the per-intent figures', () => {
  it('counts cache reads and writes as real tokens, reports the cache read share, and costs include what the gateway priced', () => {
    const [cell] = cells();
    expect(cell).toMatchObject({ requests: 3, scored: 3, scoredTokens: 2380, promptTokens: 2080, cacheReadTokens: 1000 });
    const row = buildRow(cell!, undefined, undefined, 0.05, 1);
    expect(row.cacheReadShare).toBeCloseTo(1000 / 2080, 12);
    expect(row.costPerRequest).toBeCloseTo((0.00177 + 0.00062 + 0.00054) / 3, 12);
    expect(row.costPerSatisfactory).toBeCloseTo(0.00293 / 3, 12);
    expect(row.qualityPer1kTokens).toBeCloseTo(2.7 / 2.38, 12);
    expect(intentSection([row]).join('\n')).toMatch(/\| cache read \|[\s\S]*\| 48\.1% \|/);
  });
});
